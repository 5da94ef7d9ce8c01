-- Kibo "Locations" layout: stores and warehouses. Column names hold spaces
-- ("Shipping Contact PhoneNumber", "Hours of operation - Monday") as the
-- platform writes them. LocationTypeCodes is a CR-separated list, so it
-- carries no reference check.
local function hours(day)
  return { "Hours of operation - " .. day, maxlen = 100 }
end

return {
  name = "locations",
  resource = "Locations",
  format = "csv",
  key = { "LocationCode" },
  operation = "upsert",
  operations = { "upsert", "insert", "update", "delete" },
  fields = {
    { "LocationTypeCodes", required = true, multi = true, maxlen = 50 },
    { "LocationCode", required = true, maxlen = 50, pattern = "[A-Za-z0-9][A-Za-z0-9_.-]*" },
    { "Name", required = true, maxlen = 255 },
    { "IsDisabled", required = true, type = "bool" },
    { "Address1", required = true, maxlen = 255 },
    { "AddressType", required = true, enum = { "Residential", "Commercial" } },
    { "CityOrTown", required = true, maxlen = 100 },
    { "CountryCode", required = true, pattern = "[A-Z][A-Z]" },
    { "PostalOrZipCode", required = true, maxlen = 20 },
    { "StateOrProvince", required = true, maxlen = 100 },
    { "Shipping Contact CompanyOrOrganization", required = true, maxlen = 255 },
    { "Shipping Contact PhoneNumber", required = true, maxlen = 30 },
    { "SupportsInventory", required = true, type = "bool" },
    { "AllowFulfillmentWithNoStock", required = true, type = "bool" },
    { "Latitude", required = true, type = "decimal", min = -90, max = 90 },
    { "Longitude", required = true, type = "decimal", min = -180, max = 180 },
    { "Express", required = true, type = "bool" },
    { "TransferEnabled", required = true, type = "bool" },
    { "IncludeInLocationExport", required = true, type = "bool" },
    { "IncludeInInventoryAggregrate", required = true, type = "bool" }, -- sic: the platform's spelling
    { "WarehouseEnabled", required = true, type = "bool" },
    { "Description", maxlen = 1000 },
    { "FulfillmentTypes", multi = true, maxlen = 50 },
    { "Address2", maxlen = 255 },
    { "Address3", maxlen = 255 },
    { "Address4", maxlen = 255 },
    { "Shipping Contact Email", maxlen = 255 },
    { "Shipping Contact FirstName", maxlen = 100 },
    { "Shipping Contact LastNameOrSurname", maxlen = 100 },
    { "Shipping Contact MiddleNameOrInitial", maxlen = 100 },
    { "Fax", maxlen = 30 },
    { "Phone", maxlen = 30 },
    { "Notes", maxlen = 4000 },
    { "Tags", multi = true, maxlen = 100 },
    hours("Sunday"),
    hours("Monday"),
    hours("Tuesday"),
    hours("Wednesday"),
    hours("Thursday"),
    hours("Friday"),
    hours("Saturday"),
    { "LastModifiedDate", type = "datetime" },
  },
}
