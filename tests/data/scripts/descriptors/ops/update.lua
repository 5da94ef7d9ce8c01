-- Operation "update" on the Things resource.
return require("ops.thing_layout")("update")
