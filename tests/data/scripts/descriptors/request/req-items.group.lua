return { steps = { "items" } }
