#!/usr/bin/env bash
# insert, update, upsert and delete: what each does to the store, and the
# rows each rejects with its reason.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS
names() {  # Code:Name:Price of every record, decimals exactly as stored
  "$IMPEX" dump Things | python3 -c '
import json, sys
recs = [json.loads(l, parse_float=str, parse_int=str) for l in sys.stdin]
print(" ".join("%s:%s:%s" % (r["Code"], r.get("Name", "-"), r.get("Price", "-")) for r in recs))'
}

printf 'Code,Name,Price\nA,apple,1.50\nB,banana,0.25\n' >"$WORK/insert1.csv"
run_impex 0 import --group things-insert "$WORK/insert1.csv"
expect_eq "insert" "A:apple:1.50 B:banana:0.25" "$(names)"

printf 'Code,Name,Price\nA,avocado,9\nC,cherry,3\n' >"$WORK/insert2.csv"
run_impex 3 import --group things-insert "$WORK/insert2.csv" --json
run_impex 0 errors "$(jq -r .id <<<"$OUT")"
expect_contains "insert of an existing key" "insert2.csv,2,2,,,record already exists (operation insert),A,avocado,9" "$OUT"
expect_eq "insert keeps the existing record" "A:apple:1.50 B:banana:0.25 C:cherry:3" "$(names)"

# update with a partial header: the columns it does not carry keep their values
printf 'Code,Price\nA,2.00\nD,4\n' >"$WORK/update1.csv"
run_impex 3 import --group things-update "$WORK/update1.csv" --json
expect_eq "update counts" "1 1" "$(jq -r '"\(.imported) \(.rejected)"' <<<"$OUT")"
run_impex 0 errors "$(jq -r .id <<<"$OUT")"
expect_contains "update of a missing key" "no such record to update" "$OUT"
expect_eq "update overlays" "A:apple:2.00 B:banana:0.25 C:cherry:3" "$(names)"

# upsert: an empty value leaves the stored one
printf 'Code,Name,Price\nB,,0.30\nE,elder,5\n' >"$WORK/upsert1.csv"
run_impex 0 import --group things-upsert "$WORK/upsert1.csv"
expect_eq "upsert" "A:apple:2.00 B:banana:0.30 C:cherry:3 E:elder:5" "$(names)"

printf 'Code\nB\nZ\n' >"$WORK/delete1.csv"
run_impex 3 import --group things-delete "$WORK/delete1.csv" --json
run_impex 0 errors "$(jq -r .id <<<"$OUT")"
expect_contains "delete of a missing key" "delete1.csv,3,3,,,no such record to delete,Z" "$OUT"
expect_eq "delete" "A:apple:2.00 C:cherry:3 E:elder:5" "$(names)"
run_impex 0 count Things
expect_eq "count after delete" 3 "$OUT"
# A map that rejects a row leaves nothing of it in the store.
printf 'Code,Name\nM1,mango\nM2,refuse\n' >"$WORK/mapped1.csv"
run_impex 3 import --group things-mapped "$WORK/mapped1.csv" --json
run_impex 0 errors "$(jq -r .id <<<"$OUT")"
expect_contains "map rejection reason" "mapped1.csv,3,3,,,map refused M2,M2,refuse" "$OUT"
run_impex 0 get Things M1 --json
expect_eq "mapped value stored" MANGO "$(jq -r .Name <<<"$OUT")"
run_impex 2 get Things M2
# Unknown columns fail the job unless the descriptor allows extras; then they are ignored.
printf 'Code,Name,Colour\nX1,xigua,green\n' >"$WORK/upsert-extra.csv"
run_impex 4 import --group things-upsert "$WORK/upsert-extra.csv" --json
expect_contains "unknown column refused" "unknown column(s): \"Colour\"" "$(jq -r '.messages[0]' <<<"$OUT")"
cp "$WORK/upsert-extra.csv" "$WORK/extras1.csv"
run_impex 0 import --group things-extras "$WORK/extras1.csv"
run_impex 0 get Things X1 --json
expect_eq "extra column ignored" '{"Code":"X1","Name":"xigua"}' "$OUT"
# A request may choose another operation only among those the descriptor allows.
printf 'Code,Name\nA,x\n' >"$WORK/upsert-op.csv"
run_impex 4 import --group things-upsert "$WORK/upsert-op.csv" --operation delete --json
expect_eq "refused operation" INVALID_OPERATION_TYPE "$(jq -r .status <<<"$OUT")"
expect_contains "refusal names what is allowed" "descriptors/ops/upsert.lua: operation delete is not allowed (allowed: upsert)" "$(jq -r '.messages[0]' <<<"$OUT")"
run_impex 0 get Things A --json
expect_eq "nothing written on a refused operation" apple "$(jq -r .Name <<<"$OUT")"
run_impex 2 import --group things-upsert "$WORK/upsert-op.csv" --operation purge
expect_contains "unknown operation" "unknown operation 'purge'" "$ERR"

# The catalog allows every operation: a delete file needs the key columns only.
export IMPEX_SCRIPTS=$IMPEX_SOURCE_ROOT
python3 "$GEN" "$WORK/cat.zip" --products 20 --categories 2
run_impex 0 import --group catalog "$WORK/cat.zip"
printf 'MasterCatalogName,ProductCode,ProductName\nMaster,P0000003,ignored\nMaster,P0000007,\n' >"$WORK/Products.csv"
run_impex 0 import --group catalog "$WORK/Products.csv" --operation delete --json
expect_eq "catalog delete" "2 0" "$(jq -r '"\(.imported) \(.rejected)"' <<<"$OUT")"
expect_eq "job records the operation" delete "$(jq -r .operation <<<"$OUT")"
run_impex 0 count Products
expect_eq "products after delete" 18 "$OUT"
run_impex 2 get Products Master/P0000003
done_ok
