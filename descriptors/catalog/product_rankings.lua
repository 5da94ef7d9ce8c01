-- Kibo "ProductRankings" layout: a product's position in a category's sort
-- definition. The row names the (site) catalog, not the master catalog, so
-- it cannot name a Products key; it refers to the sort definition instead.
return {
  name = "product_rankings",
  resource = "ProductRankings",
  format = "csv",
  key = { "CatalogName", "CategoryCode", "SortDefinitionId", "ProductCode" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "SortDefinitions", fields = { "CatalogName", "CategoryCode", "SortDefinitionId" } },
  },
  context = { catalog = "CatalogName" },
  fields = {
    { "CatalogName", required = true, maxlen = 100 },
    { "CategoryCode", required = true, maxlen = 100 },
    { "SortDefinitionId", required = true, type = "int", min = 1 },
    { "ProductCode", required = true, maxlen = 100 },
    { "Position", required = true, type = "int", min = 1 },
    { "Locked", type = "bool" },
  },
}
