-- Kibo "LocationTypes" layout: the kinds of location (store, warehouse, ...).
return {
  name = "location_types",
  resource = "LocationTypes",
  format = "csv",
  key = { "LocationTypeCode" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  fields = {
    { "LocationTypeCode", required = true, maxlen = 50, pattern = "[A-Za-z0-9][A-Za-z0-9_.-]*" },
    { "LocationTypeName", required = true, maxlen = 255 },
  },
}
