-- Tampers with every shared table it can reach, by every route it has.
-- None of it may be seen by another script, in this state or another.
-- luacheck: ignore 121 122 142 143
local function hacked() return "hacked" end
string.upper = hacked
table.concat = hacked
math.floor = hacked
os.time = hacked
utf8.char = hacked
local _, s = pairs(string)      -- pairs hands out the table itself
s.lower = hacked
local _, tt = pairs(table)
tt.insert = hacked
local k = next(string)          -- next reaches every key
s[k] = s[k]
rawset(string, "rep", hacked)
rawset(math, "type", hacked)
rawset(os, "date", hacked)
local mt = getmetatable("")     -- the string metatable and its __index
if type(mt) == "table" then mt.__index.upper = hacked end
pcall(setmetatable, string, { __index = function() return hacked end })
_ENV.string.len = hacked
_G.string.byte = hacked
load("string.format = function() return 'hacked' end")()
load("s.sub = f", "tamper", "t", { s = string, f = hacked })()
load("string.reverse = f", "tamper", "t", { string = string, f = hacked })()
local mod = require("sandbox.shared")  -- module tables and what they return
mod.value = "hacked"
mod.nested.x = "hacked"
rawset(mod, "extra", "hacked")
setmetatable(mod, { __index = function() return "hacked" end })
-- And the globals themselves.
tostring = hacked
pairs = hacked
return string.upper("a") .. " " .. mod.value
