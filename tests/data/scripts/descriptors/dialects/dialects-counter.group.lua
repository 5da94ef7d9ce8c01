return { steps = { "counter" } }
