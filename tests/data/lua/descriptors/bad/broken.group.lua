return {
  steps = { "nope" },
}
