-- BMEcat articles: one record per ARTICLE; catalog id and currency come
-- from the HEADER and are inherited by every article.
return {
  resource = "SupplierArticles",
  format = "xml",
  entry = "bmecat*.xml",
  record = "/BMECAT/T_NEW_CATALOG/ARTICLE",
  key = { "CatalogId", "SupplierAid" },
  fields = {
    { "CatalogId", path = "/BMECAT/HEADER/CATALOG/CATALOG_ID" },
    { "Currency", path = "/BMECAT/HEADER/CATALOG/CURRENCY", enum = { "EUR", "CHF" } },
    { "SupplierAid", path = "SUPPLIER_AID", pattern = "[A-Za-z0-9][A-Za-z0-9_.-]*" },
    { "Mode", path = "@mode" },
    { "Description", path = "ARTICLE_DETAILS/DESCRIPTION_SHORT", maxlen = 80 },
    { "Ean", path = "ARTICLE_DETAILS/EAN", pattern = "[0-9]{13}" },
    { "NetPrice", type = "decimal", min = 0,
      path = "ARTICLE_PRICE_DETAILS/ARTICLE_PRICE[@price_type='net_list']/PRICE_AMOUNT" },
    { "ListPrice", type = "decimal", min = 0,
      path = 'ARTICLE_PRICE_DETAILS/ARTICLE_PRICE[@price_type="gros_list"]/PRICE_AMOUNT' },
    { "Weight", type = "decimal", path = "ARTICLE_FEATURES/WEIGHT" },
    { "WeightUnit", path = "ARTICLE_FEATURES/WEIGHT/@unit" },
    { "Keywords", multi = true, path = "ARTICLE_DETAILS/KEYWORD" },
    { "Images", multi = true, path = "MIME_INFO/MIME/MIME_SOURCE" },
  },
}
