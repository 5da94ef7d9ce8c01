-- Inserts with a small max_errors: rows the writer rejects (existing keys) count too.
return {
  name = "capped",
  resource = "Things",
  entry = "things*.csv",
  key = "Code",
  operation = "insert",
  max_errors = 2,
  batch_size = 2,
  fields = {
    { "Code", required = true },
    { "Name" },
    { "Qty", type = "int" },
  },
}
