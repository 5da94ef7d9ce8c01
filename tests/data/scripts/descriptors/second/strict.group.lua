return { description = "things, strict", steps = { "strict" } }
