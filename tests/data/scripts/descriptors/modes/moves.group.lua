return { description = "stock movements", steps = { "moves" } }
