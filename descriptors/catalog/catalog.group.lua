-- Catalog & PIM: categories first, then the products that sit in them.
return {
  description = "Catalog & PIM",
  steps = { "categories", "products" },
}
