return {
  description = "XML tests: a path in a csv descriptor",
  steps = { "bad-path" },
}
