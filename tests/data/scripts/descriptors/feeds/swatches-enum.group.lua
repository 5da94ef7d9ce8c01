return { description = "swatches, colours enumerated", steps = { "enumerated" } }
