-- Words in the "be" dialect.
return require("dialects.layout")("be", "be*.csv", { encoding = "utf-16be" })
