-- Kibo "ProductBundles" layout: the components of a bundle product; Code is
-- the component's product code, in the same master catalog.
return {
  name = "product_bundles",
  resource = "ProductBundles",
  format = "csv",
  key = { "MasterCatalogName", "ProductCode", "Code" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "Products", fields = { "MasterCatalogName", "ProductCode" } },
    { resource = "Products", fields = { "MasterCatalogName", "Code" } },
  },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "ProductCode", required = true, maxlen = 100 },
    { "Code", required = true, maxlen = 100 },
    { "Quantity", required = true, type = "int", min = 1 },
    { "Name", maxlen = 500 },
  },
}
