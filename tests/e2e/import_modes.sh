#!/usr/bin/env bash
# Keys a job has seen: a duplicate key in one job is rejected naming its
# first row (within one file), accumulate lets every
# row apply, a file of many duplicates stays in bounded memory; the catalog
# context: contextOverride fills the mapped fields, context_required refuses.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS

# Duplicates: the later row is rejected, the first one stays.
printf 'Catalog,Code,Name\nM,P1,first\nM,P2,two\nM,P1,again\nN,P1,other catalog\nM,P2,x\n' >"$WORK/items.csv"
run_impex 3 import --group items "$WORK/items.csv" --json
id=$(jq -r .id <<<"$OUT")
expect_eq "duplicates counted as rejected" "5 3 2" "$(jq -r '"\(.rows) \(.imported) \(.rejected)"' <<<"$OUT")"
run_impex 0 errors "$id"
expect_contains "duplicate names the earlier row" "items.csv,4,4,,,duplicate key M/P1: already in row 2,M,P1,again" "$OUT"
expect_contains "second duplicate" "items.csv,6,6,,,duplicate key M/P2: already in row 3,M,P2,x" "$OUT"
run_impex 0 get Items M/P1 --json
expect_eq "the first row of a key is kept" first "$(jq -r .Name <<<"$OUT")"
run_impex 0 get Items N/P1 --json
expect_eq "same code, other catalog: another key" "other catalog" "$(jq -r .Name <<<"$OUT")"

# A second job may carry the same keys again: seen keys are per job.
run_impex 3 import --group items "$WORK/items.csv" --json
expect_eq "a new job: only its own duplicates" "5 3 2" "$(jq -r '"\(.rows) \(.imported) \(.rejected)"' <<<"$OUT")"
printf 'Catalog,Code,Name\nM,P1,second job\n' >"$WORK/items-again.csv"
run_impex 0 import --group items "$WORK/items-again.csv"
run_impex 0 get Items M/P1 --json
expect_eq "another job updates the key" "second job" "$(jq -r .Name <<<"$OUT")"

# Duplicates are per file: two entries of one resource each have their own
# (a later file may carry a key again, as a delete file after a load does).
python3 - "$WORK" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1] + "/two.zip", "w") as z:
    z.writestr("items-1.csv", "Catalog,Code,Name\nM,Q1,one\nM,Q2,two\n")
    z.writestr("items-2.csv", "Catalog,Code,Name\nM,Q3,three\nM,Q1,again\nM,Q3,dup\n")
PY
run_impex 3 import --group items "$WORK/two.zip" --json
id=$(jq -r .id <<<"$OUT")
expect_eq "only the second entry's own duplicate rejected" "0 1" "$(jq -r '[.resources[].rejected] | join(" ")' <<<"$OUT")"
run_impex 0 errors "$id"
expect_contains "within the entry" "items-2.csv,4,4,,,duplicate key M/Q3: already in row 2" "$OUT"
run_impex 0 get Items M/Q1 --json
expect_eq "the later entry's row applied" again "$(jq -r .Name <<<"$OUT")"

# accumulate: three movements of one SKU add up, in order.
printf 'SKU,Delta\nS1,5\nS2,1\nS1,-2\nS1,10\n' >"$WORK/moves.csv"
run_impex 0 import --group moves "$WORK/moves.csv" --json
expect_eq "every movement applies" "4 4 0" "$(jq -r '"\(.rows) \(.imported) \(.rejected)"' <<<"$OUT")"
run_impex 0 get Stock S1 --json
expect_eq "movements summed" 13 "$(jq -r .OnHand <<<"$OUT")"

# A 200,000-row file, three rows out of four a duplicate: the seen keys live
# in the store, so memory does not grow with the number of keys.
python3 - "$WORK" <<'PY'
import sys
with open(sys.argv[1] + "/items-big.csv", "w") as f:
    f.write("Catalog,Code,Name\n")
    for i in range(200000):
        f.write("B,K%06d,n%d\n" % (i % 50000, i))
PY
/usr/bin/time -f %M -o "$WORK/rss" "$IMPEX" import --group items "$WORK/items-big.csv" --batch-size 500 --json >"$WORK/out" 2>"$WORK/err" || true
OUT=$(cat "$WORK/out")
expect_eq "big file: duplicates rejected" "200000 50000 150000" "$(jq -r '"\(.rows) \(.imported) \(.rejected)"' <<<"$OUT")"
rss=$(tail -1 "$WORK/rss")
if [ -z "${ASAN_OPTIONS:-}${TSAN_OPTIONS:-}" ]; then
  [ "$rss" -lt 80000 ] || fail "peak RSS ${rss} KiB over 80 MiB for 200,000 rows"
fi
run_impex 0 count Items
expect_eq "one record per key" 50006 "$OUT"

# contextOverride fills the mapped fields; the column may then be absent.
printf 'ProductCode,Url\nP1,http://img/1\nP2,http://img/2\n' >"$WORK/images.csv"
run_impex 0 import --group images "$WORK/images.csv" --context masterCatalog=Master,locale=en-US --json
expect_eq "override stored on the job" '{"masterCatalog":"Master","locale":"en-US"}' "$(jq -c .contextOverride <<<"$OUT")"
run_impex 0 get ProductImages Master/P2/en-US --json
expect_eq "override filled the key" '{"MasterCatalogName":"Master","ProductCode":"P2","LocaleCode":"en-US","Url":"http://img/2"}' "$OUT"
# ...and wins over the file's cell
printf 'MasterCatalogName,ProductCode,LocaleCode,Url\nOther,P3,fr-FR,http://img/3\n' >"$WORK/images-cells.csv"
run_impex 0 import --group images "$WORK/images-cells.csv" --context masterCatalog=Master,locale=de-DE
run_impex 0 get ProductImages Master/P3/de-DE --json
expect_eq "override wins over the cell" "Master de-DE" "$(jq -r '"\(.MasterCatalogName) \(.LocaleCode)"' <<<"$OUT")"
run_impex 2 get ProductImages Other/P3/fr-FR
# an override value is checked by the field's rules
run_impex 3 import --group images "$WORK/images.csv" --context masterCatalog=Master,locale=english --json
run_impex 0 errors "$(jq -r .id <<<"$OUT")"
expect_contains "override checked" "contextOverride locale=english: " "$OUT"
# context_required: refused before any write without the parts it maps
run_impex 4 import --group images "$WORK/images-cells.csv" --json
expect_eq "refused without an override" FAILED_WITH_VALIDATION_ERRORS "$(jq -r .status <<<"$OUT")"
expect_eq "refusal message" "ProductImages needs a contextOverride with masterCatalog, locale (import --context masterCatalog=…,locale=…)" "$(jq -r '.messages[0]' <<<"$OUT")"
expect_eq "nothing written" "0 0" "$(jq -r '"\(.rows) \(.imported)"' <<<"$OUT")"
run_impex 4 import --group images "$WORK/images-cells.csv" --context locale=en-US --json
expect_eq "a part missing" "ProductImages needs a contextOverride with masterCatalog (import --context masterCatalog=…)" "$(jq -r '.messages[0]' <<<"$OUT")"
run_impex 0 count ProductImages
expect_eq "no record from refused jobs" 3 "$OUT"
# --context takes known parts only, each once, with a value
run_impex 2 import --group images "$WORK/images.csv" --context shop=x
expect_contains "unknown part" "--context: 'shop=x' is not part=value" "$ERR"
run_impex 2 import --group images "$WORK/images.csv" --context locale=en-US,locale=de-DE
expect_contains "repeated part" "--context: locale is given twice" "$ERR"
done_ok
