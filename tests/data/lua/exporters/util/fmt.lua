return {
  upper = function(s)
    return s:upper()
  end,
}
