return { steps = { "unicode" } }
