-- UTF-16 tab-separated counters: each row adds its Delta to the stored Count,
-- so a row applied twice (or skipped) after a resume shows.
return {
  name = "counter",
  resource = "Counters",
  entry = "counter*.txt",
  key = "Code",
  delimiter = "\t",
  encoding = "utf-16",
  batch_size = 10,
  accumulate = true, -- each code appears once per round: every row applies
  fields = {
    { "Code", required = true },
    { "Delta", type = "int" },
    { "Name" },
  },
  map = function(row, existing)
    local count = existing and existing.Count or 0
    return { Code = row.Code, Count = count + row.Delta, Name = row.Name }
  end,
}
