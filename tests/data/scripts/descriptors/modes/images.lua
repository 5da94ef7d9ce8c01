-- Images per master catalog and locale: refused without a contextOverride giving both.
return {
  name = "images",
  resource = "ProductImages",
  entry = "images*.csv",
  key = { "MasterCatalogName", "ProductCode", "LocaleCode" },
  context = { masterCatalog = "MasterCatalogName", locale = "LocaleCode" },
  context_required = true,
  fields = {
    { "MasterCatalogName", required = true },
    { "ProductCode", required = true },
    { "LocaleCode", required = true, pattern = "[a-z][a-z]-[A-Z][A-Z]" },
    { "Url", required = true },
  },
}
