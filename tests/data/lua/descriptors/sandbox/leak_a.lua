-- Overwrites globals in its own environment only.
-- luacheck: ignore 121 122
tostring = function() return "hacked" end
_G.type = nil
math = nil
return tostring(1)
