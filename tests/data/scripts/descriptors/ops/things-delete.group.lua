return { steps = { "delete" } }
