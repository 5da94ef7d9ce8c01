-- Descriptors and exporters run in the impex sandbox (see README).
std = "lua54"
max_line_length = 120
files["tests/data/lua/descriptors/**/*.lua"] = { ignore = { "211", "212", "311", "511" } }
