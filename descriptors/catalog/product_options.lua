-- Kibo "ProductOptions" layout: one variation of a configurable product
-- (VariationCode), with its price and weight adjustments.
local money = { type = "decimal", min = 0 }

local function with(name, rule)
  local r = { name }
  for k, v in pairs(rule) do r[k] = v end
  return r
end

return {
  name = "product_options",
  resource = "ProductOptions",
  format = "csv",
  key = { "MasterCatalogName", "ProductCode", "VariationCode" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "Products", fields = { "MasterCatalogName", "ProductCode" } },
  },
  context = { masterCatalog = "MasterCatalogName" },
  fields = {
    { "MasterCatalogName", required = true, maxlen = 100 },
    { "ProductCode", required = true, maxlen = 100 },
    { "VariationCode", required = true, maxlen = 100, pattern = "[A-Za-z0-9][A-Za-z0-9_.-]*" },
    { "Enabled", required = true, type = "bool" },
    { "ExtraPrice", type = "decimal" }, -- a delta: may be negative
    with("FixedListPrice", money),
    with("FixedSalePrice", money),
    with("FixedMSRP", money),
    { "DeltaMSRP", type = "decimal" },
    with("FixedWeight", money),
    { "ExtraWeight", type = "decimal" },
    { "ExtraCost", type = "decimal" },
    { "FulfillmentTypes", multi = true, enum = { "DirectShip", "InStorePickup", "Delivery" } },
    { "MfgPartNo", maxlen = 100 },
    { "UPC", maxlen = 50, pattern = "[0-9]*" },
    { "DistPartNo", maxlen = 100 },
  },
}
