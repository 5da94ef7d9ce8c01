-- Products refer to their type; a product without a type is not checked.
return {
  resource = "Products",
  entry = "products*.csv",
  key = { "MasterCatalogName", "ProductCode" },
  fields = {
    { "MasterCatalogName", required = true },
    { "ProductCode", required = true },
    { "ProductType" },
    { "Name" },
  },
  refs = { { resource = "ProductTypes", fields = { "MasterCatalogName", "ProductType" } } },
}
