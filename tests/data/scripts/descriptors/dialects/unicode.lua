-- Words in the "unicode" dialect.
return require("dialects.layout")("unicode", "unicode*.txt", { delimiter = "\t" })
