return { steps = { "runaway" } }
