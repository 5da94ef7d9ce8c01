-- Changes every shared table it can reach; observe.lua (the next step) must not see it.
-- luacheck: ignore 122
return {
  name = "tamper",
  resource = "Tamper",
  entry = "tamper.csv",
  key = "Code",
  fields = { { "Code", required = true } },
  validate = function()
    local _, s = pairs(string)
    s.upper = function() return "hacked" end
    rawset(string, "rep", function() return "hacked" end)
    os.time = function() return "hacked" end
    require("loop.shared").value = "hacked"
    return string.upper("x") == "hacked", "tampering had no effect even here"
  end,
}
