-- The same layout, deleting the records of the file's master catalogs it did not hold.
return {
  name = "items-sweep",
  resource = "Items",
  entry = "items*.csv",
  key = { "Catalog", "Code" },
  delete_omitted = true,
  context = { masterCatalog = "Catalog" },
  fields = {
    { "Catalog", required = true },
    { "Code", required = true },
    { "Name" },
    { "Qty", type = "int" },
  },
}
