-- Kibo "LocationGroup" layout: a named set of locations serving sites.
-- LocationCodes and SiteIds are CR-separated lists.
return {
  name = "location_group",
  resource = "LocationGroup",
  format = "csv",
  key = { "LocationGroupCode" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  fields = {
    { "LocationGroupCode", required = true, maxlen = 50, pattern = "[A-Za-z0-9][A-Za-z0-9_.-]*" },
    { "Name", required = true, maxlen = 255 },
    { "LocationCodes", required = true, multi = true, maxlen = 50 },
    { "SiteIds", required = true, multi = true, pattern = "[0-9]+" },
    { "LastModifiedDate", type = "datetime" },
  },
}
