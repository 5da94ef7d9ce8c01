-- Deletes product types (the cache of known types must forget them).
return {
  resource = "ProductTypes",
  entry = "typedel*.csv",
  key = { "MasterCatalogName", "ProductType" },
  operation = "delete",
  fields = { { "MasterCatalogName", required = true }, { "ProductType", required = true } },
}
