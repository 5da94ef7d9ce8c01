return { description = "items, sweeping what the file omits", steps = { "items-sweep" } }
