-- Stock movements: every row of a SKU applies, in order, adding to the stored level.
return {
  name = "moves",
  resource = "Stock",
  entry = "moves*.csv",
  key = "SKU",
  accumulate = true,
  fields = {
    { "SKU", required = true },
    { "Delta", type = "int" },
    { "OnHand", type = "int" },
  },
  map = function(row, existing)
    return { SKU = row.SKU, OnHand = (existing and existing.OnHand or 0) + (row.Delta or 0) }
  end,
}
