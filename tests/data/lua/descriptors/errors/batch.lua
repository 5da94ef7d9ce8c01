return { resource = "X", key = "A", fields = { "A" }, batch_size = 0 }
