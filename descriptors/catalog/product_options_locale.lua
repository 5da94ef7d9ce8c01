-- Kibo "ProductOptionsLocale" layout: a variation's prices in another
-- currency. Its column names hold spaces ("Extra Price"), as the platform
-- writes them.
local money = { type = "decimal", min = 0 }

local function with(name, rule)
  local r = { name }
  for k, v in pairs(rule) do r[k] = v end
  return r
end

return {
  name = "product_options_locale",
  resource = "ProductOptionsLocale",
  format = "csv",
  key = { "MasterCatalogName", "ProductCode", "VariationCode" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "ProductOptions", fields = { "MasterCatalogName", "ProductCode", "VariationCode" } },
  },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "ProductCode", required = true, maxlen = 100 },
    { "VariationCode", required = true, maxlen = 100 },
    { "Currency", pattern = "[A-Z][A-Z][A-Z]" },
    { "Extra Price", type = "decimal" },
    { "Extra MSRP", type = "decimal" },
    { "Extra Credit Value", type = "decimal" },
    with("Fixed List Price", money),
    with("Fixed Sale Price", money),
  },
}
