-- For the hostile XML files of the shared corpora.
return {
  resource = "HostileProducts",
  format = "xml",
  entry = "*.xml",
  record = "/Catalog/Products/Product",
  key = "ProductCode",
  fields = { "ProductCode", "ProductName" },
}
