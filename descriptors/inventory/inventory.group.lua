-- Inventory: stock per location and product; a file may bring the
-- locations (and their types) it refers to.
return {
  description = "Inventory",
  steps = { "locations/location_types", "locations/locations", "location_inventory" },
  requires = { "location_inventory" },
}
