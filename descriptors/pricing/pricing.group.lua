-- Pricing: price lists (parents first), their entries and the entries'
-- tiered and extra prices.
return {
  description = "Pricing",
  steps = { "pricelists", "pricelist_entries", "pricelist_entry_prices", "pricelist_entry_extras" },
}
