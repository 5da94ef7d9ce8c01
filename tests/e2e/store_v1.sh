#!/usr/bin/env bash
# A store written with record codec version 1 (tests/data/store-v1, made by
# its build.sh) still reads the same: the store is loaded from its portable
# text dump with mdb_load, every read command of reads.txt prints exactly what
# the version-1 engine printed, verify finds it sound and its old job records
# list. Re-importing the same files changes no value (every row unchanged)
# and rewrites each record it touches as version 2 (first byte 02); a file
# with one price changed updates that one record and nothing else. The
# re-imported files also carry the product types their products use
# (ProductTypes.csv, new to the store: the version-1 engine checked no
# references), counted apart in the ProductTypes step.
source "$(dirname "$0")/lib/common.sh"

FIX=$IMPEX_SOURCE_ROOT/tests/data/store-v1
STORE=$IMPEX_DATA/store
command -v mdb_load >/dev/null || fail "mdb_load is missing (Debian package lmdb-utils)"

# check_reads WHEN DIR: every command of reads.txt prints the bytes of DIR/FILE.
check_reads() {
  local when=$1 dir=$2 name args
  while read -r name args; do
    case $name in '' | '#'*) continue ;; esac
    read -ra argv <<<"$args"
    run_impex 0 "${argv[@]}"
    cmp -s "$WORK/out" "$dir/$name" ||
      fail "$when: impex $args differs from $name:
$(diff "$dir/$name" "$WORK/out" | head -n 20)"
  done <"$FIX/reads.txt"
}

# record_versions DB: "N records: XX" with N the records of the fixture's
# tenants in DB and XX the first bytes of their values (the codec version).
# Entries of other keys (none in version 1) are left out.
record_versions() {
  mdb_dump -s "$1" "$STORE" | awk '
    /^HEADER=END/ {on = 1; next}
    /^DATA=END/ {on = 0}
    on {
      if (++n % 2) rec = $1 ~ /^(64656661756c74|61636d65)00/   # key: "default" or "acme", NUL
      else if (rec) {count++; if (!(substr($1, 1, 2) in seen)) {seen[substr($1, 1, 2)] = 1; v = v (v ? "," : "") substr($1, 1, 2)}}
    }
    END {print count + 0 " records: " v}'
}

# import_counts TENANT ZIP: imports, expects COMPLETED and sets COUNTS to the
# created/updated/unchanged/deleted/rejected counts, the job's and then each
# step's ("job=c/u/n/d/r Resource=c/u/n/d/r ..."). The counts are integers;
# the job JSON of version 1 already has top-level "created" and "updated", as
# timestamps (the fixture's own jobs hold them), so a string there shows here.
import_counts() {
  run_impex 0 --tenant "$1" import --group catalog "$2" --json
  expect_eq "$(basename "$2") ($1) status" COMPLETED "$(jq -r .status <<<"$OUT")"
  COUNTS=$(jq -r '[(["job"] + [.created, .updated, .unchanged, .deleted, .rejected]),
          (.resources[] | [.resource, .created, .updated, .unchanged, .deleted, .rejected])]
         | map(.[0] + "=" + (.[1:] | map(tostring) | join("/"))) | join(" ")' <<<"$OUT")
}

# --- a. the version-1 store, from its text dump --------------------------------------
mkdir -p "$STORE"
mdb_load -f "$FIX/store.dump" "$STORE" 2>"$WORK/load.err" || fail "mdb_load: $(cat "$WORK/load.err")"
mdb_dump -a "$STORE" | cmp -s - "$FIX/store.dump" || fail "mdb_load did not give back the dumped store"
checks=$((checks + 1))
expect_eq "fixture products are version 1" "258 records: 01" "$(record_versions r:Products)"
expect_eq "fixture categories are version 1" "24 records: 01" "$(record_versions r:Categories)"

# --- b. reads print what the version-1 engine printed ----------------------------------
check_reads "version-1 store" "$FIX/expected"

# --- c. verify, and the old job records -------------------------------------------------
run_impex 0 verify
expect_contains "verify" "the store is sound" "$OUT"
run_impex 0 jobs --json
expect_eq "old jobs of tenant default" "1 COMPLETED 270 270 0,2 COMPLETED 8 8 0" \
  "$(jq -r 'map("\(.id) \(.status) \(.rows) \(.imported) \(.rejected)") | join(",")' <<<"$OUT")"
run_impex 0 --tenant acme job 3 --json
expect_eq "old job of tenant acme" "COMPLETED Categories Products 4" \
  "$(jq -r '"\(.status) \([.resources[].resource] | join(" ")) \(.imported)"' <<<"$OUT")"

# with_types DIR MASTERCATALOG...: adds DIR/ProductTypes.csv with type Base
# in each master catalog (the type every fixture product has).
with_types() {
  local dir=$1 m
  shift
  printf 'MasterCatalogName,ProductType,Standard,Configurable,Bundle,Component\r\n' >"$dir/ProductTypes.csv"
  for m in "$@"; do printf '%s,Base,true,false,true,true\r\n' "$m" >>"$dir/ProductTypes.csv"; done
}

# --- d. the same files again: nothing changes, every record becomes version 2 ----------
for input in catalog special acme; do
  cp -r "$FIX/input/$input" "$WORK/$input"
done
with_types "$WORK/catalog" Master
with_types "$WORK/special" Master "Süd/EU"
with_types "$WORK/acme" Master
for input in catalog special acme; do
  python3 "$FIX/zip-input.py" "$WORK/$input" "$WORK/$input.zip"
done
import_counts default "$WORK/catalog.zip"
expect_eq "catalog again" "job=1/0/270/0/0 ProductTypes=1/0/0/0/0 Categories=0/0/20/0/0 Products=0/0/250/0/0" "$COUNTS"
import_counts default "$WORK/special.zip"
expect_eq "special again" "job=1/0/9/0/0 ProductTypes=1/0/1/0/0 Categories=0/0/3/0/0 Products=0/0/5/0/0" "$COUNTS"
import_counts acme "$WORK/acme.zip"
expect_eq "acme again" "job=1/0/4/0/0 ProductTypes=1/0/0/0/0 Categories=0/0/1/0/0 Products=0/0/3/0/0" "$COUNTS"
check_reads "after the re-import" "$FIX/expected"
expect_eq "products rewritten as version 2" "258 records: 02" "$(record_versions r:Products)"
expect_eq "categories rewritten as version 2" "24 records: 02" "$(record_versions r:Categories)"
run_impex 0 verify
expect_contains "verify after the re-import" "the store is sound" "$OUT"

# --- e. one price changed: one record updated, the rest as it was -----------------------
cp -r "$WORK/catalog" "$WORK/changed"
python3 - "$WORK/changed/Products.csv" <<'PY'
import sys
path = sys.argv[1]
lines = open(path, "rb").read().split(b"\r\n")
hits = [i for i, l in enumerate(lines) if l.startswith(b"Master,P0000150,")]
assert len(hits) == 1, hits
cols = lines[hits[0]].split(b",")
assert cols[5] == b"436.99", cols  # Price; no column before it is quoted
cols[5] = b"1234.50"
lines[hits[0]] = b",".join(cols)
open(path, "wb").write(b"\r\n".join(lines))
PY
python3 "$FIX/zip-input.py" "$WORK/changed" "$WORK/changed.zip"
import_counts default "$WORK/changed.zip"
expect_eq "one price changed" "job=0/1/270/0/0 ProductTypes=0/0/1/0/0 Categories=0/0/20/0/0 Products=0/1/249/0/0" "$COUNTS"
cp -r "$FIX/expected" "$WORK/expected-changed"
sed -i 's/"Price":436\.99,/"Price":1234.50,/' "$WORK/expected-changed/get.default.P0000150.json"
sed -i 's/^Price: 436\.99$/Price: 1234.50/' "$WORK/expected-changed/get.default.P0000150.txt"
sed -i '/"ProductCode":"P0000150"/s/"Price":436\.99,/"Price":1234.50,/' \
  "$WORK/expected-changed/dump.default.Products.jsonl"
expect_eq "expected outputs that show the new price" 3 \
  "$(diff -rq "$FIX/expected" "$WORK/expected-changed" | wc -l)"
check_reads "after the price change" "$WORK/expected-changed"
expect_eq "products still version 2" "258 records: 02" "$(record_versions r:Products)"
run_impex 0 verify
expect_contains "verify after the price change" "the store is sound" "$OUT"
done_ok
