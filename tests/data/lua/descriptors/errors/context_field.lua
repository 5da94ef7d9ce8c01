return { resource = "X", key = "A", fields = { "A", "B" }, context = { locale = "C" } }
