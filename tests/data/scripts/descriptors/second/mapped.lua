-- map results go through the descriptor's rules: Mode says how this row's map misbehaves.
return {
  name = "mapped",
  resource = "Things",
  entry = "mapped.csv",
  key = "Code",
  fields = {
    { "Code", required = true },
    { "Mode", enum = { "ok", "int", "date", "key", "dropkey", "empty" } },
    { "Qty", type = "int" },
    { "When", type = "datetime" },
    { "Name", required = true },
  },
  map = function(row)
    local out = { Code = row.Code, Mode = row.Mode, Qty = row.Qty, Name = row.Name, Extra = "kept" }
    if row.Mode == "int" then out.Qty = "abc" end
    if row.Mode == "date" then out.When = "not a date" end
    if row.Mode == "key" then out.Code = row.Code .. "-other" end
    if row.Mode == "dropkey" then out.Code = nil end
    if row.Mode == "empty" then out.Name = nil end
    return out
  end,
}
