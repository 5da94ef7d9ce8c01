-- Prints one JSON line per descriptor file given on the command line: its
-- path, resource, entry, key, fields (name, required) and refs, as the
-- file declares them (for tests that compare descriptors with a layout).
local function json(v)
  local t = type(v)
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
    end) .. '"'
  elseif t == "boolean" or t == "number" then
    return tostring(v)
  elseif t == "nil" then
    return "null"
  end
  local out = {}
  if #v > 0 or next(v) == nil then
    for _, x in ipairs(v) do out[#out + 1] = json(x) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do out[#out + 1] = json(k) .. ":" .. json(v[k]) end
  return "{" .. table.concat(out, ",") .. "}"
end

for _, path in ipairs(arg) do
  local d = dofile(path)
  local fields = {}
  for _, f in ipairs(d.fields) do
    local name = type(f) == "string" and f or f[1] or f.name
    fields[#fields + 1] = { name = name, required = type(f) == "table" and f.required == true }
  end
  local key = type(d.key) == "string" and { d.key } or d.key
  print(json({ path = path, resource = d.resource, entry = d.entry or (d.resource .. ".csv"),
               key = key, fields = fields, refs = d.refs or {} }))
end
