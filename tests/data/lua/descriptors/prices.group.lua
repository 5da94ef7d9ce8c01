return {
  description = "Prices only",
  steps = { "catalog/products" },
}
