-- BMEcat 2005 declares a default namespace: [""] makes unprefixed names mean it.
return {
  resource = "Products2005",
  format = "xml",
  entry = "bmecat2005*.xml",
  record = "PRODUCT",
  namespaces = { [""] = "http://www.bmecat.org/bmecat/2005" },
  key = "SupplierPid",
  fields = {
    { "SupplierPid", path = "SUPPLIER_PID" },
    { "Language", path = "/BMECAT/HEADER/CATALOG/LANGUAGE" },
    { "Title", path = "PRODUCT_DETAILS/DESCRIPTION_SHORT[@xml:lang='eng']" },
  },
}
