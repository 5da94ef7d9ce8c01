-- Like things, validated whole before anything is written.
return {
  name = "strict",
  resource = "Things",
  entry = "things*.csv",
  key = "Code",
  on_error = "strict",
  fields = {
    { "Code", required = true },
    { "Name" },
    { "Qty", type = "int" },
  },
  -- A Lua call per row: the validation pass takes long enough to be interrupted.
  validate = function(row)
    return row.Code ~= ""
  end,
}
