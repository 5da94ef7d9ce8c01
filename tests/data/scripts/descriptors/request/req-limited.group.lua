return { steps = { "limited" } }
