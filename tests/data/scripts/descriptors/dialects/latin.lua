-- Words in the "latin" dialect.
return require("dialects.layout")("latin", "latin*.csv", { encoding = "iso-8859-1" })
