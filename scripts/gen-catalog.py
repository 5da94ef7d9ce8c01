#!/usr/bin/env python3
"""Generates a catalog zip in the Kibo layout (ProductTypes.csv, Categories.csv,
Products.csv).

Deterministic for a given --seed. Product rows carry quoted commas, doubled
quotes, a few embedded newlines and CR-separated multi-values, as real
platform exports do.

  gen-catalog.py OUT [--products N] [--categories N] [--seed S] [--csv-only]
                     [--delta-change F] [--delta-new F]

OUT is a zip, or with --csv-only a folder that gets ProductTypes.csv,
Categories.csv and Products.csv. ProductTypes.csv holds the one product type
the products use ("Base" in Master, the same row --full writes), so that every
product's reference to its type resolves; a delta writes it too, unchanged.

--full writes every resource of the `catalog` import group (29 entries, in
the group's order; --reverse writes them in the opposite order, --omit NAME
leaves the entry NAME.csv out):

  gen-catalog.py OUT --full [--products N] [--categories N] [--locations N]
                     [--reverse] [--omit NAME]... [--csv-only] [--seed S] [--level L]

(--level: the zip's deflate level, default 6; 1 writes a 1M-product catalog,
about 9.4M rows, in roughly half the time.)

Categories.csv and Products.csv are the same rows as without --full; the
other entries are built around them so that every reference resolves
(attribute values, product types and their attributes, images, options,
bundles, extras, rankings, locations with inventory, price lists with
entries and tiered prices). Each entry draws from a generator of its own,
so the data does not depend on the order the entries are written in. Rows
are streamed: memory stays flat for any --products.

A delta (a daily feed against the catalog generated with the same --products,
--categories and --seed): --delta-change F changes Price and MSRP in
round(N*F) products spread evenly over the file (with 0.10, every 10th row:
rows 10, 20, 30, ...), and --delta-new F appends round(N*F) products with new
codes after the last one (P<N+1>, P<N+2>, ...). Every other row is
byte-identical to the same row of the base file: the base rows are drawn from
the seeded generator exactly as without the options, and the changed values
and new rows come from a second generator of their own.
"""
import argparse
import csv
import io
import os
import random
import sys
import zipfile

PRODUCT_COLUMNS = [
    "MasterCatalogName", "ProductCode", "ProductType", "ProductUsage", "ProductName", "Price",
    "VariationPricingMethod", "PackageWeight", "PackageLength", "PackageWidth", "PackageHeight",
    "SalePrice", "MSRP", "UPC", "IsTaxable", "ManageStock", "FulfillmentTypes",
    "ProductShortDescription", "SEOFriendlyURL",
]
CATEGORY_COLUMNS = [
    "CatalogName", "CategoryCode", "CategoryName", "CategoryType", "ParentCategoryCode",
    "IsDisplayed", "Sequence",
]
WORDS = ("classic linen cotton wool steel oak walnut copper ceramic glass leather "
         "canvas bamboo marble slate velvet denim cedar").split()


def categories(rng, n):
    for i in range(1, n + 1):
        parent = "" if i <= 5 else "CAT-%04d" % rng.randint(1, min(i - 1, 5))
        yield ["Master", "CAT-%04d" % i, "%s %s" % (rng.choice(WORDS).title(), i),
               "Static", parent, "true", str(i)]


def products(rng, n, first=1):
    for i in range(first, first + n):
        name = "%s %s %d" % (rng.choice(WORDS).title(), rng.choice(WORDS), i)
        desc = "A %s, %s piece" % (rng.choice(WORDS), rng.choice(WORDS))
        if i % 10 == 0:
            desc += ', "limited" edition'
        if i % 1000 == 0:
            desc += "\nsecond line of the description"
        price = "%d.%02d" % (rng.randint(1, 999), rng.randint(0, 99))
        ftypes = "DirectShip\rInStorePickup" if i % 3 == 0 else "DirectShip"
        yield ["Master", "P%07d" % i, "Base", "Standard", name, price, "None",
               "%.2f" % rng.uniform(0.1, 20), str(rng.randint(1, 100)), str(rng.randint(1, 100)),
               str(rng.randint(1, 100)), "", "%d.00" % rng.randint(1000, 2000),
               "%012d" % rng.randint(0, 10**12 - 1), "true", "false", ftypes, desc,
               "/p/%07d" % i]


# The product type every generated product uses, in the ProductTypes layout
# (the same row as --full's "Base" type).
PRODUCT_TYPE_COLUMNS = ["MasterCatalogName", "ProductType", "Standard", "Configurable", "Bundle",
                        "Component", "GoodsType"]
BASE_PRODUCT_TYPE = ["Master", "Base", "true", "false", "true", "true", "Physical"]


def changed_rows(n, count):
    """The 1-based rows a delta changes: exactly count of n, evenly spread
    (row i when floor(i*count/n) steps up; every 10th row for count = n/10)."""
    return {i for i in range(1, n + 1) if i * count // n != (i - 1) * count // n}


def delta(rows, rng, n, change, new):
    """The base rows with Price and MSRP changed in round(n*change) of them
    (values that always differ from the base ones), then round(n*new) rows
    with new codes. rng is not the base rows' generator, so the base rows are
    drawn exactly as in the base file."""
    price, msrp = PRODUCT_COLUMNS.index("Price"), PRODUCT_COLUMNS.index("MSRP")
    changed = changed_rows(n, round(n * change)) if n else set()
    for i, row in enumerate(rows, 1):
        if i in changed:
            cents = int(row[price].replace(".", ""))
            new_cents = cents + rng.randint(1, 500) * rng.choice((-1, 1))
            if new_cents < 1:
                new_cents = cents + rng.randint(1, 500)
            row[price] = "%d.%02d" % divmod(new_cents, 100)
            row[msrp] = "%d.00" % rng.randint(2001, 3000)  # the base draws 1000..2000
        yield row
    yield from products(rng, round(n * new), first=n + 1)


def write_csv(path_or_file, header, rows):
    w = csv.writer(path_or_file, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)


# --- --full: every resource of the catalog group ----------------------------------

MASTER, START = "Master", "2026-01-01T00:00:00Z"  # categories' catalog is "Master" too
# attribute code -> (name, data type, input type, kind, values)
ATTRIBUTES = [
    ("brand", "Brand", "String", "List", "Property", ["Acme", "Borealis", "Cobalt", "Dune", "Ember"]),
    ("color", "Color", "String", "List", "Option", ["Black", "White", "Red", "Blue", "Green"]),
    ("giftwrap", "Gift wrap", "String", "List", "Extra", ["standard", "premium"]),
    ("material", "Material", "String", "TextBox", "Property", []),
    ("size", "Size", "String", "List", "Option", ["S", "M", "L"]),
]
# product type -> (standard, configurable, bundle, component, attribute codes)
PRODUCT_TYPES = [
    ("Apparel", "false", "true", "false", "false", ["color", "size", "material"]),
    ("Base", "true", "false", "true", "true", ["brand", "giftwrap", "material"]),
]
OPTION_EVERY, BUNDLE_EVERY, EXTRA_EVERY, RANK_EVERY, VIP_EVERY = 10, 50, 20, 10, 5
SITES = ("1", "2")
LOCATION_COLUMNS = [
    "LocationTypeCodes", "LocationCode", "Name", "IsDisabled", "Address1", "AddressType",
    "CityOrTown", "CountryCode", "PostalOrZipCode", "StateOrProvince",
    "Shipping Contact CompanyOrOrganization", "Shipping Contact PhoneNumber", "SupportsInventory",
    "AllowFulfillmentWithNoStock", "Latitude", "Longitude", "Express", "TransferEnabled",
    "IncludeInLocationExport", "IncludeInInventoryAggregrate", "WarehouseEnabled",
    "FulfillmentTypes", "Shipping Contact Email", "Tags", "Hours of operation - Sunday",
    "Hours of operation - Monday", "Hours of operation - Saturday", "LastModifiedDate",
]


def code(i):
    return "P%07d" % i


def full_entries(a):
    """(entry name, header, row generator factory) per resource, in the catalog group's order."""
    n, ncat, nloc = a.products, a.categories, a.locations

    def own(name):  # a generator of its own per entry: data independent of the entry order
        return random.Random("%s-%d" % (name, a.seed))

    def attributes():
        for c, name, dt, it, kind, _ in ATTRIBUTES:
            yield [MASTER, c, name, dt, it, str(kind == "Extra").lower(), str(kind == "Option").lower(),
                   str(kind == "Property").lower(), "tenant", "true", "true", "false",
                   "The product's %s" % name.lower()]

    def attribute_values():
        for c, _, dt, _, _, values in ATTRIBUTES:
            for k, v in enumerate(values):
                yield [MASTER, c, dt, "tenant", v, v.title(), str(k + 1)]

    def product_types():
        for pt, std, conf, bun, comp, _ in PRODUCT_TYPES:
            yield [MASTER, pt, std, conf, bun, comp, "Physical"]

    def attr(c):
        return next(x for x in ATTRIBUTES if x[0] == c)

    def product_type_attributes():
        for pt, *_, codes in PRODUCT_TYPES:
            for k, c in enumerate(codes):
                yield [MASTER, pt, c, attr(c)[4], str(k + 1), "false", "false", "false"]

    def product_type_attribute_values():
        for pt, *_, codes in PRODUCT_TYPES:
            for c in codes:
                for v in attr(c)[5]:
                    yield [MASTER, pt, c, attr(c)[4], v]

    def categories_rows():
        return categories(random.Random(a.seed), ncat)

    def category_images():
        for i in range(1, ncat + 1):
            yield [MASTER, "CAT-%04d" % i, "cat-%04d.jpg" % i, "en-US", "Category %d" % i, "", "1"]

    def sort_definitions():
        for i in range(1, ncat + 1):
            yield [MASTER, "CAT-%04d" % i, "1", "Price, low to high", START, "", "Price",
                   "Ascending", "ProductName", "Ascending"]

    def images():
        for i in range(RANK_EVERY, n + 1, RANK_EVERY):
            yield [MASTER, "https://cdn.example.com/p/%s-1.jpg" % code(i), "%s-1.jpg" % code(i),
                   "img-%08d" % i, "product\rfront"]

    def products_rows():
        rng = random.Random(a.seed)
        for _ in categories(rng, ncat):  # the product rows follow the categories' draws
            pass
        return products(rng, n)

    def category_of(i):
        return "CAT-%04d" % (1 + i % ncat) if ncat else ""

    def product_property_locale():
        rng = own("ProductPropertyLocale")
        for i in range(1, n + 1):
            yield [MASTER, code(i), "Material", rng.choice(WORDS)]

    def product_catalog():
        rng = own("ProductCatalog")
        for i in range(1, n + 1):
            cats = category_of(i) + ("\r" + category_of(i + 1) if i % 4 == 0 and ncat > 1 else "")
            yield [MASTER, MASTER, code(i), "true" if i % 50 else "false", cats,
                   "%s %d" % (rng.choice(WORDS).title(), i), "%d.%02d" % (rng.randint(1, 999), rng.randint(0, 99)),
                   "/c/%07d" % i]

    def product_bundles():
        for i in range(BUNDLE_EVERY, n + 1, BUNDLE_EVERY):
            for k in (1, 2):
                yield [MASTER, code(i), code(i - k), str(k), "Component %d of %s" % (k, code(i))]

    def variations(i):
        return ["%s-%s" % (code(i), s) for s in attr("size")[5]]

    def product_options():
        rng = own("ProductOptions")
        for i in range(OPTION_EVERY, n + 1, OPTION_EVERY):
            for v in variations(i):
                yield [MASTER, code(i), v, "true", "%d.00" % rng.randint(0, 20),
                       "%.2f" % rng.uniform(0, 2), "DirectShip", "%012d" % rng.randint(0, 10**12 - 1)]

    def product_options_locale():
        rng = own("ProductOptionsLocale")
        for i in range(OPTION_EVERY, n + 1, OPTION_EVERY):
            for v in variations(i):
                yield [MASTER, code(i), v, "EUR", "%d.00" % rng.randint(0, 20), "%d.00" % rng.randint(0, 25)]

    def product_extras():
        for i in range(EXTRA_EVERY, n + 1, EXTRA_EVERY):
            for k, v in enumerate(attr("giftwrap")[5]):
                yield [MASTER, code(i), "giftwrap", v, "false", str(k == 0).lower(), "false", "1"]

    def product_images():
        for i in range(1, n + 1):
            for k in (1, 2) if i % 3 == 0 else (1,):
                yield [MASTER, code(i), "%s-%d.jpg" % (code(i), k), str(k), "Product %d, view %d" % (i, k), ""]

    def product_rankings():
        for i in range(RANK_EVERY, n + 1, RANK_EVERY):
            if ncat:
                yield [MASTER, category_of(i), "1", code(i), str(i // RANK_EVERY), "false"]

    def location_types():
        yield ["STORE", "Store"]
        yield ["WH", "Warehouse"]

    def loc(j):
        return "LOC-%03d" % j

    def locations():
        rng = own("Locations")
        for j in range(1, nloc + 1):
            wh = j % 5 == 0
            yield ["WH" if wh else "STORE\rWH" if j % 7 == 0 else "STORE", loc(j),
                   "%s %s %d" % (rng.choice(WORDS).title(), "Warehouse" if wh else "Store", j),
                   "false", "%d Main Street" % rng.randint(1, 999), "Commercial", "Springfield", "US",
                   "%05d" % rng.randint(10000, 99999), "IL", "Example Retail Inc.",
                   "+1 555 %04d" % rng.randint(0, 9999), "true", "false",
                   "%.6f" % rng.uniform(25, 48), "%.6f" % rng.uniform(-124, -67), "false", "true",
                   "true", "true", str(wh).lower(), "DS" if wh else "DS\rSP",
                   "loc%d@example.com" % j, "north\rflagship" if j == 1 else "", "closed",
                   "09:00-18:00", "10:00-16:00", "2026-01-0%dT08:00:00Z" % (1 + j % 9)]

    def location_group():
        half = (nloc + 1) // 2
        groups = [("LG-EAST", range(1, half + 1)), ("LG-WEST", range(half + 1, nloc + 1))]
        for g, js in groups:
            if js:
                yield [g, g.title(), "\r".join(loc(j) for j in js), "\r".join(SITES), START]

    def group_codes():
        return ["LG-EAST", "LG-WEST"][: 1 if nloc < 2 else 2] if nloc else []

    def location_group_configuration():
        for g in group_codes():
            for site in SITES:
                yield [g, site, "Cancel", "72", "24", "FEDEX", "true", "Thermal", START]

    def location_group_box_type_config():
        for g in group_codes():
            for site in SITES:
                for name, h, l, w in (("Small", "10", "20", "15"), ("Large", "30", "40", "30.5")):
                    yield [g, site, name, h, l, w]

    def location_group_carrier_config():
        for g in group_codes():
            for site in SITES:
                for carrier in ("FEDEX", "UPS"):
                    yield [g, site, carrier, "true", "false", carrier + "_1DAY", carrier + "_2DAY",
                           carrier + "_3DAY", carrier + "_GROUND", "%s_GROUND\r%s_1DAY" % (carrier, carrier),
                           carrier + "_GROUND"]

    def location_inventory():
        rng = own("LocationInventory")
        for i in range(1, n + 1) if nloc else ():
            for j in sorted({1 + i % nloc, 1 + (i * 7 + 3) % nloc} if i % 4 == 0 else {1 + i % nloc}):
                on_hand = rng.randint(0, 500)
                yield [MASTER, code(i), loc(j), "", str(on_hand), "Absolute", "0", str(on_hand)]

    def pricelists():
        yield [MASTER, "Base prices", "BASE", "true", "true", "\r".join(SITES), "", "Everyday prices",
               "false", "\r".join(SITES), "\r".join(SITES), "", "true", "1", "import"]
        yield [MASTER, "VIP prices", "VIP", "true", "false", SITES[0], "BASE", "Members",
               "true", SITES[0], "", "vip\rloyal", "true", "2", "import"]

    def entries():  # (price list, product index) of every entry, in file order
        for i in range(1, n + 1):
            yield "BASE", i
            if i % VIP_EVERY == 0:
                yield "VIP", i

    def pricelist_entries():
        rng = own("PricelistEntries")
        for pl, i in entries():
            yield [MASTER, pl, code(i), "USD", START, "false", "", "Simple",
                   "%d.00" % rng.randint(1000, 2000), "%d.%02d" % (rng.randint(1, 500), rng.randint(0, 99))]

    def pricelist_entry_prices():
        rng = own("PricelistEntryPrices")
        for pl, i in entries():
            price = rng.randint(200, 99900)
            yield [MASTER, pl, code(i), "USD", START, "1", "%d.%02d" % divmod(price, 100), ""]
            if rng.randint(0, 3) == 0:  # a second price tier for a quarter of the entries
                yield [MASTER, pl, code(i), "USD", START, "10", "%d.%02d" % divmod(price * 9 // 10, 100),
                       "%d.%02d" % divmod(price * 8 // 10, 100)]

    def pricelist_entry_extras():
        for pl, i in entries():
            if i % EXTRA_EVERY == 0:
                for k, v in enumerate(attr("giftwrap")[5]):
                    yield [MASTER, pl, code(i), "USD", START, "tenant~giftwrap", v, "%d.00" % (2 + 3 * k),
                           v.title(), "giftwrap"]

    return [
        ("Attributes", ["MasterCatalogName", "AttributeCode", "AttributeName", "DataType", "InputType",
                        "IsExtra", "IsOption", "IsProperty", "Namespace", "SearchableInStorefront",
                        "SearchableInAdmin", "SearchDisplayValue", "Description"], attributes),
        ("AttributeValues", ["MasterCatalogName", "AttributeCode", "DataType", "Namespace", "Value", "Name",
                             "DisplayOrder"], attribute_values),
        ("ProductTypes", PRODUCT_TYPE_COLUMNS, product_types),
        ("ProductTypeAttributes", ["MasterCatalogName", "ProductType", "AttributeCode", "Type", "Order",
                                   "IsRequiredByAdmin", "IsHiddenProperty", "IsMultiValueProperty"],
         product_type_attributes),
        ("ProductTypeAttributeValues", ["MasterCatalogName", "ProductType", "AttributeCode", "Type",
                                        "VocabularyValue"], product_type_attribute_values),
        ("Categories", CATEGORY_COLUMNS, categories_rows),
        ("CategoryImages", ["CatalogName", "CategoryCode", "ImageName", "LocaleCode", "AltText", "ImageLabel",
                            "Order"], category_images),
        ("SortDefinitions", ["CatalogName", "CategoryCode", "ProductSortDefinitionId", "Name", "StartDate",
                             "EndDate", "PrimaryAttribute", "PrimaryDirection", "SecondaryAttribute",
                             "SecondaryDirection"], sort_definitions),
        ("Images", ["MasterCatalogName", "ImageUrl", "Name", "Id", "Tags"], images),
        ("Products", PRODUCT_COLUMNS, products_rows),
        ("ProductPropertyLocale", ["MasterCatalogName", "ProductCode", "AttributeName", "Value"],
         product_property_locale),
        ("ProductCatalog", ["MasterCatalogName", "CatalogName", "ProductCode", "IsActive", "CategoryCodes",
                            "ProductName", "Price", "SEOFriendlyURL"], product_catalog),
        ("ProductBundles", ["MasterCatalogName", "ProductCode", "Code", "Quantity", "Name"], product_bundles),
        ("ProductOptions", ["MasterCatalogName", "ProductCode", "VariationCode", "Enabled", "ExtraPrice",
                            "ExtraWeight", "FulfillmentTypes", "UPC"], product_options),
        ("ProductOptionsLocale", ["MasterCatalogName", "ProductCode", "VariationCode", "Currency",
                                  "Extra Price", "Extra MSRP"], product_options_locale),
        ("ProductExtras", ["MasterCatalogName", "ProductCode", "AttributeCode", "Value", "RequiredByShopper",
                           "Defaulted", "MultiSelect", "Quantity"], product_extras),
        ("ProductImages", ["MasterCatalogName", "ProductCode", "Name", "Sequence", "AltText", "VideoUrl"],
         product_images),
        ("ProductRankings", ["CatalogName", "CategoryCode", "SortDefinitionId", "ProductCode", "Position",
                             "Locked"], product_rankings),
        ("LocationTypes", ["LocationTypeCode", "LocationTypeName"], location_types),
        ("Locations", LOCATION_COLUMNS, locations),
        ("LocationGroup", ["LocationGroupCode", "Name", "LocationCodes", "SiteIds", "LastModifiedDate"],
         location_group),
        ("LocationGroupConfiguration", ["LocationGroupCode", "SiteId", "CustomerFailedToPickupAfterAction",
                                        "CustomerFailedToPickupDeadline", "SendCustomerPickupReminder",
                                        "DefaultCarrier", "PrintReturnLabel", "DefaultPrinterType",
                                        "LastModifiedDate"], location_group_configuration),
        ("LocationGroupBoxTypeConfig", ["LocationGroupCode", "SiteId", "Name", "Height", "Length", "Width"],
         location_group_box_type_config),
        ("LocationGroupCarrierConfig", ["LocationGroupCode", "SiteId", "CarrierType", "IsEnabled",
                                        "EnableSmartPost", "Express1DayDefault", "Express2DayDefault",
                                        "Express3DayDefault", "ReturnLabelShippingMethod", "ShippingMethods",
                                        "StandardDefault"], location_group_carrier_config),
        ("LocationInventory", ["MasterCatalogName", "ProductCode", "LocationCode", "ParentProductCode",
                               "StockOnHand", "StockUpdateOption", "StockOnBackOrder", "StockAvailable"],
         location_inventory),
        ("Pricelists", ["MasterCatalogName", "PriceListName", "PriceListCode", "Enabled", "ValidForAllSites",
                        "ValidSites", "ParentPriceListCode", "Description", "FilteredInStorefront",
                        "IndexedSites", "DefaultForSites", "MappedCustomerSegments", "Resolvable",
                        "ResolutionRank", "CreatedBy"], pricelists),
        ("PricelistEntries", ["MasterCatalogName", "PriceListCode", "ProductCode", "CurrencyCode", "StartDate",
                              "IsVariation", "ProductName", "PriceListEntryMode", "Msrp", "Cost"],
         pricelist_entries),
        ("PricelistEntryPrices", ["MasterCatalogName", "PriceListCode", "ProductCode", "CurrencyCode",
                                  "StartDate", "MinimumQuantity", "ListPrice", "SalePrice"],
         pricelist_entry_prices),
        ("PricelistEntryExtras", ["MasterCatalogName", "PriceListCode", "ProductCode", "CurrencyCode",
                                  "StartDate", "AttributeFQN", "Value", "Price", "DisplayValue",
                                  "AttributeCode"], pricelist_entry_extras),
    ]


def write_full(a):
    entries = [e for e in full_entries(a) if e[0] not in a.omit]
    if a.reverse:
        entries.reverse()
    if a.csv_only:
        os.makedirs(a.out, exist_ok=True)
        for name, header, rows in entries:
            with open(os.path.join(a.out, name + ".csv"), "w", newline="", encoding="utf-8") as f:
                write_csv(f, header, rows())
        return 0
    with zipfile.ZipFile(a.out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=a.level) as z:
        for name, header, rows in entries:
            with z.open(name + ".csv", "w", force_zip64=True) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                write_csv(text, header, rows())
                text.flush()
                text.detach()
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--products", type=int, default=2000)
    ap.add_argument("--categories", type=int, default=50)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--csv-only", action="store_true",
                    help="write OUT/ProductTypes.csv, Categories.csv and Products.csv instead of a zip")
    ap.add_argument("--delta-change", type=float, default=0.0, metavar="F",
                    help="change Price and MSRP in round(N*F) products (a delta feed)")
    ap.add_argument("--delta-new", type=float, default=0.0, metavar="F",
                    help="append round(N*F) products with new codes (a delta feed)")
    ap.add_argument("--full", action="store_true",
                    help="write every resource of the catalog group (29 entries)")
    ap.add_argument("--locations", type=int, default=20, help="locations (with --full)")
    ap.add_argument("--reverse", action="store_true",
                    help="with --full: write the entries in reverse group order")
    ap.add_argument("--omit", action="append", default=[], metavar="NAME",
                    help="with --full: leave out entry NAME.csv (repeatable)")
    ap.add_argument("--level", type=int, default=6, help="deflate level of the zip (with --full)")
    a = ap.parse_args()
    if a.full:
        if a.delta_change or a.delta_new:
            ap.error("--delta-change and --delta-new do not go with --full")
        return write_full(a)
    if not (0 <= a.delta_change <= 1 and a.delta_new >= 0):
        ap.error("--delta-change takes 0..1, --delta-new 0 or more")
    rng = random.Random(a.seed)
    product_rows = products(rng, a.products)
    if a.delta_change or a.delta_new:
        product_rows = delta(product_rows, random.Random("delta-%d" % a.seed), a.products,
                             a.delta_change, a.delta_new)
    if a.csv_only:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "ProductTypes.csv"), "w", newline="", encoding="utf-8") as f:
            write_csv(f, PRODUCT_TYPE_COLUMNS, [BASE_PRODUCT_TYPE])
        with open(os.path.join(a.out, "Categories.csv"), "w", newline="", encoding="utf-8") as f:
            write_csv(f, CATEGORY_COLUMNS, categories(rng, a.categories))
        with open(os.path.join(a.out, "Products.csv"), "w", newline="", encoding="utf-8") as f:
            write_csv(f, PRODUCT_COLUMNS, product_rows)
        return 0
    with zipfile.ZipFile(a.out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, header, rows in (("ProductTypes.csv", PRODUCT_TYPE_COLUMNS, [BASE_PRODUCT_TYPE]),
                                   ("Categories.csv", CATEGORY_COLUMNS, categories(rng, a.categories)),
                                   ("Products.csv", PRODUCT_COLUMNS, product_rows)):
            with z.open(name, "w", force_zip64=True) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                write_csv(text, header, rows)
                text.flush()
                text.detach()
    return 0


if __name__ == "__main__":
    sys.exit(main())
