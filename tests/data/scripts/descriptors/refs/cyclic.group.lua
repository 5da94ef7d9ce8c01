-- A group whose steps refer to each other: refused when it loads.
return { steps = { "types", "cyc-a", "cyc-b" } }
