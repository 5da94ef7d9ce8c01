-- The Items layout shared by the descriptors of this folder: an "Operation"
-- column may choose each row's operation.
return function(name, extra)
  local d = {
    name = name,
    resource = "Items",
    entry = name .. "*.csv",
    key = "Code",
    operation = "upsert",
    operations = { "upsert", "insert", "update", "delete" },
    operation_column = "Operation",
    fields = {
      { "Code", required = true },
      { "Brand", required = true },
      { "Name" },
      { "Price", type = "decimal" },
      { "Stock", type = "int" },
      { "Color", enum = { "red", "green", "blue" } },
    },
  }
  for k, v in pairs(extra or {}) do
    d[k] = v
  end
  return d
end
