return { steps = { "update" } }
