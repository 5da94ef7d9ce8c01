-- Kibo "Images" layout: the image library of a master catalog, by URL.
return {
  name = "images",
  resource = "Images",
  format = "csv",
  key = { "MasterCatalogName", "ImageUrl" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "ImageUrl", required = true, maxlen = 2000 },
    { "Name", maxlen = 255 },
    { "Id", maxlen = 100 },
    { "Tags", multi = true, maxlen = 100 },
  },
}
