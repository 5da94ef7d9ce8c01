-- Scripts may change the row they get; nothing may leak into the next row.
return {
  resource = "Mutate",
  key = "SKU",
  fields = { "SKU", "Qty", "Other" },
  validate = function(row)
    local sku = row.SKU
    if row.Extra ~= nil or row.Raw ~= nil then
      return false, "stale key"
    elseif sku == "add" then
      row.Extra = 1
    elseif sku == "raw" then
      rawset(row, "Raw", 1)
    elseif sku == "clear" then
      row.Qty = nil
    elseif sku == "qty" and row.Qty ~= 5 then
      return false, "Qty is " .. tostring(row.Qty)
    elseif sku == "empty" and row.Qty ~= nil then
      return false, "Qty is " .. tostring(row.Qty)
    elseif sku == "other" and (row.Qty ~= nil or row.Other ~= "x") then
      return false, "other row wrong"
    elseif sku == "back" and (row.Other ~= nil or row.Qty ~= 5) then
      return false, "stale Other"
    end
    return true
  end,
}
