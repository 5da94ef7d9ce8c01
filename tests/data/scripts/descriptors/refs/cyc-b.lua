-- The other half: B refers to A.
return {
  resource = "CycB",
  entry = "b*.csv",
  key = "Code",
  fields = { { "Code", required = true }, { "A" } },
  refs = { { resource = "CycA", fields = { "A" } } },
}
