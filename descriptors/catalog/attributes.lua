-- Kibo "Attributes" layout: the attribute definitions of a master catalog
-- (options, properties and extras that product types pick from).
return {
  name = "attributes",
  resource = "Attributes",
  format = "csv",
  key = { "MasterCatalogName", "AttributeCode" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "AttributeCode", required = true, maxlen = 100, pattern = "[A-Za-z0-9][A-Za-z0-9_.-]*" },
    { "AttributeName", required = true, maxlen = 255 },
    { "DataType", required = true, enum = { "String", "Number", "Bool", "Date", "DateTime", "ProductCode" } },
    { "InputType", required = true, enum = { "List", "TextBox", "TextArea", "YesNo", "Date" } },
    { "IsExtra", required = true, type = "bool" },
    { "IsOption", required = true, type = "bool" },
    { "IsProperty", required = true, type = "bool" },
    { "Namespace", required = true, maxlen = 50 },
    { "SearchableInStorefront", required = true, type = "bool" },
    { "SearchableInAdmin", required = true, type = "bool" },
    { "SearchDisplayValue", required = true, type = "bool" },
    { "Description", maxlen = 1000 },
  },
}
