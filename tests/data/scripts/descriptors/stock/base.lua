-- Stock levels per SKU: the records the delta import adds to.
return {
  name = "base",
  resource = "Inventory",
  entry = "base.csv",
  key = "SKU",
  fields = {
    { "SKU", required = true },
    { "Stock", type = "int", required = true },
    { "Location" },
  },
}
