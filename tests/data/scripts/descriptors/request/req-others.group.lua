return { steps = { "others" } }
