return { resource = 5, key = "A", fields = { "A" } }
