return {
  description = "XML tests: bmecat",
  steps = { "articles", "groupmap" },
}
