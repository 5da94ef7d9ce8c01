return { resource = "X", key = "A", fields = { "A", "B", { name = "a" } } }
