#!/usr/bin/env python3
"""Packs the CSV files of one input folder into a zip, byte for byte the same
on every run (fixed entry times, sorted entries).

  zip-input.py DIR OUT.zip
"""
import os
import sys
import zipfile


def main():
    src, out = sys.argv[1], sys.argv[2]
    with zipfile.ZipFile(out, "w") as z:
        for name in sorted(os.listdir(src)):
            if not name.endswith(".csv"):
                continue
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(os.path.join(src, name), "rb") as f:
                z.writestr(info, f.read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
