-- What a script sees of the libraries and of a shared module.
local mod = require("sandbox.shared")
local parts = {
  string.upper("a"), ("b"):upper(), string.lower("C"), ("D"):lower(), string.rep("e", 2),
  tostring(math.floor(1.5)), math.type(1), type(os.time()), type(os.date("%Y")), utf8.char(72),
  tostring(string.len("abc")), tostring(("xy"):len()), string.format("%d", 7), string.sub("ab", 1, 1),
  ("ab"):reverse(), tostring(string.byte("A")), tostring(mod.value), tostring(mod.nested.x), tostring(mod.extra),
  type(getmetatable(mod)), type(pairs), type(table.insert), type(getmetatable("")),
}
return table.concat(parts, ",")
