return { description = "swatches, colours as text", steps = { "plain" } }
