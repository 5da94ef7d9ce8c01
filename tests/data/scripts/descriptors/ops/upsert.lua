-- Operation "upsert" on the Things resource.
return {
  name = "upsert",
  resource = "Things",
  entry = "upsert*.csv",
  key = "Code",
  operation = "upsert",
  fields = { { "Code", required = true }, { "Name" }, { "Price", type = "decimal" } },
}
