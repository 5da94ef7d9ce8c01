-- The same layout once the colours are declared: the store numbers them.
return {
  name = "enumerated",
  resource = "Swatches",
  entry = "swatches.csv",
  key = "Code",
  fields = {
    { "Code", required = true },
    { "Colour", enum = { "Red", "Green", "Blue" } },
  },
}
