return { resource = "X", key = "A", fields = {} }
