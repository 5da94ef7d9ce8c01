-- The same BMEcat file, a second resource: ARTICLE_TO_CATALOGGROUP_MAP
-- records (found at any depth by their name).
return {
  resource = "ArticleGroupLinks",
  format = "xml",
  entry = "bmecat*.xml",
  record = "ARTICLE_TO_CATALOGGROUP_MAP",
  key = { "CatalogId", "SupplierAid", "GroupId" },
  fields = {
    { "CatalogId", path = "/BMECAT/HEADER/CATALOG/CATALOG_ID" },
    { "SupplierAid", path = "ART_ID" },
    { "GroupId", path = "CATALOG_GROUP_ID" },
    { "Position", type = "int", path = "ARTICLE_TO_CATALOGGROUP_MAP_ORDER" },
  },
}
