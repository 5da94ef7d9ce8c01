-- Kibo "ProductTypeAttributeValues" layout: the values of an attribute's
-- vocabulary that a product type offers.
return {
  name = "product_type_attribute_values",
  resource = "ProductTypeAttributeValues",
  format = "csv",
  key = { "MasterCatalogName", "ProductType", "AttributeCode", "VocabularyValue" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "ProductTypeAttributes", fields = { "MasterCatalogName", "ProductType", "AttributeCode" } },
    { resource = "AttributeValues", fields = { "MasterCatalogName", "AttributeCode", "VocabularyValue" } },
  },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "ProductType", required = true, maxlen = 100 },
    { "AttributeCode", required = true, maxlen = 100 },
    { "Type", required = true, enum = { "Option", "Property", "Extra" } },
    { "VocabularyValue", required = true, maxlen = 255 },
  },
}
