return { resource = "X", key = "A", fields = { "A", { "B", pattern = "[0-9]+*" } } }
