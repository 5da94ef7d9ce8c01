-- A custom sentinel.
return require("request.item_layout")("custom", { sentinel = "NULL" })
