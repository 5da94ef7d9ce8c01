-- Operation "delete" on the Things resource.
return {
  name = "delete",
  resource = "Things",
  entry = "delete*.csv",
  key = "Code",
  operation = "delete",
  fields = { { "Code", required = true }, { "Name" }, { "Price", type = "decimal" } },
}
