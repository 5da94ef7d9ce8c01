-- Adds types, deletes one, then imports products (after both: they refer to types).
return { steps = { "products", "types", "types-delete" } }
