return {
  description = "XML tests: an undeclared prefix",
  steps = { "bad-prefix" },
}
