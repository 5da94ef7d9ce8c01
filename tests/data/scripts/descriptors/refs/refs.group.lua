-- Listed against the order the references need: the engine sorts them.
return { steps = { "inventory", "products", "categories", "types", "locations" } }
