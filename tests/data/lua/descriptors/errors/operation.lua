return { resource = "X", key = "A", fields = { "A" }, operation = "replace" }
