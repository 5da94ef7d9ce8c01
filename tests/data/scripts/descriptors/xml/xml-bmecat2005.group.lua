return {
  description = "XML tests: BMEcat 2005, default namespace",
  steps = { "products2005" },
}
