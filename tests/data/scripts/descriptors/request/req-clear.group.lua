return { steps = { "clear" } }
