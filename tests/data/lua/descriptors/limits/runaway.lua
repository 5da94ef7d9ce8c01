-- Script code that a plain instruction count would not stop.
local spaces = string.rep(" ", 100000)
return {
  resource = "Runaway",
  key = "SKU",
  fields = { "SKU", "Mode" },
  validate = function(row)
    local mode = row.Mode
    if mode == "xpcall" then
      -- the message handler runs when the budget stops the body
      xpcall(function() while true do end end, function() while true do end end) -- luacheck: ignore 541
    elseif mode == "xpcall_loop" then
      while true do
        xpcall(function() while true do end end, function(e) return e end) -- luacheck: ignore 541
      end
    elseif mode == "pcall_swallow" then
      local ok = pcall(function() while true do end end) -- luacheck: ignore 541
      while not ok do end -- luacheck: ignore 541
    elseif mode == "close" then
      local guard <close> = setmetatable({}, { __close = function() while true do end end }) -- luacheck: ignore 541
      while true do end -- luacheck: ignore 541
    elseif mode == "trim" then
      return ("x" .. spaces .. "x"):match("^%s*(.-)%s*$") ~= nil
    elseif mode == "backtrack" then
      return not string.find(string.rep("a", 5000), string.rep("a*", 30) .. "b")
    elseif mode == "gsub" then
      return (string.gsub(spaces .. "x", "%s*$", "")) ~= nil
    elseif mode == "gmatch" then
      for _ in string.gmatch(spaces .. "x", "%s*%s*%s*y") do end
    elseif mode == "error_table" then
      error(setmetatable({}, { __tostring = function() while true do end end })) -- luacheck: ignore 541
    end
    return true
  end,
}
