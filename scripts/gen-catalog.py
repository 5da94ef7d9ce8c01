#!/usr/bin/env python3
"""Generates a catalog zip in the Kibo layout (Categories.csv + Products.csv).

Deterministic for a given --seed. Product rows carry quoted commas, doubled
quotes, a few embedded newlines and CR-separated multi-values, as real
platform exports do.

  gen-catalog.py OUT.zip [--products N] [--categories N] [--seed S] [--csv-only DIR]
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


def products(rng, n):
    for i in range(1, n + 1):
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
    a = ap.parse_args()
    rng = random.Random(a.seed)
    if a.csv_only:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "Categories.csv"), "w", newline="", encoding="utf-8") as f:
            write_csv(f, CATEGORY_COLUMNS, categories(rng, a.categories))
        with open(os.path.join(a.out, "Products.csv"), "w", newline="", encoding="utf-8") as f:
            write_csv(f, PRODUCT_COLUMNS, products(rng, a.products))
        return 0
    with zipfile.ZipFile(a.out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, header, rows in (("Categories.csv", CATEGORY_COLUMNS, categories(rng, a.categories)),
                                   ("Products.csv", PRODUCT_COLUMNS, products(rng, a.products))):
            with z.open(name, "w", force_zip64=True) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                write_csv(text, header, rows)
                text.flush()
                text.detach()
    return 0


if __name__ == "__main__":
    sys.exit(main())
