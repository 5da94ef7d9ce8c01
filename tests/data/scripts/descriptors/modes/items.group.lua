return { description = "items", steps = { "items" } }
