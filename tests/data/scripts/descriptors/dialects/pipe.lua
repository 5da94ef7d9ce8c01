-- Words in the "pipe" dialect.
return require("dialects.layout")("pipe", "pipe*.csv", { delimiter = "|" })
