-- Runaways the instruction count alone did not stop: each row must end as a rejection.
local spaces = string.rep(" ", 100000)
return {
  name = "runaway",
  resource = "Runaway",
  entry = "runaway.csv",
  key = "Code",
  fields = { { "Code", required = true }, { "How" } },
  validate = function(row)
    if row.How == "xpcall" then
      xpcall(function() while true do end end, function() while true do end end) -- luacheck: ignore 541
    elseif row.How == "trim" then
      return ("x" .. spaces .. "x"):match("^%s*(.-)%s*$") ~= nil
    elseif row.How == "backtrack" then
      return not string.find(string.rep("a", 5000), string.rep("a*", 30) .. "b")
    end
    return true
  end,
}
