-- A path whose prefix the descriptor does not declare.
return {
  resource = "Bad",
  format = "xml",
  record = "item",
  key = "Code",
  fields = { { "Code", path = "g:id" } },
}
