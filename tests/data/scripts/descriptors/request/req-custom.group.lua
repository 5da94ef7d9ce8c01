return { steps = { "custom" } }
