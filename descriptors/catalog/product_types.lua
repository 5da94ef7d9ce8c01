-- Kibo "ProductTypes" layout: a product type and the product usages
-- (Standard, Configurable, Bundle, Component) it may be used for.
return {
  name = "product_types",
  resource = "ProductTypes",
  format = "csv",
  key = { "MasterCatalogName", "ProductType" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "ProductType", required = true, maxlen = 100 },
    { "Standard", required = true, type = "bool" },
    { "Configurable", required = true, type = "bool" },
    { "Bundle", required = true, type = "bool" },
    { "Component", required = true, type = "bool" },
    { "GoodsType", maxlen = 50 },
  },
}
