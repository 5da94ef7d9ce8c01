-- Kibo "Pricelists" layout: a price list, the sites it is valid for
-- (CR-separated site ids) and where it sits in price resolution. Price list
-- codes are unique in the tenant; a child names its parent, which comes first.
local sites = { multi = true, pattern = "[0-9]+" }

local function with(name, rule)
  local r = { name }
  for k, v in pairs(rule) do r[k] = v end
  return r
end

return {
  name = "pricelists",
  resource = "Pricelists",
  format = "csv",
  key = { "PriceListCode" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "Pricelists", fields = { "ParentPriceListCode" } },
  },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "PriceListName", required = true, maxlen = 255 },
    { "PriceListCode", required = true, maxlen = 50, pattern = "[A-Za-z0-9][A-Za-z0-9_.-]*" },
    { "Enabled", required = true, type = "bool" },
    { "ValidForAllSites", required = true, type = "bool" },
    with("ValidSites", { multi = true, pattern = "[0-9]+", required = true }),
    { "ParentPriceListCode", maxlen = 50 },
    { "Description", maxlen = 1000 },
    { "FilteredInStorefront", type = "bool" },
    with("IndexedSites", sites),
    with("DefaultForSites", sites),
    { "MappedCustomerSegments", multi = true, maxlen = 100 },
    { "Resolvable", type = "bool" },
    { "ResolutionRank", type = "int", min = 0 },
    { "CreatedBy", maxlen = 255 },
  },
}
