-- A large generated feed; map counts how often each record was applied, so
-- a record applied twice after a crash shows.
return {
  resource = "ResumeItems",
  format = "xml",
  entry = "items*.xml",
  record = "item",
  key = "Code",
  batch_size = 200,
  fields = {
    { "Code", path = "@code" },
    { "Header", path = "/feed/@batch" },
    { "Name", path = "name" },
    { "Qty", type = "int", path = "qty" },
    { "Tags", multi = true, path = "tag" },
    { "Applied", type = "int" },
  },
  map = function(row, existing)
    row.Applied = (existing and existing.Applied or 0) + 1
    return row
  end,
}
