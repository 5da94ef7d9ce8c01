-- Kibo "CategoryImages" layout: images shown on a category page.
return {
  name = "category_images",
  resource = "CategoryImages",
  format = "csv",
  key = { "CatalogName", "CategoryCode", "ImageName" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "Categories", fields = { "CatalogName", "CategoryCode" } },
  },
  context = { catalog = "CatalogName", locale = "LocaleCode" },
  fields = {
    { "CatalogName", required = true, maxlen = 100 },
    { "CategoryCode", required = true, maxlen = 100 },
    { "ImageName", required = true, maxlen = 255 },
    { "LocaleCode", maxlen = 10, pattern = "[a-z][a-z]([-_][A-Za-z0-9]+)*" },
    { "AltText", maxlen = 255 },
    { "ImageLabel", maxlen = 255 },
    { "Order", type = "int", min = 0 },
  },
}
