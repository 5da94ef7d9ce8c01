-- Operation "insert" on the Things resource.
return {
  name = "insert",
  resource = "Things",
  entry = "insert*.csv",
  key = "Code",
  operation = "insert",
  fields = { { "Code", required = true }, { "Name" }, { "Price", type = "decimal" } },
}
