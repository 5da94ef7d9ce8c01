#!/usr/bin/env bash
# Every hostile file of the corpus gets a precise message and a failed or
# partial job; nothing is written outside the data dir; records committed
# before (in another tenant) stay intact.
source "$(dirname "$0")/lib/common.sh"
H=$CORPORA/hostile
[ -d "$H" ] || fail "corpus not found at $H"

python3 "$GEN" "$WORK/good.zip" --products 500 --categories 10
run_impex 0 import --group catalog "$WORK/good.zip"
"$IMPEX" dump Products >"$WORK/before"

T=(--tenant hostile)
store_product_types "${T[@]}"   # the corpus' products are of type Base in Master
# import_as NAME FILE EXIT: FILE imported as Products.csv (the name the descriptor matches)
import_as() {
  mkdir -p "$WORK/$1"
  cp "$2" "$WORK/$1/Products.csv"
  run_impex "$3" "${T[@]}" import --group catalog "$WORK/$1/Products.csv" --json
}

cd "$WORK"
run_impex 4 "${T[@]}" import --group catalog "$H/not-a-zip.zip" --json
expect_eq "not a zip: status" FAILED_WITH_VALIDATION_ERRORS "$(jq -r .status <<<"$OUT")"
expect_contains "not a zip: message" "not-a-zip.zip: not a zip archive: end of central directory not found" "$(jq -r '.messages[0]' <<<"$OUT")"

# Zip-slip: refused naming the entry, no record stored (a good entry beside
# the bad one included), and nothing changed outside the data dir: the run
# happens three folders deep in a canary tree whose listing (names, sizes,
# times) must be the same after.
python3 - "$WORK/good.zip" "$WORK/mixed-slip.zip" <<'PY'
import sys, zipfile
good = zipfile.ZipFile(sys.argv[1])
with zipfile.ZipFile(sys.argv[2], "w") as z:
    z.writestr("Categories.csv", good.read("Categories.csv"))
    z.writestr("../../../Products.csv", good.read("Products.csv"))
PY
mkdir -p "$WORK/canary/a/b/c"
echo keep >"$WORK/canary/products.csv"
tree_state() {
  find "$WORK" \( -path "$IMPEX_DATA" -o -path "$WORK/out" -o -path "$WORK/err" \) -prune \
    -o -printf '%p %s %T@\n' | sort
  ls -l --time-style=full-iso /etc/products.csv 2>&1 || true
}
before=$(tree_state)
cd "$WORK/canary/a/b/c"
S=(--tenant zipslip)
for z in "$H/zip-slip-relative.zip:../../../products.csv" "$H/zip-slip-absolute.zip:/etc/products.csv" \
  "$WORK/mixed-slip.zip:../../../Products.csv"; do
  file=${z%%:*} entry=${z#*:}
  run_impex 4 "${S[@]}" import --group catalog "$file" --json
  expect_eq "$(basename "$file"): status" FAILED_WITH_VALIDATION_ERRORS "$(jq -r .status <<<"$OUT")"
  expect_contains "$(basename "$file"): refused naming the entry" "unsafe entry name '$entry' (zip-slip)" "$(jq -r '.messages[0]' <<<"$OUT")"
  expect_eq "$(basename "$file"): nothing imported" 0 "$(jq -r .imported <<<"$OUT")"
done
cd "$WORK"
for r in Categories Products; do
  expect_eq "zip-slip: no $r stored" 0 "$("$IMPEX" "${S[@]}" count "$r")"
done
diff <(echo "$before") <(tree_state) >&2 || fail "zip-slip changed files outside the data dir"
checks=$((checks + 1))

run_impex 4 "${T[@]}" import --group catalog "$H/zip-bomb-200MiB.zip" --json
expect_contains "zip bomb refused" "zip bomb" "$(jq -r '.messages[0]' <<<"$OUT")"
# The limits are configurable: a tighter total refuses the good catalog.
IMPEX_MAX_UNCOMPRESSED=10000 run_impex 4 "${T[@]}" import --group catalog "$WORK/good.zip" --json
expect_contains "total limit from the environment" "over the limit of 10000" "$(jq -r '.messages[0]' <<<"$OUT")"
IMPEX_MAX_RATIO=nonsense run_impex 1 "${T[@]}" import --group catalog "$WORK/good.zip"
expect_contains "malformed limit" "IMPEX_MAX_RATIO must be a positive whole number" "$ERR"
run_impex 4 "${T[@]}" import --group catalog "$H/truncated.zip" --json
expect_eq "truncated zip" FAILED_WITH_VALIDATION_ERRORS "$(jq -r .status <<<"$OUT")"
run_impex 4 "${T[@]}" import --group catalog "$H/empty.zip" --json
expect_contains "empty zip" "no entry matches" "$(jq -r '.messages | join(" ")' <<<"$OUT")"
run_impex 4 "${T[@]}" import --group catalog "$H/nested.zip" --json
expect_contains "nested zip reported" "inner.zip: nested archives are not imported" "$(jq -r '.messages | join(" ")' <<<"$OUT")"

import_as unterminated "$H/unterminated-quote.csv" 4
expect_eq "unterminated quote status" FAILED_WITH_VALIDATION_ERRORS "$(jq -r .status <<<"$OUT")"
expect_contains "unterminated quote located" "Products.csv: row 2 (line 2), column ProductName: unterminated quoted field" "$(jq -r '.messages | join(" ")' <<<"$OUT")"

import_as ragged "$H/ragged.csv" 3
expect_eq "ragged: imported" 1 "$(jq -r .imported <<<"$OUT")"
expect_eq "ragged: rejected" 2 "$(jq -r .rejected <<<"$OUT")"
run_impex 0 "${T[@]}" errors "$(jq -r .id <<<"$OUT")"
expect_contains "too few fields" "Products.csv,2,2,,,\"expected 11 fields, found 3\",Master,R-1,Base" "$OUT"
expect_contains "too many fields" "expected 11 fields, found 13" "$OUT"

import_as badutf8 "$H/bad-utf8.csv" 3
run_impex 0 "${T[@]}" errors "$(jq -r .id <<<"$OUT")"
expect_contains "bad utf-8 names the column" "Products.csv,2,2,ProductName," "$OUT"
expect_contains "bad utf-8 reason" "invalid UTF-8 at byte 4 of the value" "$OUT"

import_as dupheader "$H/duplicate-header.csv" 4
expect_eq "duplicate header status" FAILED_HEADERS "$(jq -r .status <<<"$OUT")"
expect_contains "duplicate header named" "duplicated column(s): \"ProductCode\"" "$(jq -r '.messages[0]' <<<"$OUT")"

import_as bom "$H/bom.csv" 0
run_impex 0 "${T[@]}" get Products Master/OK-1 --json
expect_eq "BOM stripped from the header" "Fine" "$(jq -r .ProductName <<<"$OUT")"

import_as mangled "$H/excel-mangled.csv" 3
run_impex 0 "${T[@]}" errors "$(jq -r .id <<<"$OUT")"
expect_contains "scientific notation code rejected" "1.23457E+11" "$OUT"
expect_contains "by the pattern" "does not match the pattern" "$OUT"

import_as formula "$H/formula-injection.csv" 0
run_impex 0 "${T[@]}" get Products Master/F-1 --json
expect_eq "formula stored as text" '=HYPERLINK("http://x","y")' "$(jq -r .ProductName <<<"$OUT")"

# Wrong headers: missing and unknown columns, all named, nothing written.
printf 'MasterCatalogName,ProductCode,Colour\nMaster,X-1,red\n' >"$WORK/Products.csv"
run_impex 4 --tenant headers import --group catalog "$WORK/Products.csv" --json
expect_eq "header status" FAILED_HEADERS "$(jq -r .status <<<"$OUT")"
expect_contains "missing columns named" "missing required column(s): \"ProductType\", \"ProductUsage\", \"ProductName\", \"Price\"" "$(jq -r '.messages[0]' <<<"$OUT")"
expect_contains "unknown column named" "unknown column(s): \"Colour\"" "$(jq -r '.messages[0]' <<<"$OUT")"
run_impex 0 --tenant headers count Products
expect_eq "nothing written on header failure" 0 "$OUT"

"$IMPEX" dump Products >"$WORK/after"
cmp -s "$WORK/before" "$WORK/after" || fail "records of the default tenant changed"
checks=$((checks + 1))
done_ok
