-- A reference naming a field the descriptor does not have.
return {
  resource = "Products",
  entry = "badref*.csv",
  key = "ProductCode",
  fields = { { "ProductCode", required = true }, { "ProductType" } },
  refs = { { resource = "ProductTypes", fields = { "MasterCatalog", "ProductType" } } },
}
