-- validate never returns for rows named "loop"; the budget must stop it.
return {
  name = "things",
  resource = "Things",
  entry = "things.csv",
  key = "Code",
  fields = { { "Code", required = true }, { "Name" } },
  validate = function(row)
    if row.Name == "loop" then
      local n = 0
      while true do
        n = n + 1
      end
    end
    if row.Name == "hog" then
      local t = {} -- luacheck: no unused
      for i = 1, math.maxinteger do
        t[i] = string.rep("x", 64) .. i
      end
    end
    if row.Name == "bad" then
      return false, "names may not be 'bad'"
    end
    if row.Name == "boom" then
      error("exploded on " .. row.Code)
    end
    return true
  end,
}
