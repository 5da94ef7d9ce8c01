-- A map that upper-cases names; it sees a cleared field as nil.
return require("request.item_layout")("mapped", {
  map = function(row)
    if row.Name then
      row.Name = string.upper(row.Name)
    end
    return row
  end,
})
