-- Operation "insert" on the Things resource.
return require("ops.thing_layout")("insert")
