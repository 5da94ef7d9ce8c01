-- Operation "update" on the Things resource.
return {
  name = "update",
  resource = "Things",
  entry = "update*.csv",
  key = "Code",
  operation = "update",
  fields = { { "Code", required = true }, { "Name" }, { "Price", type = "decimal" } },
}
