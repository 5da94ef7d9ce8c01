return { description = "inserts, at most 2 errors", steps = { "capped" } }
