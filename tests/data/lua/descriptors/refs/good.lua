-- Two references: one named, one by its resource.
return {
  resource = "Inventory",
  key = { "Loc", "Code" },
  fields = { "Loc", "Cat", "Code", "Qty" },
  refs = {
    { resource = "Products", fields = { "Cat", "Code" } },
    { name = "location", resource = "Locations", fields = { "loc" } },
  },
}
