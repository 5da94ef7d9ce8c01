-- Operation "upsert" on the Things resource.
return require("ops.thing_layout")("upsert")
