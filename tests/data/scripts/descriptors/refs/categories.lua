-- Categories refer to their parent, a category of the same catalog.
return {
  resource = "Categories",
  entry = "categories*.csv",
  key = { "CatalogName", "CategoryCode" },
  fields = {
    { "CatalogName", required = true },
    { "CategoryCode", required = true },
    { "ParentCategoryCode" },
    { "Name" },
  },
  refs = { { resource = "Categories", fields = { "CatalogName", "ParentCategoryCode" } } },
}
