return { description = "stock levels", steps = { "base" } }
