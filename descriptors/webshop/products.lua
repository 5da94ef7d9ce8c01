-- Loading webshop products: the layout of the update channel
-- (products-update.lua) with upsert, and an optional "operation" column so one
-- file may also insert, update or delete single products.
local update = require("webshop.products-update")

local d = {}
for k, v in pairs(update) do
  d[k] = v
end
d.name = "products"
d.operation = "upsert"
d.operations = { "upsert", "insert", "update", "delete" }
d.operation_column = "operation"
return d
