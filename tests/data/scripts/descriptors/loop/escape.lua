-- Tries to leave the sandbox from validate; every attempt must fail.
return {
  name = "escape",
  resource = "Things",
  entry = "escape.csv",
  key = "Code",
  fields = { { "Code", required = true }, { "How" } },
  validate = function(row)
    local how = row.How
    if how == "os" then os.execute("touch /tmp/impex-escaped") end
    if how == "io" then io.open("/tmp/impex-escaped", "w") end
    if how == "require" then require("../../../etc/passwd") end
    if how == "load" then load(string.dump(function() end)) end
    if how == "debug" then debug.sethook() end
    return true
  end,
}
