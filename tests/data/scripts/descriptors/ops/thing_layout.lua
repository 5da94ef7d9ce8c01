-- The Things layout shared by the operation descriptors of this folder.
return function(operation, name, allow_extra)
  return {
    name = name or operation,
    resource = "Things",
    entry = (name or operation) .. "*.csv",
    allow_extra_columns = allow_extra or false,
    key = "Code",
    operation = operation,
    fields = { { "Code", required = true }, { "Name" }, { "Price", type = "decimal" } },
  }
end
