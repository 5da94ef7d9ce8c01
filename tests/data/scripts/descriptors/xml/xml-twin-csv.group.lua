return {
  description = "XML tests: twin-csv",
  steps = { "articles_csv" },
}
