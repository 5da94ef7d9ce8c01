-- Kibo "ProductPropertyLocale" layout: a product's property value, by the
-- attribute's name.
return {
  name = "product_property_locale",
  resource = "ProductPropertyLocale",
  format = "csv",
  key = { "MasterCatalogName", "ProductCode", "AttributeName" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "Products", fields = { "MasterCatalogName", "ProductCode" } },
  },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "ProductCode", required = true, maxlen = 100 },
    { "AttributeName", required = true, maxlen = 255 },
    { "Value", maxlen = 4000 },
  },
}
