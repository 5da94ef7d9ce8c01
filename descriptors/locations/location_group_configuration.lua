-- Kibo "LocationGroupConfiguration" layout: fulfilment settings of a
-- location group for one site (pickup deadlines in hours).
return {
  name = "location_group_configuration",
  resource = "LocationGroupConfiguration",
  format = "csv",
  key = { "LocationGroupCode", "SiteId" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  refs = {
    { resource = "LocationGroup", fields = { "LocationGroupCode" } },
  },
  context = { site = "SiteId" },
  fields = {
    { "LocationGroupCode", required = true, maxlen = 50 },
    { "SiteId", required = true, type = "int", min = 1 },
    { "CustomerFailedToPickupAfterAction", required = true, maxlen = 50 },
    { "CustomerFailedToPickupDeadline", required = true, type = "int", min = 0 },
    { "SendCustomerPickupReminder", required = true, type = "int", min = 0 },
    { "DefaultCarrier", required = true, maxlen = 50 },
    { "PrintReturnLabel", required = true, type = "bool" },
    { "DefaultPrinterType", required = true, maxlen = 50 },
    { "LastModifiedDate", type = "datetime" },
  },
}
