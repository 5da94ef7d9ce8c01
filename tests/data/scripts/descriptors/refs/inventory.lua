-- Stock per location and product: two references, each checked.
return {
  resource = "LocationInventory",
  entry = "inventory*.csv",
  key = { "LocationCode", "MasterCatalogName", "ProductCode" },
  fields = {
    { "LocationCode", required = true },
    { "MasterCatalogName", required = true },
    { "ProductCode", required = true },
    { "OnHand", type = "int", required = true },
  },
  refs = {
    { resource = "Products", fields = { "MasterCatalogName", "ProductCode" } },
    { name = "location", resource = "Locations", fields = { "LocationCode" } },
  },
}
