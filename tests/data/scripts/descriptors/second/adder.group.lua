return { description = "totals over several entries", steps = { "adder" } }
