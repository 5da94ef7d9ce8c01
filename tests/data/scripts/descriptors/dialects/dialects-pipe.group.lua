return { steps = { "pipe" } }
