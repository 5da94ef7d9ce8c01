-- Rows may not insert.
return require("request.item_layout")("limited", { operations = { "upsert", "update", "delete" } })
