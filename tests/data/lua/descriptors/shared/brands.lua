return {
  resource = "Brands",
  key = "Code",
  fields = { "Code", "Name" },
}
