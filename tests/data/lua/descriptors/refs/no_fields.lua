return { resource = "R", key = "A", fields = { "A" }, refs = { { resource = "T", fields = {} } } }
