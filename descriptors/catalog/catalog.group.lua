-- Catalog & PIM: every catalog resource, each after the resources it
-- refers to: attributes and their values, product types and their
-- attributes, categories, products and what belongs to them, locations and
-- inventory, price lists and their entries. A file must bring Products.csv.
return {
  description = "Catalog & PIM",
  steps = {
    "attributes",
    "attribute_values",
    "product_types",
    "product_type_attributes",
    "product_type_attribute_values",
    "categories",
    "category_images",
    "sort_definitions",
    "images",
    "products",
    "product_property_locale",
    "product_catalog",
    "product_bundles",
    "product_options",
    "product_options_locale",
    "product_extras",
    "product_images",
    "product_rankings",
    "locations/location_types",
    "locations/locations",
    "locations/location_group",
    "locations/location_group_configuration",
    "locations/location_group_box_type_config",
    "locations/location_group_carrier_config",
    "inventory/location_inventory",
    "pricing/pricelists",
    "pricing/pricelist_entries",
    "pricing/pricelist_entry_prices",
    "pricing/pricelist_entry_extras",
  },
  requires = { "products" },
}
