-- Upsert that ignores columns it does not know.
return require("ops.thing_layout")("upsert", "extras", true)
