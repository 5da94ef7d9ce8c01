return {
  description = "Catalog: products, then stock, then brands",
  steps = { "products", "stock", "shared/brands" },
}
