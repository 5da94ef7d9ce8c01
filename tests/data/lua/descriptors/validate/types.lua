-- Checks the Lua shape of every value type of a row.
return {
  resource = "Types",
  key = "S",
  fields = { "S", "I", "D", "B", "F", "L", "E", "Day", "Big" },
  validate = function(row)
    local checks = {
      { row.S == "text", "S" },
      { math.type(row.I) == "integer" and row.I == -42, "I" },
      { math.type(row.D) == "float" and row.D == 12.5, "D" },
      { row.B == true, "B" },
      { row.F == false, "F" },
      { type(row.L) == "table" and #row.L == 3 and row.L[1] == "a" and row.L[2] == "" and row.L[3] == "c", "L" },
      { row.E == nil, "E" },
      { row.Day == "2024-02-29", "Day" },
      { row.Big == "123456789012345678901234567890", "Big" },
    }
    for _, c in ipairs(checks) do
      if not c[1] then
        return false, "bad " .. c[2]
      end
    end
    return true
  end,
}
