return {
  description = "XML tests: feed",
  steps = { "feed" },
}
