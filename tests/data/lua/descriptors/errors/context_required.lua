return { resource = "X", key = "A", fields = { "A", "B" }, context_required = true }
