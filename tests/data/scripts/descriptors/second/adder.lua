-- Adds each row's Qty to the stored one and counts the updates: a row
-- applied twice, or lost, shows in the totals.
return {
  name = "adder",
  resource = "Totals",
  entry = "adder-*.csv",
  key = "Code",
  batch_size = 50,
  accumulate = true, -- every row of a key adds: duplicates are the point
  fields = {
    { "Code", required = true },
    { "Qty", type = "int", required = true },
  },
  map = function(row, existing)
    return {
      Code = row.Code,
      Qty = row.Qty + (existing and existing.Qty or 0),
      Updates = (existing and existing.Updates or 0) + 1,
    }
  end,
}
