-- `impex import --group webshop/products FILE.csv`: loads (upserts) webshop
-- products, which the update channel then keeps current.
return {
  description = "Webshop products (load: upsert, per-row operation column)",
  steps = { "products" },
}
