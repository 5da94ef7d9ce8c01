-- insert whose map upper-cases names and refuses some rows.
return {
  name = "mapped",
  resource = "Things",
  entry = "mapped*.csv",
  key = "Code",
  operation = "insert",
  fields = { { "Code", required = true }, { "Name" } },
  map = function(row)
    if row.Name == "refuse" then
      return nil, "map refused " .. row.Code
    end
    return { Code = row.Code, Name = string.upper(row.Name or "") }
  end,
}
