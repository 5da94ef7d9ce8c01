#!/usr/bin/env bash
# The sample catalog (a product type, categories, products) imports completely,
# the store holds what the files said, values keep their text (leading zeros,
# decimals), a re-import changes nothing.
source "$(dirname "$0")/lib/common.sh"

python3 "$GEN" "$WORK/catalog.zip" --products 3000 --categories 40
run_impex 0 import --group catalog "$WORK/catalog.zip" --json
expect_eq "status" COMPLETED "$(jq -r .status <<<"$OUT")"
expect_eq "isComplete" true "$(jq -r .isComplete <<<"$OUT")"
expect_eq "rows" 3041 "$(jq -r .rows <<<"$OUT")"
expect_eq "imported" 3041 "$(jq -r .imported <<<"$OUT")"
expect_eq "rejected" 0 "$(jq -r .rejected <<<"$OUT")"
expect_eq "batches (1 product type, 40 categories, 3000 products / 500)" 8 "$(jq -r .batches <<<"$OUT")"
expect_eq "steps in group order" "ProductTypes Categories Products" "$(jq -r '[.resources[].resource] | join(" ")' <<<"$OUT")"
expect_eq "step status" "COMPLETED COMPLETED COMPLETED" "$(jq -r '[.resources[].status] | join(" ")' <<<"$OUT")"
id=$(jq -r .id <<<"$OUT")
expect_eq "no progress line when stderr is not a terminal" "" "$ERR"
# On a terminal (script(1) gives it one) the progress line shows rows, rows/s and %.
script -qec "$IMPEX --data $WORK/tty import --group catalog $WORK/catalog.zip" "$WORK/tty.log" >/dev/null
expect_contains "progress line on a terminal" "3041 rows" "$(tr '\r' '\n' <"$WORK/tty.log" | grep 'rows/s' | tail -n 1)"
expect_contains "progress reaches 100%" "100%" "$(tr '\r' '\n' <"$WORK/tty.log" | grep 'rows/s' | tail -n 1)"

run_impex 0 count Products
expect_eq "products stored" 3000 "$OUT"
run_impex 0 count Categories
expect_eq "categories stored" 40 "$OUT"

# The record equals the CSV row: compare field by field with Python's csv module.
python3 - "$WORK/catalog.zip" "$IMPEX" <<'PY'
import csv, io, json, subprocess, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
rows = list(csv.DictReader(io.TextIOWrapper(z.open("Products.csv"), encoding="utf-8", newline="")))
for row in (rows[0], rows[999], rows[2999]):
    out = subprocess.run([sys.argv[2], "get", "Products", "Master/" + row["ProductCode"], "--json"],
                         check=True, capture_output=True, text=True).stdout
    rec = json.loads(out, parse_float=str, parse_int=str)
    for k, v in row.items():
        if v == "":
            assert k not in rec, (k, rec)
            continue
        got = rec[k]
        if isinstance(got, list):
            got = "\r".join(got)
        if isinstance(got, bool):
            got = "true" if got else "false"
        assert got == v, (k, v, got)
PY
checks=$((checks + 1))

run_impex 0 get Products Master/P0000003 --json
expect_eq "UPC keeps leading zeros as text" string "$(jq -r '.UPC | type' <<<"$OUT")"
expect_eq "decimal is a JSON number" number "$(jq -r '.Price | type' <<<"$OUT")"
expect_eq "multi-value is an array" '["DirectShip","InStorePickup"]' "$(jq -c .FulfillmentTypes <<<"$OUT")"
expect_eq "bool" true "$(jq -r .IsTaxable <<<"$OUT")"
run_impex 0 get Products Master/P0001000 --json
expect_contains "embedded newline survives" $'edition\nsecond line' "$(jq -r .ProductShortDescription <<<"$OUT")"

"$IMPEX" dump Products >"$WORK/dump1"
expect_eq "dump has every record" 3000 "$(wc -l <"$WORK/dump1")"
expect_eq "dump is in key order" "$(jq -r .ProductCode "$WORK/dump1" | sort)" "$(jq -r .ProductCode "$WORK/dump1")"

# Upsert: the same file again changes nothing.
run_impex 0 import --group catalog "$WORK/catalog.zip"
"$IMPEX" dump Products >"$WORK/dump2"
cmp -s "$WORK/dump1" "$WORK/dump2" || fail "re-import changed the store"
checks=$((checks + 1))

# A bare CSV file runs through the descriptor that matches its name.
python3 "$GEN" "$WORK/csv" --csv-only --products 10 --categories 3 --seed 7
run_impex 0 import --group catalog "$WORK/csv/Products.csv" --json
expect_eq "bare csv rows" 10 "$(jq -r .imported <<<"$OUT")"

# Tenants are separate stores.
run_impex 0 count Products --tenant other
expect_eq "other tenant sees nothing" 0 "$OUT"
run_impex 2 job "$id" --tenant other
expect_contains "job of another tenant" "no job $id for tenant other" "$ERR"

run_impex 0 jobs --json
expect_eq "jobs listed" 3 "$(jq length <<<"$OUT")"
run_impex 0 job "$id"
expect_contains "human job view" "checkpoint: step 3" "$OUT"
done_ok
