-- Kibo "LocationInventory" layout: stock of a product at a location. The
-- platform keys inventory by location and product code (its inventory API
-- takes no master catalog), so that is the record's key; MasterCatalogName
-- stays required, as it names which catalog's product the code is.
return {
  name = "location_inventory",
  resource = "LocationInventory",
  format = "csv",
  key = { "LocationCode", "ProductCode" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "Locations", fields = { "LocationCode" } },
    { resource = "Products", fields = { "MasterCatalogName", "ProductCode" } },
  },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "ProductCode", required = true, maxlen = 100 },
    { "LocationCode", required = true, maxlen = 50 },
    { "ParentProductCode", maxlen = 100 },
    { "StockOnHand", type = "int" },
    { "StockUpdateOption", enum = { "Absolute", "Delta" } },
    { "StockOnBackOrder", type = "int", min = 0 },
    { "StockAvailable", type = "int" },
  },
}
