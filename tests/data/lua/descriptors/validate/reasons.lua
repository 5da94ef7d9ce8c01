-- validate outcomes: accept, reject with or without a reason, errors.
return {
  resource = "Reasons",
  key = "SKU",
  fields = { "SKU" },
  validate = function(row)
    local sku = row.SKU
    if sku == "X" then
      return false, "SKU " .. sku .. " is blocked"
    elseif sku == "N" then
      return nil
    elseif sku == "E" then
      error("boom")
    elseif sku == "T" then
      error({ code = 7 })
    elseif sku == "A" then
      return nil + 1
    elseif sku == "V" then
      return
    end
    return true
  end,
}
