-- Half of a cycle: A refers to B.
return {
  resource = "CycA",
  entry = "a*.csv",
  key = "Code",
  fields = { { "Code", required = true }, { "B" } },
  refs = { { resource = "CycB", fields = { "B" } } },
}
