#!/usr/bin/env bash
# Daily feeds: an import counts what it did to each record (created, updated,
# unchanged, deleted, rejected); a record whose result equals the stored one
# is not written at all (the store's page count does not move); a changed
# field is written; a blank cell keeps the stored value; map still sees the
# stored record.
source "$(dirname "$0")/lib/common.sh"

pages() { mdb_stat -e "$IMPEX_DATA/store" | sed -n 's/.*Number of pages used: //p'; }
counts() { jq -r '"\(.created) \(.updated) \(.unchanged) \(.deleted) \(.rejected)"' <<<"$1"; }

python3 "$GEN" "$WORK/catalog.zip" --products 20000 --categories 5
run_impex 0 import --group catalog "$WORK/catalog.zip" --json
expect_eq "first import creates" "20006 0 0 0 0" "$(counts "$OUT")"
expect_eq "per step too" "20000 0 0 0 0" "$(counts "$(jq '.resources[2]' <<<"$OUT")")"
run_impex 0 get Products Master/P0000042 --json
before=$OUT
run_impex 0 dump Products
dump_before=$OUT
leaves=$(mdb_stat -s r:Products "$IMPEX_DATA/store" | sed -n 's/.*Leaf pages: //p')
p1=$(pages)

# The same file again: nothing to write.
run_impex 0 import --group catalog "$WORK/catalog.zip" --json
expect_eq "re-import: all unchanged" "0 0 20006 0 0" "$(counts "$OUT")"
expect_eq "imported is the sum" 20006 "$(jq -r .imported <<<"$OUT")"
p2=$(pages)
# Only the job's own pages change, and they reuse freed ones; rewriting the
# records would copy each of the $leaves leaf pages.
[ $((p2 - p1)) -le $((leaves / 20)) ] || fail "an unchanged re-import grew the store from $p1 to $p2 pages ($leaves leaf pages of records)"
checks=$((checks + 1))
run_impex 0 dump Products
expect_eq "dump identical after re-import" "$dump_before" "$OUT"
run_impex 0 job 2
expect_contains "summary line" "created 0, updated 0, unchanged 20006, deleted 0" "$OUT"

# A delta: 10% of the rows changed, 1% new keys.
python3 "$GEN" "$WORK/delta.zip" --products 20000 --categories 5 --delta-change 0.10 --delta-new 0.01
run_impex 0 import --group catalog "$WORK/delta.zip" --json
expect_eq "delta counts" "200 2000 18006 0 0" "$(counts "$OUT")"
p3=$(pages)
[ $((p3 - p2)) -gt $((leaves / 20)) ] || fail "changing 2000 records wrote next to nothing ($p2 -> $p3 pages)"
checks=$((checks + 1))
run_impex 0 get Products Master/P0000040 --json
unzip -q -o -d "$WORK/delta" "$WORK/delta.zip"
unzip -q -o -d "$WORK/base" "$WORK/catalog.zip"
expect_eq "changed row 40 stored" "$(grep '^Master,P0000040,' "$WORK/delta/Products.csv" | cut -d, -f6)" "$(jq -r .Price <<<"$OUT")"
run_impex 0 get Products Master/P0000042 --json
expect_eq "unchanged row 42 as before" "$before" "$OUT"
run_impex 0 count Products
expect_eq "new keys added" 20200 "$OUT"

# A blank cell keeps the stored value: unchanged, not updated.
sed -n 1p "$WORK/base/Products.csv" >"$WORK/Products.csv"
grep '^Master,P0000042,' "$WORK/base/Products.csv" | sed 's/,true,false,/,,,/' >>"$WORK/Products.csv"
grep -q ',,,' "$WORK/Products.csv" || fail "the blank-cell row was not made"
(cd "$WORK" && rm -f blank.zip && zip -q blank.zip Products.csv)
run_impex 0 import --group catalog "$WORK/blank.zip" --json
expect_eq "blank cells leave the record unchanged" "0 0 1 0 0" "$(counts "$OUT")"
run_impex 0 get Products Master/P0000042 --json
expect_eq "the stored values kept" "$before" "$OUT"

# Deletions are counted.
run_impex 0 import --group catalog "$WORK/blank.zip" --operation delete --json
expect_eq "delete counted" "0 0 0 1 0" "$(counts "$OUT")"
run_impex 2 get Products Master/P0000042

# map sees the stored record: deltas add to the stock; every row is an update.
export IMPEX_SCRIPTS=$TEST_SCRIPTS
printf 'SKU,Stock,Location\r\nA,10,WH\r\nB,5,WH\r\n' >"$WORK/base.csv"
printf 'SKU,Delta\r\nA,3\r\nB,-5\r\n' >"$WORK/deltas.csv"
(cd "$WORK" && zip -q deltas.zip deltas.csv)
run_impex 0 import --group stock-base "$WORK/base.csv" --json
run_impex 0 import --group stock-base "$WORK/base.csv" --json
expect_eq "stock base again: unchanged" "0 0 2 0 0" "$(counts "$OUT")"
run_impex 0 import --group stock-deltas "$WORK/deltas.zip" --json
expect_eq "map: both rows update" "0 2 0 0 0" "$(counts "$OUT")"
run_impex 0 get Inventory A --json
expect_eq "map added to the stored stock" 13 "$(jq -r .Stock <<<"$OUT")"

# Equal values in another encoding: records written before a descriptor
# declared the colours hold them as text; the enumerated descriptor stores
# them as numbers. Same values: unchanged (and rewritten), never "updated".
printf 'Code,Colour\r\nS1,Red\r\nS2,Blue\r\nS3,Mauve\r\n' >"$WORK/swatches.csv"
run_impex 0 import --group swatches-plain "$WORK/swatches.csv" --json
run_impex 0 dump Swatches
plain_dump=$OUT
sed -i 's/Mauve/Green/' "$WORK/swatches.csv"
run_impex 0 import --group swatches-enum "$WORK/swatches.csv" --json
expect_eq "re-encoded records are unchanged; the changed one updated" "0 1 2 0 0" "$(counts "$OUT")"
raw=$(mdb_dump -p -s r:Swatches "$IMPEX_DATA/store")
case "$raw" in *Red* | *Blue*) fail "the enumerated colours are still stored as text: $raw" ;; esac
checks=$((checks + 1))
run_impex 0 import --group swatches-enum "$WORK/swatches.csv" --json
expect_eq "then plainly unchanged" "0 0 3 0 0" "$(counts "$OUT")"
run_impex 0 dump Swatches
expect_eq "values read back the same" "${plain_dump/Mauve/Green}" "$OUT"
run_impex 0 verify
done_ok
