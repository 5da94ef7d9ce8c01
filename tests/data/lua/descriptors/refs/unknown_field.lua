return {
  resource = "R", key = "A", fields = { "A", "B" },
  refs = { { resource = "T", fields = { "A", "C" } } },
}
