-- Full example: every descriptor key and every kind of field rule.
return {
  name = "products",
  resource = "Products",
  format = "csv",
  entry = "products*.csv",
  key = { "SKU", "Variant" },
  operation = "upsert",
  batch_size = 250,
  on_error = "strict",
  max_errors = 10,
  allow_extra_columns = true,
  fields = {
    { "SKU", pattern = "[A-Z]{2}-[0-9]+", maxlen = 32 },
    { name = "Variant", type = "int", min = 0, max = 999 },
    { "Name", required = true, maxlen = 200 },
    { "Price", type = "decimal", min = 0.5, max = 100000 },
    { "Active", type = "bool" },
    { "Released", type = "date" },
    { "Updated", type = "datetime" },
    { "Color", enum = { "red", "green", "blue" } },
    { "Tags", multi = true },
    "Notes",
  },
  validate = function(row)
    return row.Price == nil or row.Price < 100000
  end,
  map = function(row)
    return row
  end,
}
