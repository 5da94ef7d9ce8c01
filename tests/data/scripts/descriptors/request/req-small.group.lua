return { steps = { "items" }, max_upload = 4096 }
