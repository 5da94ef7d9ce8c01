return "products"
