return { resource = "X", key = "A", fields = { "A", "B" }, context = { shop = "B" } }
