-- Kibo "PricelistEntries" layout: a product's entry in a price list for a
-- currency from a start date (the key); its tiered prices are
-- PricelistEntryPrices, its extras' prices PricelistEntryExtras.
local money = { type = "decimal", min = 0 }

local function with(name, rule)
  local r = { name }
  for k, v in pairs(rule) do r[k] = v end
  return r
end

return {
  name = "pricelist_entries",
  resource = "PricelistEntries",
  format = "csv",
  key = { "PriceListCode", "ProductCode", "CurrencyCode", "StartDate" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "Pricelists", fields = { "PriceListCode" } },
    { resource = "Products", fields = { "MasterCatalogName", "ProductCode" } },
  },
  context = { masterCatalog = "MasterCatalogName", currency = "CurrencyCode" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "PriceListCode", required = true, maxlen = 50 },
    { "ProductCode", required = true, maxlen = 100 },
    { "CurrencyCode", required = true, pattern = "[A-Z][A-Z][A-Z]" },
    { "StartDate", required = true, type = "datetime" },
    { "IsVariation", required = true, type = "bool" },
    { "ProductName", maxlen = 500 },
    { "OptionSummary", maxlen = 1000 },
    { "EndDate", type = "datetime" },
    { "PriceListEntryMode", maxlen = 50 },
    { "MsrpMode", maxlen = 50 },
    with("Msrp", money),
    { "CostMode", maxlen = 50 },
    with("Cost", money),
    { "MapMode", maxlen = 50 },
    with("Map", money),
    { "MapStartDate", type = "datetime" },
    { "MapEndDate", type = "datetime" },
    { "DiscountsRestricted", type = "bool" },
    { "DiscountsRestrictedMode", maxlen = 50 },
    { "DiscountsRestrictedStartDate", type = "datetime" },
    { "DiscountsRestrictedEndDate", type = "datetime" },
    { "CreatedBy", maxlen = 255 },
    { "PriceListEntryTypeCode", maxlen = 50 },
  },
}
