return { steps = { "latin" } }
