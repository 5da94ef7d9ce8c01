-- Kibo "LocationGroupBoxTypeConfig" layout: the shipping boxes a location
-- group packs into for one site (dimensions in the site's unit).
local size = { type = "decimal", min = 0, required = true }

local function with(name, rule)
  local r = { name }
  for k, v in pairs(rule) do r[k] = v end
  return r
end

return {
  name = "location_group_box_type_config",
  resource = "LocationGroupBoxTypeConfig",
  format = "csv",
  key = { "LocationGroupCode", "SiteId", "Name" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "LocationGroup", fields = { "LocationGroupCode" } },
  },
  context = { site = "SiteId" },
  fields = {
    { "LocationGroupCode", required = true, maxlen = 50 },
    { "SiteId", required = true, type = "int", min = 1 },
    { "Name", required = true, maxlen = 100 },
    with("Height", size),
    with("Length", size),
    with("Width", size),
  },
}
