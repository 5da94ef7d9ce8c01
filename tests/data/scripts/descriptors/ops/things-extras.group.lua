return { steps = { "extras" } }
