return { resource = "R", key = "A", fields = { "A" }, refs = { { fields = { "A" } } } }
