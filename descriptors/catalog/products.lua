-- Kibo "Products" layout: the 11 required and 25 optional columns of the
-- platform's product export. Codes stay text: leading zeros and long numeric
-- codes survive; a code that a spreadsheet turned into scientific notation
-- ("1.23457E+11") fails the pattern and is rejected instead of stored.
local money = { type = "decimal", min = 0 }
local size = { type = "decimal", min = 0, required = true }

local function with(name, rule)
  local r = { name }
  for k, v in pairs(rule) do r[k] = v end
  return r
end

return {
  name = "products",
  resource = "Products",
  format = "csv",
  key = { "MasterCatalogName", "ProductCode" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" }, -- what --operation may choose
  refs = {
    { resource = "ProductTypes", fields = { "MasterCatalogName", "ProductType" } },
  },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "ProductCode", required = true, maxlen = 100, pattern = "[A-Za-z0-9][A-Za-z0-9_.-]*" },
    { "ProductType", required = true, maxlen = 100 },
    { "ProductUsage", required = true, enum = { "Standard", "Configurable", "Bundle", "Component" } },
    { "ProductName", required = true, maxlen = 500 },
    with("Price", { type = "decimal", min = 0, required = true }),
    { "VariationPricingMethod", required = true, enum = { "None", "Delta", "Fixed" } },
    with("PackageWeight", size),
    with("PackageLength", size),
    with("PackageWidth", size),
    with("PackageHeight", size),
    with("SalePrice", money),
    with("Cost", money),
    with("MSRP", money),
    with("MAP", money),
    { "MAPEffectiveStartDate", type = "datetime" },
    { "MAPEffectiveEndDate", type = "datetime" },
    { "RestrictDiscount", type = "bool" },
    { "RestrictDiscountStartDate", type = "datetime" },
    { "RestrictDiscountEndDate", type = "datetime" },
    { "ManufacturerPartNumber", maxlen = 100 },
    { "UPC", maxlen = 50, pattern = "[0-9]*" },
    { "DistributorPartNumber", maxlen = 100 },
    { "IsTaxable", type = "bool" },
    { "ManageStock", type = "bool" },
    { "IsPackagedStandAlone", type = "bool" },
    { "OutOfStockBehavior", enum = { "DisplayMessage", "HideProduct", "AllowBackOrder" } },
    { "FulfillmentTypes", multi = true, enum = { "DirectShip", "InStorePickup", "Delivery" } },
    { "ProductShortDescription", maxlen = 4000 },
    { "ContentFullProductDescription" },
    { "ContentFullProductDescription2" },
    { "ContentFullProductDescription3" },
    { "SEOMetaTagTitle", maxlen = 255 },
    { "SEOMetaTagDescription", maxlen = 1000 },
    { "SEOMetaTagKeywords", maxlen = 1000 },
    { "SEOFriendlyURL", maxlen = 255 },
  },
}
