-- An RSS 2.0 product feed with Google's g: namespace. The file may use any
-- prefix for that namespace: paths match by URI.
return {
  resource = "FeedProducts",
  format = "xml",
  entry = "feed*.xml",
  record = "item",
  namespaces = { g = "http://base.google.com/ns/1.0" },
  key = "Id",
  fields = {
    { "Id", path = "g:id" },
    { "Channel", path = "/rss/channel/title" },
    { "Title", path = "title" },
    { "Link", path = "link" },
    { "Price", path = "g:price" },
    { "PriceAmount", type = "decimal", min = 0 },
    { "PriceCurrency", pattern = "[A-Z]{3}" },
    { "Availability", path = "g:availability", enum = { "in stock", "out of stock", "preorder" } },
    { "ImageLink", path = "g:image_link" },
    { "AdditionalImages", multi = true, path = "g:additional_image_link" },
  },
  validate = function(row)
    if row.Price and not row.Price:match("^%d+%.?%d* %u%u%u$") then
      return false, "g:price must be an amount and a currency code"
    end
    return true
  end,
  map = function(row)
    if row.Price then
      local amount, currency = row.Price:match("^(%S+) (%u%u%u)$")
      row.PriceAmount, row.PriceCurrency, row.Price = amount, currency, nil
    end
    return row
  end,
}
