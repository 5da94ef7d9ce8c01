-- Kibo "ProductExtras" layout: an extra (an add-on the shopper may choose)
-- of a product, one row per offered value of the extra's attribute.
return {
  name = "product_extras",
  resource = "ProductExtras",
  format = "csv",
  key = { "MasterCatalogName", "ProductCode", "AttributeCode", "Value" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "Products", fields = { "MasterCatalogName", "ProductCode" } },
    { resource = "AttributeValues", fields = { "MasterCatalogName", "AttributeCode", "Value" } },
  },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "ProductCode", required = true, maxlen = 100 },
    { "AttributeCode", required = true, maxlen = 100 },
    { "Value", required = true, maxlen = 255 },
    { "RequiredByShopper", type = "bool" },
    { "Defaulted", type = "bool" },
    { "MultiSelect", type = "bool" },
    { "Quantity", type = "int", min = 0 },
  },
}
