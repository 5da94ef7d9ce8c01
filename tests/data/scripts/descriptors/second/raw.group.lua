return { description = "things", steps = { "things" } }
