#!/usr/bin/env python3
"""Generates a zip for the reference checks' measurements, in the layout of
tests/data/scripts/descriptors/refs: types.csv (TYPES product types),
locations.csv (10), products.csv (N products, each of a type) and
inventory.csv (N rows, one per product, at a location).

usage: gen-refs.py OUT.zip N [--types 50] [--shuffle] [--seed 1]
--shuffle writes inventory rows in random product order (lookups then jump
around the products' key space instead of walking it in order)."""
import argparse
import random
import zipfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("n", type=int)
    ap.add_argument("--types", type=int, default=50)
    ap.add_argument("--shuffle", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    with zipfile.ZipFile(a.out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("types.csv", "MasterCatalogName,ProductType,Name\n" +
                   "".join("Master,TYPE%03d,Type %d\n" % (t, t) for t in range(a.types)))
        z.writestr("locations.csv", "LocationCode,Name\n" +
                   "".join("W%02d,Warehouse %d\n" % (w, w) for w in range(10)))
        with z.open("products.csv", "w") as f:
            f.write(b"MasterCatalogName,ProductCode,ProductType,Name\n")
            for i in range(a.n):
                f.write(b"Master,P%07d,TYPE%03d,Product number %d\n" % (i, rnd.randrange(a.types), i))
        order = list(range(a.n))
        if a.shuffle:
            rnd.shuffle(order)
        with z.open("inventory.csv", "w") as f:
            f.write(b"LocationCode,MasterCatalogName,ProductCode,OnHand\n")
            chunk = []
            for i in order:
                chunk.append(b"W%02d,Master,P%07d,%d\n" % (i % 10, i, rnd.randrange(1000)))
                if len(chunk) == 10000:
                    f.write(b"".join(chunk))
                    chunk = []
            f.write(b"".join(chunk))


if __name__ == "__main__":
    main()
