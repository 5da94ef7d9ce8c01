return { steps = { "escape" } }
