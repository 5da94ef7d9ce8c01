-- Runs after tamper.lua in the same job: sees the real libraries and module.
return {
  name = "observe",
  resource = "Tamper",
  entry = "observe.csv",
  key = "Code",
  fields = { { "Code", required = true } },
  validate = function()
    if string.upper("x") ~= "X" then return false, "string.upper was changed" end
    if ("x"):upper() ~= "X" then return false, "the string methods were changed" end
    if string.rep("x", 2) ~= "xx" then return false, "string.rep was changed" end
    if type(os.time()) ~= "number" then return false, "os.time was changed" end
    if require("loop.shared").value ~= "original" then return false, "the module was changed" end
    return true
  end,
}
