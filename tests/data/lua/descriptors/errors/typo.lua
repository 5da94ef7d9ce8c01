return {
  resource = "Typo",
  key = "A",
  feilds = { "A" },
}
