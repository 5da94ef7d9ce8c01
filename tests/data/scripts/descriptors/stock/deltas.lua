-- Adds each row's Delta to the stored Stock: a row applied twice shows.
return {
  name = "deltas",
  resource = "Inventory",
  entry = "deltas.csv",
  accumulate = true, -- a SKU may move several times in one file
  key = "SKU",
  fields = {
    { "SKU", required = true },
    { "Delta", type = "int", required = true },
  },
  map = function(row, existing)
    local stock = existing and existing.Stock or 0
    return { SKU = row.SKU, Stock = stock + row.Delta, Updates = (existing and existing.Updates or 0) + 1 }
  end,
}
