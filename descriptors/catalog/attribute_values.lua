-- Kibo "AttributeValues" layout: the vocabulary (allowed values) of a
-- list attribute, one row per value.
return {
  name = "attribute_values",
  resource = "AttributeValues",
  format = "csv",
  key = { "MasterCatalogName", "AttributeCode", "Value" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "Attributes", fields = { "MasterCatalogName", "AttributeCode" } },
  },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "AttributeCode", required = true, maxlen = 100 },
    { "DataType", required = true, enum = { "String", "Number", "Bool", "Date", "DateTime", "ProductCode" } },
    { "Namespace", required = true, maxlen = 50 },
    { "Value", required = true, maxlen = 255 },
    { "Name", required = true, maxlen = 255 },
    { "DisplayOrder", required = true, type = "int", min = 0 },
  },
}
