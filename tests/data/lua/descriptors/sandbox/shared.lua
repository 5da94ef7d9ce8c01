-- A module every script requires; its tables must stay each script's own.
return { value = "original", nested = { x = "deep" } }
