-- Locations: location types, locations, location groups and their
-- per-site configurations, in dependency order.
return {
  description = "Locations",
  steps = {
    "location_types",
    "locations",
    "location_group",
    "location_group_configuration",
    "location_group_box_type_config",
    "location_group_carrier_config",
  },
}
