-- The Things layout shared by the operation descriptors of this folder.
return function(operation)
  return {
    name = operation,
    resource = "Things",
    entry = operation .. "*.csv",
    key = "Code",
    operation = operation,
    fields = { { "Code", required = true }, { "Name" }, { "Price", type = "decimal" } },
  }
end
