-- Operation "delete" on the Things resource.
return require("ops.thing_layout")("delete")
