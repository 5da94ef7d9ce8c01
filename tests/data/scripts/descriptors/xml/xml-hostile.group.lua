return {
  description = "XML tests: hostile",
  steps = { "hostile" },
}
