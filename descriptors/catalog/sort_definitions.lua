-- Kibo "SortDefinitions" layout: the product sort orders a category offers
-- (each identified by its numeric id within the category).
local direction = { "Ascending", "Descending" }
return {
  name = "sort_definitions",
  resource = "SortDefinitions",
  format = "csv",
  key = { "CatalogName", "CategoryCode", "ProductSortDefinitionId" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "Categories", fields = { "CatalogName", "CategoryCode" } },
  },
  context = { catalog = "CatalogName" },
  fields = {
    { "CatalogName", required = true, maxlen = 100 },
    { "CategoryCode", required = true, maxlen = 100 },
    { "ProductSortDefinitionId", required = true, type = "int", min = 1 },
    { "Name", required = true, maxlen = 255 },
    { "StartDate", type = "datetime" },
    { "EndDate", type = "datetime" },
    { "PrimaryAttribute", maxlen = 255 },
    { "PrimaryDirection", enum = direction },
    { "SecondaryAttribute", maxlen = 255 },
    { "SecondaryDirection", enum = direction },
  },
}
