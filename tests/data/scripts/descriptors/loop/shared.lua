-- A module both tamper.lua and observe.lua require.
return { value = "original" }
