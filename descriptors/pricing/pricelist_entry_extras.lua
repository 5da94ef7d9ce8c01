-- Kibo "PricelistEntryExtras" layout: the price of one value of an extra
-- (AttributeFQN, e.g. "tenant~gift-wrap") in a price list entry.
return {
  name = "pricelist_entry_extras",
  resource = "PricelistEntryExtras",
  format = "csv",
  key = { "PriceListCode", "ProductCode", "CurrencyCode", "StartDate", "AttributeFQN", "Value" },
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
    { "AttributeFQN", required = true, maxlen = 255 },
    { "Value", required = true, maxlen = 255 },
    { "Price", required = true, type = "decimal", min = 0 },
    { "DisplayValue", maxlen = 255 },
    { "AttributeCode", maxlen = 100 },
  },
}
