-- Words in the "quote" dialect.
return require("dialects.layout")("quote", "quote*.csv", { quote = "'" })
