return { steps = { "upsert" } }
