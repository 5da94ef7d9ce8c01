-- Colours as free text: the records hold the words themselves.
return {
  name = "plain",
  resource = "Swatches",
  entry = "swatches.csv",
  key = "Code",
  fields = {
    { "Code", required = true },
    { "Colour" },
  },
}
