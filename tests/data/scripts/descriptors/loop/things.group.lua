return { steps = { "things" } }
