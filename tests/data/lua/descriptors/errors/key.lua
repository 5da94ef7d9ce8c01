return { resource = "X", key = { "A", "C" }, fields = { "A", "B" } }
