-- Must still see the real globals after leak_a ran.
return tostring(42) .. " " .. type(type) .. " " .. math.type(1)
