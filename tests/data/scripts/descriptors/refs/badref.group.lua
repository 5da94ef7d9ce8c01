return { steps = { "badref" } }
