return { description = "map checked by the rules", steps = { "mapped" } }
