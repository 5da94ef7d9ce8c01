-- `impex import --group webshop/products-update FILE.csv`: updates of products
-- the webshop already holds, in batches of 500; uploads over 5 MB are refused.
return {
  description = "Webshop product updates (update only)",
  steps = { "products-update" },
  max_upload = "5 MB",
}
