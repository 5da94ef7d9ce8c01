return { resource = "X", key = "A", fields = { "A", "B" }, accumulate = "yes" }
