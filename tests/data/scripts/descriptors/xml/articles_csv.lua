-- The CSV twin of articles.lua: same resource, same field names.
return {
  resource = "SupplierArticles",
  entry = "bmecat*.csv",
  key = { "CatalogId", "SupplierAid" },
  fields = {
    "CatalogId",
    { "Currency", enum = { "EUR", "CHF" } },
    { "SupplierAid", pattern = "[A-Za-z0-9][A-Za-z0-9_.-]*" },
    "Mode",
    { "Description", maxlen = 80 },
    { "Ean", pattern = "[0-9]{13}" },
    { "NetPrice", type = "decimal", min = 0 },
    { "ListPrice", type = "decimal", min = 0 },
    { "Weight", type = "decimal" },
    "WeightUnit",
    { "Keywords", multi = true },
    { "Images", multi = true },
  },
}
