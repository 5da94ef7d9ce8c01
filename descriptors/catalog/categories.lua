-- Kibo "Categories" layout: one row per category of a catalog.
return {
  name = "categories",
  resource = "Categories",
  format = "csv",
  key = { "CatalogName", "CategoryCode" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" }, -- what --operation may choose
  refs = { -- a parent comes before its children
    { resource = "Categories", fields = { "CatalogName", "ParentCategoryCode" } },
  },
  context = { catalog = "CatalogName" },
  fields = {
    { "CatalogName", required = true, maxlen = 100 },
    { "CategoryCode", required = true, maxlen = 100, pattern = "[A-Za-z0-9][A-Za-z0-9_.-]*" },
    { "CategoryName", required = true, maxlen = 255 },
    { "CategoryType", required = true, enum = { "Static", "Dynamic", "DynamicPreComputed" } },
    { "CategoryId", type = "int", min = 1 },
    { "ParentCategoryCode", maxlen = 100 },
    { "Expression", maxlen = 4000 },
    { "IsDisplayed", type = "bool" },
    { "IsActive", type = "bool" },
    { "Sequence", type = "int", min = 0 },
    { "MetaTagTitle", maxlen = 255 },
    { "MetaTagDescription", maxlen = 1000 },
    { "PageTitle", maxlen = 255 },
    { "CategoryDescription" },
    { "MetaTagKeyWords", maxlen = 1000 },
    { "SEOUrl", maxlen = 255 },
  },
}
