-- Kibo "ProductTypeAttributes" layout: which attributes a product type
-- carries, and as what (an option, a property or an extra).
return {
  name = "product_type_attributes",
  resource = "ProductTypeAttributes",
  format = "csv",
  key = { "MasterCatalogName", "ProductType", "AttributeCode" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "ProductTypes", fields = { "MasterCatalogName", "ProductType" } },
    { resource = "Attributes", fields = { "MasterCatalogName", "AttributeCode" } },
  },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "ProductType", required = true, maxlen = 100 },
    { "AttributeCode", required = true, maxlen = 100 },
    { "Type", required = true, enum = { "Option", "Property", "Extra" } },
    { "Order", required = true, type = "int", min = 0 },
    { "IsRequiredByAdmin", type = "bool" },
    { "IsHiddenProperty", type = "bool" },
    { "IsMultiValueProperty", type = "bool" },
  },
}
