-- Kibo "LocationGroupCarrierConfig" layout: a carrier's settings for a
-- location group and site; ShippingMethods is a CR-separated list.
return {
  name = "location_group_carrier_config",
  resource = "LocationGroupCarrierConfig",
  format = "csv",
  key = { "LocationGroupCode", "SiteId", "CarrierType" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "LocationGroup", fields = { "LocationGroupCode" } },
  },
  context = { site = "SiteId" },
  fields = {
    { "LocationGroupCode", required = true, maxlen = 50 },
    { "SiteId", required = true, type = "int", min = 1 },
    { "CarrierType", required = true, maxlen = 50 },
    { "IsEnabled", required = true, type = "bool" },
    { "EnableSmartPost", required = true, type = "bool" },
    { "Express1DayDefault", required = true, maxlen = 100 },
    { "Express2DayDefault", required = true, maxlen = 100 },
    { "Express3DayDefault", required = true, maxlen = 100 },
    { "ReturnLabelShippingMethod", required = true, maxlen = 100 },
    { "ShippingMethods", required = true, multi = true, maxlen = 100 },
    { "StandardDefault", required = true, maxlen = 100 },
  },
}
