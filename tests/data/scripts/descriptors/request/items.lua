-- Every operation, chosen per row.
return require("request.item_layout")("items")
