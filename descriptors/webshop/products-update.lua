-- The webshop's product update channel: a shop sends changed products (price,
-- stock, active, texts) as CSV; only products already loaded are updated
-- (load them first with the group webshop/products). A blank cell leaves the
-- stored value; "~delete~" clears an optional field.
local UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

return {
  name = "products-update",
  resource = "WebshopProducts",
  entry = "*.csv",
  key = { "webshop_uuid", "identifier" },
  operation = "update",
  operations = { "update" },
  batch_size = 500,
  fields = {
    { "webshop_uuid", required = true, pattern = UUID },
    { "identifier", required = true, pattern = "[A-Za-z0-9][A-Za-z0-9._/-]*", maxlen = 64 },
    { "name", maxlen = 255 },
    { "description", maxlen = 65535 },
    { "brand", maxlen = 100 },
    { "category", maxlen = 255 },
    { "price", type = "decimal", min = 0 },
    { "sale_price", type = "decimal", min = 0 },
    { "currency", pattern = "[A-Z]{3}" },
    { "stock", type = "int", min = 0 },
    { "active", type = "bool" },
    { "ean", pattern = "[0-9]{8}|[0-9]{12,14}" },
    { "weight_kg", type = "decimal", min = 0 },
    { "image_url", pattern = "https?://[^ ]+", maxlen = 2048 },
    { "updated_at", type = "datetime" },
  },
}
