-- Words in the "plain" dialect.
return require("dialects.layout")("plain", "plain*.csv", {})
