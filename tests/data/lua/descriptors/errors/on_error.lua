return { resource = "X", key = "A", fields = { "A" }, on_error = "ignore" }
