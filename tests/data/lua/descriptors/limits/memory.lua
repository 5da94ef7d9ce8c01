-- A validate that keeps allocating.
return {
  resource = "Memory",
  key = "SKU",
  fields = { "SKU", "Mode" },
  validate = function(row)
    if row.Mode == "grow" then
      local t = {} -- luacheck: ignore 241
      while true do
        t[#t + 1] = { #t }
      end
    elseif row.Mode == "huge" then
      local n = 0
      for i = 1, 2000 do n = n + i end
      local s = string.rep("x", 64 * 1024 * 1024)
      return #s > n
    elseif row.Mode == "instant" then
      return #string.rep("x", 64 * 1024 * 1024) > 0
    end
    return true
  end,
}
