return { description = "stock deltas", steps = { "deltas" } }
