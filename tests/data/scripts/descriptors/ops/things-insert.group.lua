return { steps = { "insert" } }
