return { resource = "X", key = "A", fields = { "A", { "B", requird = true } } }
