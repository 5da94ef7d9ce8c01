return { steps = { "semicolon" } }
