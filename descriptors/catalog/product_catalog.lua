-- Kibo "ProductCatalog" layout: a master-catalog product as one site catalog
-- shows it (active or not, its categories, catalog-level content and prices).
-- CategoryCodes is a CR-separated list, so it carries no reference check.
local money = { type = "decimal", min = 0 }

local function with(name, rule)
  local r = { name }
  for k, v in pairs(rule) do r[k] = v end
  return r
end

return {
  name = "product_catalog",
  resource = "ProductCatalog",
  format = "csv",
  key = { "MasterCatalogName", "CatalogName", "ProductCode" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "Products", fields = { "MasterCatalogName", "ProductCode" } },
  },
  context = { masterCatalog = "MasterCatalogName", catalog = "CatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "CatalogName", required = true, maxlen = 100 },
    { "ProductCode", required = true, maxlen = 100 },
    { "IsActive", required = true, type = "bool" },
    { "CategoryCodes", multi = true, maxlen = 100 },
    { "ProductName", maxlen = 500 },
    with("Price", money),
    with("SalePrice", money),
    with("MSRP", money),
    with("MAP", money),
    { "MAPEffectiveStartDate", type = "datetime" },
    { "MAPEffectiveEndDate", type = "datetime" },
    { "ProductShortDescription", maxlen = 4000 },
    { "ContentFullProductDescription" },
    { "SEOMetaTagTitle", maxlen = 255 },
    { "SEOMetaTagDescription", maxlen = 1000 },
    { "SEOMetaTagKeywords", maxlen = 1000 },
    { "SEOFriendlyURL", maxlen = 255 },
  },
}
