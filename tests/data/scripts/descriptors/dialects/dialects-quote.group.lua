return { steps = { "quote" } }
