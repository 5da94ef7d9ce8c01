return { steps = { "be" } }
