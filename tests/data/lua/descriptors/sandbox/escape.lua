-- Each function tries something the sandbox must refuse (or allow).
-- luacheck: globals io debug dofile loadfile collectgarbage print
local M = {}

function M.use_io() return io.open("/etc/passwd") end
function M.os_execute() return os.execute("true") end
function M.use_debug() return debug.getinfo(1) end
function M.use_dofile() return dofile("/etc/passwd") end
function M.use_loadfile() return loadfile("/etc/passwd") end
function M.use_collect() return collectgarbage() end
function M.use_print() return print("x") end
function M.require_parent() return require("../x") end
function M.require_abs() return require("/etc/passwd") end
function M.require_missing() return require("sandbox.nothing") end
function M.string_dump() return string.dump(M.use_io) end
function M.modify_string() string.upper = nil end -- luacheck: ignore 122
function M.rawset_string() rawset(string, "upper", nil) end
function M.string_metatable() return getmetatable("").__index end
function M.gc_metamethod() return setmetatable({}, { __gc = function() end }) end
function M.load_blob(blob) return load(blob) end
function M.load_text()
  local f = load("y = 40; return y + 2")
  return f(), y -- luacheck: ignore 113
end
function M.require_helper() return require("sandbox.helper").double(21) end
function M.require_same() return require("sandbox.helper") == require("sandbox.helper") end
function M.require_exporter() return require("util.fmt").upper("abc") end
function M.os_time() return type(os.time()) == "number" and type(os.date("%Y")) == "string" end
function M.error_table() error({ code = 1 }) end
function M.run(code) return load(code)() end

return M
