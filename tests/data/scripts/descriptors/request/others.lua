-- Another resource, for another group.
return {
  resource = "Others",
  entry = "others*.csv",
  key = "Code",
  fields = { { "Code", required = true }, { "Name" } },
}
