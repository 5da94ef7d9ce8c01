-- Product types: the target of the products' reference.
return {
  resource = "ProductTypes",
  entry = "types*.csv",
  key = { "MasterCatalogName", "ProductType" },
  fields = { { "MasterCatalogName", required = true }, { "ProductType", required = true }, { "Name" } },
}
