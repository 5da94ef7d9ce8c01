#!/usr/bin/env bash
# skip (default) imports the good rows; strict imports nothing when any row is
# bad; max_errors stops a skip import early and keeps what was committed.
source "$(dirname "$0")/lib/common.sh"

python3 "$GEN" "$WORK/csv" --csv-only --products 3000 --categories 5
# Break three rows: a bad price (row 101), an empty name (row 1501), a bad enum (row 2901).
python3 - "$WORK/csv/Products.csv" <<'PY'
import csv, sys
p = sys.argv[1]
rows = list(csv.reader(open(p, newline="", encoding="utf-8")))
rows[100][5] = "12,5x"
rows[1500][4] = ""
rows[2900][3] = "Gadget"
with open(p, "w", newline="", encoding="utf-8") as f:
    csv.writer(f, lineterminator="\r\n").writerows(rows)
PY
P=$WORK/csv/Products.csv
# The products' type, stored in each tenant first (each tenant's job 1).
for t in skip strict maxerr; do store_product_types --tenant $t; done

run_impex 3 --tenant skip import --group catalog "$P" --json
skip_id=$(jq -r .id <<<"$OUT")
expect_eq "skip: status" COMPLETED_WITH_ERRORS "$(jq -r .status <<<"$OUT")"
expect_eq "skip: imported" 2997 "$(jq -r .imported <<<"$OUT")"
expect_eq "skip: rejected" 3 "$(jq -r .rejected <<<"$OUT")"
run_impex 0 --tenant skip errors "$(jq -r .id <<<"$OUT")"
expect_contains "price reason text" "not a decimal: '12,5x'" "$OUT"
expect_contains "empty required" "Products.csv,1501,1502,ProductName,,required value is empty" "$OUT"
expect_contains "enum" "'Gadget' is not one of the allowed values" "$OUT"
run_impex 0 --tenant skip count Products
expect_eq "skip: stored" 2997 "$OUT"
run_impex 0 --tenant skip errors "$skip_id"
expect_eq "report header names the file's columns" \
  "file,row,line,column,value,reason,$(head -n 1 "$P" | tr -d '\r')" "$(head -n 1 <<<"$OUT" | tr -d '\r')"

# Replay: the rejected rows in the file's own layout, fixed, imported again.
run_impex 0 --tenant skip errors "$skip_id" --replay
mkdir -p "$WORK/replay"
printf '%s\n' "$OUT" >"$WORK/replay/Products.csv"
expect_eq "replay file: header and the 3 rows" 4 "$(grep -c . "$WORK/replay/Products.csv")"
expect_eq "replay header is the original" "$(head -n 1 "$P")" "$(head -n 1 "$WORK/replay/Products.csv")"
python3 - "$WORK/replay/Products.csv" <<'PY'
import csv, sys
p = sys.argv[1]
rows = list(csv.reader(open(p, newline="", encoding="utf-8")))
for r in rows[1:]:
    r[3], r[4], r[5] = "Standard", r[4] or "Fixed name", "12.50"
with open(p, "w", newline="", encoding="utf-8") as f:
    csv.writer(f, lineterminator="\r\n").writerows(rows)
PY
run_impex 0 --tenant skip import --group catalog "$WORK/replay/Products.csv" --json
expect_eq "replayed rows imported" 3 "$(jq -r .imported <<<"$OUT")"
run_impex 0 --tenant skip count Products
expect_eq "every product after the replay" 3000 "$OUT"
run_impex 0 --tenant skip get Products Master/P0000100 --json
expect_eq "fixed price stored" 12.50 "$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read(), parse_float=str)["Price"])' <<<"$OUT")"

run_impex 4 --tenant strict import --group catalog "$P" --strategy strict --json
expect_eq "strict: status" FAILED_WITH_VALIDATION_ERRORS "$(jq -r .status <<<"$OUT")"
expect_eq "strict: rows" 3000 "$(jq -r .rows <<<"$OUT")"
expect_eq "strict: rejected" 3 "$(jq -r .rejected <<<"$OUT")"
expect_eq "strict: imported" 0 "$(jq -r .imported <<<"$OUT")"
strict_id=$(jq -r .id <<<"$OUT")
run_impex 0 --tenant strict count Products
expect_eq "strict: nothing written" 0 "$OUT"
run_impex 0 --tenant strict errors "$strict_id"
expect_eq "strict: report lists every bad row" 4 "$(grep -c . <<<"$OUT")"

python3 "$GEN" "$WORK/clean" --csv-only --products 1200 --categories 5
run_impex 0 --tenant strict import --group catalog "$WORK/clean/Products.csv" --strategy strict --json
expect_eq "strict clean file: imported" 1200 "$(jq -r .imported <<<"$OUT")"

# max_errors: 1 allowed, the second bad row (1501) stops the job; batches of 100
# before it are committed and kept.
run_impex 4 --tenant maxerr import --group catalog "$P" --max-errors 1 --batch-size 100 --json
expect_eq "max_errors: status" FAILED_WITH_VALIDATION_ERRORS "$(jq -r .status <<<"$OUT")"
expect_contains "max_errors: message" "stopped after 2 rejected rows (max_errors 1)" "$(jq -r '.messages | join(" ")' <<<"$OUT")"
run_impex 0 --tenant maxerr count Products
expect_eq "max_errors: rows before the stop kept" 1498 "$OUT"

# Usage errors exit 2 and create no job.
run_impex 2 import --group nosuch "$P"
expect_contains "unknown group" "catalog" "$ERR"
run_impex 2 import "$P"
run_impex 2 import --group catalog "$P" --strategy sometimes
run_impex 2 job 999
run_impex 2 frobnicate
run_impex 0 jobs --json
expect_eq "no job for usage errors" 0 "$(jq length <<<"$OUT")"
done_ok
