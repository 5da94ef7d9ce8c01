return { steps = { "plain" } }
