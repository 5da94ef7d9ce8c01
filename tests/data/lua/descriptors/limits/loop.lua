-- Never-ending validate, in two flavours.
return {
  resource = "Loop",
  key = "SKU",
  fields = { "SKU", "Mode" },
  validate = function(row)
    if row.Mode == "loop" then
      while true do end -- luacheck: ignore 541
    elseif row.Mode == "sneaky" then
      -- pcall must not be a way around the budget
      while true do
        pcall(function() while true do end end) -- luacheck: ignore 541
      end
    end
    return true
  end,
}
