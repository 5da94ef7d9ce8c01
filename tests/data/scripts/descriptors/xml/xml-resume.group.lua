return {
  description = "XML tests: resume",
  steps = { "resume" },
}
