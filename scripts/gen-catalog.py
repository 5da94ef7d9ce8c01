#!/usr/bin/env python3
"""Generates a catalog zip in the Kibo layout (Categories.csv + Products.csv).

Deterministic for a given --seed. Product rows carry quoted commas, doubled
quotes, a few embedded newlines and CR-separated multi-values, as real
platform exports do.

  gen-catalog.py OUT [--products N] [--categories N] [--seed S] [--csv-only]
                     [--delta-change F] [--delta-new F]

OUT is a zip, or with --csv-only a folder that gets Categories.csv and
Products.csv.

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--products", type=int, default=2000)
    ap.add_argument("--categories", type=int, default=50)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--csv-only", action="store_true",
                    help="write OUT/Categories.csv and OUT/Products.csv instead of a zip")
    ap.add_argument("--delta-change", type=float, default=0.0, metavar="F",
                    help="change Price and MSRP in round(N*F) products (a delta feed)")
    ap.add_argument("--delta-new", type=float, default=0.0, metavar="F",
                    help="append round(N*F) products with new codes (a delta feed)")
    a = ap.parse_args()
    if not (0 <= a.delta_change <= 1 and a.delta_new >= 0):
        ap.error("--delta-change takes 0..1, --delta-new 0 or more")
    rng = random.Random(a.seed)
    product_rows = products(rng, a.products)
    if a.delta_change or a.delta_new:
        product_rows = delta(product_rows, random.Random("delta-%d" % a.seed), a.products,
                             a.delta_change, a.delta_new)
    if a.csv_only:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "Categories.csv"), "w", newline="", encoding="utf-8") as f:
            write_csv(f, CATEGORY_COLUMNS, categories(rng, a.categories))
        with open(os.path.join(a.out, "Products.csv"), "w", newline="", encoding="utf-8") as f:
            write_csv(f, PRODUCT_COLUMNS, product_rows)
        return 0
    with zipfile.ZipFile(a.out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, header, rows in (("Categories.csv", CATEGORY_COLUMNS, categories(rng, a.categories)),
                                   ("Products.csv", PRODUCT_COLUMNS, product_rows)):
            with z.open(name, "w", force_zip64=True) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                write_csv(text, header, rows)
                text.flush()
                text.detach()
    return 0


if __name__ == "__main__":
    sys.exit(main())
