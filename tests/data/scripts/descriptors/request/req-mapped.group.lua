return { steps = { "mapped" } }
