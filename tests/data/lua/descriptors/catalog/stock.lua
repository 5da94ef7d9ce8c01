-- Stock deltas: the row carries a change, map adds it to the stored level.
return {
  resource = "Stock",
  key = "SKU",
  fields = {
    "SKU",
    { "Stock", type = "int" },
    "Name",
    { "Price", type = "decimal" },
    { "Tags", multi = true },
    { "Active", type = "bool" },
    { "Updated", type = "date" },
    { "Delta", type = "int" },
  },
  map = function(row, existing)
    if row.SKU == "FN" then
      return { SKU = row.SKU, Stock = function() end }
    elseif row.SKU == "NIL" then
      return nil, "nothing to store for " .. row.SKU
    elseif row.SKU == "TXT" then
      -- strings for typed fields: kept typed (and normalised) only when valid
      return {
        SKU = row.SKU,
        Stock = "+007",
        Name = "12345678901234567890",
        Price = "-.50",
        Tags = "x",
        Active = "yes",
        Updated = "2024-02-30",
        Delta = "99999999999999999999",
        Extra = "true",
      }
    end
    local base = existing and existing.Stock or 0
    return {
      SKU = row.SKU,
      Stock = base + row.Delta,
      Name = existing and existing.Name or "new",
      Price = row.Price * 2,
      Tags = row.Tags,
      Active = row.Active,
      Updated = row.Day,
      Ratio = 1 / 4,
      Note = "delta " .. row.Delta,
      Big = 1e21,
    }
  end,
}
