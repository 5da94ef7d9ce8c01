-- Words in the "semicolon" dialect.
return require("dialects.layout")("semicolon", "semicolon*.csv", { delimiter = ";", encoding = "windows-1252" })
