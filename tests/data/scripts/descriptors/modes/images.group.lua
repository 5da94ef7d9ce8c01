return { description = "product images", steps = { "images" } }
