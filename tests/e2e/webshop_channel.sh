#!/usr/bin/env bash
# The webshop product channel: products loaded with webshop/products
# (upsert), then kept current through webshop/products-update (update only,
# batches of 500, uploads of at most 5 MB).
source "$(dirname "$0")/lib/common.sh"
UUID=3f2b8c1e-5d4a-4e8b-9c7d-1a2b3c4d5e6f
# gen FILE ROWS DESC_BYTES [PRICE]: a product file of ROWS rows
gen() {
  python3 - "$@" <<'PY'
import sys
path, rows, desc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
price = sys.argv[4] if len(sys.argv) > 4 else "19.90"
with open(path, "w") as f:
    f.write("webshop_uuid,identifier,name,description,price,sale_price,currency,stock,active,ean\n")
    for i in range(rows):
        text = ("Soft cotton shirt %d. " % i * (desc // 20 + 1))[:desc]
        f.write("3f2b8c1e-5d4a-4e8b-9c7d-1a2b3c4d5e6f,SKU-%05d,Shirt %d,\"%s\",%s,15.00,EUR,%d,true,40123456%05d\n"
                % (i, i, text, price, i % 50, i))
PY
}

gen "$WORK/load.csv" 1200 40
run_impex 0 import --group webshop/products "$WORK/load.csv" --json
expect_eq "load: created" "1200" "$(jq -r .created <<<"$OUT")"
run_impex 0 count WebshopProducts
expect_eq "load: stored" 1200 "$OUT"

# About 4 MB of updates: accepted, applied in batches of 500 (1200 rows = 3).
gen "$WORK/update.csv" 1200 3300 21.50
size=$(stat -c %s "$WORK/update.csv")
[ "$size" -gt 3900000 ] && [ "$size" -lt 5000000 ] || fail "update file is $size bytes, not about 4 MB"
run_impex 0 import --group webshop/products-update "$WORK/update.csv" --json
expect_eq "update: status" COMPLETED "$(jq -r .status <<<"$OUT")"
expect_eq "update: batches of 500" 3 "$(jq -r .batches <<<"$OUT")"
expect_eq "update: every product updated" "1200 0 0" "$(jq -r '"\(.updated) \(.created) \(.rejected)"' <<<"$OUT")"
run_impex 0 get WebshopProducts "$UUID/SKU-00007" --json
expect_contains "update: price, digits as given" '"price":21.50,' "$OUT"
expect_eq "update: description" 3300 "$(jq -r '.description | length' <<<"$OUT")"

# Update only: an unknown product is rejected, nothing is created; a bad UUID
# is rejected by its pattern; "~delete~" clears an optional field. The bare
# group name works as well as the path.
cat >"$WORK/partial.csv" <<CSV
webshop_uuid,identifier,sale_price,stock,active
$UUID,SKU-00001,~delete~,0,false
$UUID,SKU-99999,1.00,1,true
not-a-uuid,SKU-00002,1.00,1,true
CSV
run_impex 3 import --group products-update "$WORK/partial.csv" --json
expect_eq "partial: updated rejected" "1 2" "$(jq -r '"\(.updated) \(.rejected)"' <<<"$OUT")"
run_impex 0 errors "$(jq -r .id <<<"$OUT")"
expect_contains "unknown product" "partial.csv,3,3,,,no such record to update (operation update)" "$OUT"
expect_contains "bad uuid" "partial.csv,4,4,webshop_uuid,not-a-uuid," "$OUT"
run_impex 0 get WebshopProducts "$UUID/SKU-00001" --json
expect_eq "partial: sale_price cleared, stock and active set" "false 0 false" \
  "$(jq -r '"\(has("sale_price")) \(.stock) \(.active)"' <<<"$OUT")"
run_impex 0 count WebshopProducts
expect_eq "update creates nothing" 1200 "$OUT"

# Another operation than update is refused for the channel.
run_impex 4 import --group webshop/products-update "$WORK/partial.csv" --operation upsert --json
expect_eq "upsert refused" INVALID_OPERATION_TYPE "$(jq -r .status <<<"$OUT")"

# Over 5 MB: refused before a job exists.
gen "$WORK/big.csv" 1800 3300
jobs_before=$("$IMPEX" jobs --json | jq length)
run_impex 2 import --group webshop/products-update "$WORK/big.csv"
size=$(stat -c %s "$WORK/big.csv")
mb=$(python3 -c "import math,sys; t=math.ceil($size/100000); print(t//10 if t%10==0 else '%d.%d' % (t//10, t%10))")
expect_eq "over 5 MB refused" "impex: upload of $mb MB is over the 5 MB limit of group webshop/products-update" "$ERR"
expect_eq "over 5 MB: no job" "$jobs_before" "$("$IMPEX" jobs --json | jq length)"
done_ok
