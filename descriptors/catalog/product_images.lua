-- Kibo "ProductImages" layout: a product's images (and videos) in order.
return {
  name = "product_images",
  resource = "ProductImages",
  format = "csv",
  key = { "MasterCatalogName", "ProductCode", "Name" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "Products", fields = { "MasterCatalogName", "ProductCode" } },
  },
  context = { masterCatalog = "MasterCatalogName" },
  context_required = true, -- images belong to one master catalog: import --context masterCatalog=NAME
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "ProductCode", required = true, maxlen = 100 },
    { "Name", required = true, maxlen = 255 },
    { "Sequence", type = "int", min = 0 },
    { "AltText", maxlen = 255 },
    { "ImageLabel", maxlen = 255 },
    { "VideoUrl", maxlen = 2000 },
  },
}
