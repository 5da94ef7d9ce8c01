-- A small layout for the core's edge cases: any bytes in Name.
return {
  name = "things",
  resource = "Things",
  entry = "things*.csv",
  key = "Code",
  operations = { "upsert", "insert" },
  fields = {
    { "Code", required = true },
    { "Name" },
    { "Qty", type = "int" },
  },
}
