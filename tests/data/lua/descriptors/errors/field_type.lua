return { resource = "X", key = "A", fields = { "A", { "B", type = "float" } } }
