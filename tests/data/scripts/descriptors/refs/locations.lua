-- Locations: the target of the inventory's second reference.
return {
  resource = "Locations",
  entry = "locations*.csv",
  key = "LocationCode",
  fields = { { "LocationCode", required = true }, { "Name" } },
}
