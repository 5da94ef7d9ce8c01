return { steps = { "tamper", "observe" } }
