-- A blank cell clears its field.
return require("request.item_layout")("clear", { empty = "clear" })
