-- The Words layout shared by the dialect descriptors of this folder: one
-- descriptor per dialect, each with its own group.
return function(name, entry, dialect)
  local d = {
    name = name,
    resource = "Words",
    entry = entry,
    key = "Code",
    fields = {
      { "Code", required = true },
      { "Name" },
      { "Size" },
      { "Tags", multi = ", ", escape = "\\" },
      { "Colors", multi = true },
    },
  }
  for k, v in pairs(dialect or {}) do
    d[k] = v
  end
  return d
end
