-- Items per master catalog: duplicates within a job are rejected (the default).
return {
  name = "items",
  resource = "Items",
  entry = "items*.csv",
  key = { "Catalog", "Code" },
  batch_size = 2,
  context = { masterCatalog = "Catalog" },
  fields = {
    { "Catalog", required = true },
    { "Code", required = true },
    { "Name" },
    { "Qty", type = "int" },
  },
}
