-- Kibo "PricelistEntryPrices" layout: the tiered prices of a price list
-- entry, one row per minimum quantity.
local money = { type = "decimal", min = 0 }

local function with(name, rule)
  local r = { name }
  for k, v in pairs(rule) do r[k] = v end
  return r
end

return {
  name = "pricelist_entry_prices",
  resource = "PricelistEntryPrices",
  format = "csv",
  key = { "PriceListCode", "ProductCode", "CurrencyCode", "StartDate", "MinimumQuantity" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "PricelistEntries", fields = { "PriceListCode", "ProductCode", "CurrencyCode", "StartDate" } },
  },
  context = { masterCatalog = "MasterCatalogName", currency = "CurrencyCode" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "PriceListCode", required = true, maxlen = 50 },
    { "ProductCode", required = true, maxlen = 100 },
    { "CurrencyCode", required = true, pattern = "[A-Z][A-Z][A-Z]" },
    { "StartDate", required = true, type = "datetime" },
    { "MinimumQuantity", required = true, type = "int", min = 1 },
    { "ListPriceMode", maxlen = 50 },
    { "SalePriceMode", maxlen = 50 },
    with("ListPrice", money),
    with("SalePrice", money),
  },
}
