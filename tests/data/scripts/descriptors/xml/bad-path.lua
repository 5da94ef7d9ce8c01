-- A csv descriptor may not carry xml paths.
return {
  resource = "Bad",
  key = "Code",
  fields = { { "Code", path = "CODE" } },
}
