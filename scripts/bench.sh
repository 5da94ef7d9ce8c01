#!/usr/bin/env bash
# Throughput, memory and store size of `impex import` against a peer
# (`sqlite3 .import`) on the same generated Kibo Products CSV, in the same
# run, for a first import and for the daily feeds that follow it.
#
#   scripts/bench.sh [ROWS...]      default: 100000 1000000
#
# impex runs with validation on (the shipped products descriptor: types,
# enums, patterns, lengths) and durable commits; the input is a zip. sqlite3
# imports the unzipped CSV into a fresh database file with no validation.
# Each timed run follows an untimed prep (its target reset, then `sync` so
# the previous run's write-back does not land in it); times are the best of
# BENCH_RUNS (default 3) runs. Per size:
#
# - first import: N rows into a fresh store, group commit 8 (the default),
#   and sqlite3 into a fresh database, interleaved: each round runs impex
#   then sqlite3. Group commit 1 follows on a line of its own.
# - re-import: the same zip again into a copy of the store the first import
#   filled (every row unchanged).
# - delta: a file of the same N rows of which 10 % have a changed Price and
#   MSRP (every 10th row), plus 1 % new products (gen-catalog.py
#   --delta-change 0.10 --delta-new 0.01), into a copy of the filled store.
# - store bytes per record: data.mdb's size / N, LMDB's pages in use x page
#   size / N (mdb_stat -e), and sqlite3's database file / N.
#
# Each kind of import is checked once from its `--json` job: imported, and
# the created / updated / unchanged / deleted / rejected counts it must give;
# a wrong count fails the script. Memory: peak RSS from /usr/bin/time, minus
# the LMDB data file (its mapped pages count in RSS but are the store itself,
# not the engine's memory), and the peak anonymous RSS sampled from /proc.
# The summary at the end says which targets were met; a missed target does
# not fail the script.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
[ -x build/impex ] || { scripts/install-deps.sh && cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build -j"$(nproc)"; }
OUT=${BENCH_DIR:-build/bench}
mkdir -p "$OUT"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
RUNS=${BENCH_RUNS:-3}
CHANGE=0.10 # share of rows the delta changes
NEW=0.01    # share of rows the delta adds

peak_kib() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
source scripts/sample-anon.sh

py() { python3 -c "print($1)"; }
now() { date +%s.%N; }
# timed CMD...: runs CMD, prints its wall time in seconds.
timed() {
  local t0 t1
  t0=$(now)
  "$@" || { echo "failed: $*" >&2; exit 1; }
  t1=$(now)
  py "'%.3f' % ($t1 - $t0)"
}
# min_s A B: the smaller of two times; B may be empty.
min_s() { if [ -z "$2" ]; then echo "$1"; else py "min($1, $2)"; fi; }

# best_of N PREP RUN: N times, PREP (untimed) then RUN (timed); prints the
# fastest RUN in seconds.
best_of() {
  local best="" s
  for _ in $(seq "$1"); do
    "$2"
    s=$(timed "$3")
    best=$(min_s "$s" "$best")
  done
  echo "$best"
}

# check_job JSON LABEL FIELD=VALUE...: each FIELD of the job must be the
# integer VALUE; otherwise says which and fails the script.
check_job() {
  local json=$1 label=$2 f want got bad=0
  shift 2
  for f in "$@"; do
    want=${f#*=}
    f=${f%%=*}
    got=$(jq -r --arg f "$f" '.[$f] | if type == "number" then . elif . == null then "missing"
      else "not an integer (\(tojson))" end' "$json")
    if [ "$got" != "$want" ]; then
      echo "$label: job field $f is $got, expected $want ($json)" >&2
      bad=1
    fi
  done
  [ "$bad" == 0 ] || exit 1
}

# measure LABEL GC ZIP PREP: PREP, then one import of ZIP under /usr/bin/time
# with the anonymous-memory sampler and --json; sets rss (KiB), anon (KiB),
# store_kib (data.mdb after the run) and job (the job's JSON file).
measure() {
  local tag=$1 gc=$2 zip=$3
  "$4"
  job=$dir/job-$tag.json
  IMPEX_GROUP_COMMIT=$gc /usr/bin/time -v -o "$dir/time-$tag" build/impex --data "$dir/data" \
    import --group catalog "$zip" --json >"$job" &
  anon=$(sample_anon $!)
  wait $!
  rss=$(peak_kib "$dir/time-$tag")
  store_kib=$(($(stat -c %s "$dir/data/store/data.mdb") / 1024))
}

# row SIZE LABEL SECONDS ROWS BYTES RSS_KIB STORE_KIB ANON_KIB: one table line
# (STORE_KIB and ANON_KIB may be "-").
row() {
  local net="-" an="-"
  [ "$7" == "-" ] || net="$((($6 - $7) / 1024)) MiB"
  [ "$8" == "-" ] || an="$(($8 / 1024)) MiB"
  printf '%-9s %-28s %9s %12.0f %9.1f %8d MiB %11s %11s\n' "$1" "$2" "$3" \
    "$(py "$4 / $3")" "$(py "$5 / 1e6 / $3")" $(($6 / 1024)) "$net" "$an"
}
note() { printf '%-9s %-28s %s\n' "$@"; }

# Targets, for the summary: one line per size and target.
summary=()
# target SIZE NAME VALUE OP LIMIT UNIT: records whether VALUE OP LIMIT holds.
target() {
  local met="not met"
  python3 -c "import sys; sys.exit(0 if $3 $4 $5 else 1)" && met="met"
  summary+=("$(printf '%-9s %-34s %10s %-4s %-10s %s' "$1" "$2" "$3$6" "$4" "$5$6" "$met")")
}

printf '\n%-9s %-28s %9s %12s %9s %11s %11s %11s\n' rows run seconds rows/s MB/s "peak RSS" "RSS-store" "anon RSS"
for n in "${sizes[@]}"; do
  dir=$OUT/$n
  rm -rf "$dir" && mkdir -p "$dir"
  python3 scripts/gen-catalog.py "$dir/csv" --csv-only --products "$n" --categories 1
  python3 scripts/gen-catalog.py "$dir/delta-csv" --csv-only --products "$n" --categories 1 \
    --delta-change "$CHANGE" --delta-new "$NEW"
  # With the products' type (ProductTypes.csv, one row): products refer to it.
  (cd "$dir/csv" && zip -q -1 ../catalog.zip ProductTypes.csv Products.csv)
  (cd "$dir/delta-csv" && zip -q -1 ../delta.zip ProductTypes.csv Products.csv)
  types=$(($(grep -c . "$dir/csv/ProductTypes.csv") - 1))
  csv_bytes=$(stat -c %s "$dir/csv/Products.csv")
  delta_bytes=$(stat -c %s "$dir/delta-csv/Products.csv")
  changed=$(py "round($n * $CHANGE)") # as gen-catalog.py counts them
  added=$(py "round($n * $NEW)")

  fresh_impex() { rm -rf "$dir/data" && sync; }
  fresh_sqlite() { rm -f "$dir/peer.db" && sync; }
  # A copy of the store a first import filled, kept aside.
  filled() { rm -rf "$dir/data" && cp -a "$dir/filled" "$dir/data" && sync; }
  run_gc() { IMPEX_GROUP_COMMIT=$1 build/impex --data "$dir/data" import --group catalog "$2" >/dev/null; }
  run_first() { run_gc 8 "$dir/catalog.zip"; }
  run_first1() { run_gc 1 "$dir/catalog.zip"; }
  run_delta() { run_gc 8 "$dir/delta.zip"; }
  run_sqlite() { sqlite3 "$dir/peer.db" ".mode csv" ".import $dir/csv/Products.csv products"; }

  # First import: the job check, memory and store size from one run, whose
  # store is kept aside for the re-import and the delta.
  measure first 8 "$dir/catalog.zip" fresh_impex
  check_job "$job" "first import" imported="$((n + types))" rows="$((n + types))" rejected=0 \
    created="$((n + types))" updated=0 unchanged=0 deleted=0
  first_rss=$rss first_store=$store_kib first_anon=$anon
  max_anon=$anon
  cp -a "$dir/data" "$dir/filled"
  mdb_bytes=$(stat -c %s "$dir/filled/store/data.mdb")
  mdb_stat -e "$dir/filled/store" >"$dir/mdb_stat"
  page_size=$(sed -n 's/^ *Page size: //p' "$dir/mdb_stat")
  pages_used=$(sed -n 's/^ *Number of pages used: //p' "$dir/mdb_stat")

  /usr/bin/time -v -o "$dir/time-sqlite" sqlite3 "$dir/peer.db" ".mode csv" ".import $dir/csv/Products.csv products"
  got=$(sqlite3 "$dir/peer.db" "select count(*) from products")
  [ "$got" == "$n" ] || { echo "sqlite3 imported $got of $n rows" >&2; exit 1; }
  sq_rss=$(peak_kib "$dir/time-sqlite")

  # Interleaved rounds: impex then sqlite3, each after its prep.
  impex_s="" sq_s=""
  for _ in $(seq "$RUNS"); do
    fresh_impex
    s=$(timed run_first)
    impex_s=$(min_s "$s" "$impex_s")
    fresh_sqlite
    s=$(timed run_sqlite)
    sq_s=$(min_s "$s" "$sq_s")
  done
  sq_bytes=$(stat -c %s "$dir/peer.db")
  row "$n" "impex first (group commit 8)" "$impex_s" "$n" "$csv_bytes" "$first_rss" "$first_store" "$first_anon"
  row "$n" "sqlite3 .import" "$sq_s" "$n" "$csv_bytes" "$sq_rss" - -

  measure first1 1 "$dir/catalog.zip" fresh_impex
  check_job "$job" "first import, group commit 1" imported="$((n + types))" rows="$((n + types))" rejected=0 \
    created="$((n + types))"
  max_anon=$(py "max($max_anon, $anon)")
  s=$(best_of "$RUNS" fresh_impex run_first1)
  row "$n" "impex first (group commit 1)" "$s" "$n" "$csv_bytes" "$rss" "$store_kib" "$anon"

  # Re-import of the same file into the filled store.
  measure reimport 8 "$dir/catalog.zip" filled
  check_job "$job" "re-import" imported="$((n + types))" rows="$((n + types))" rejected=0 \
    created=0 updated=0 unchanged="$((n + types))" deleted=0
  max_anon=$(py "max($max_anon, $anon)")
  re_s=$(best_of "$RUNS" filled run_first)
  row "$n" "impex re-import (same file)" "$re_s" "$n" "$csv_bytes" "$rss" "$store_kib" "$anon"

  # The delta into the filled store.
  measure delta 8 "$dir/delta.zip" filled
  check_job "$job" "delta" imported="$((n + added + types))" rows="$((n + added + types))" rejected=0 \
    created="$added" updated="$changed" unchanged="$((n - changed + types))" deleted=0
  max_anon=$(py "max($max_anon, $anon)")
  delta_s=$(best_of "$RUNS" filled run_delta)
  row "$n" "impex delta feed" "$delta_s" "$((n + added))" "$delta_bytes" "$rss" "$store_kib" "$anon"

  first_x=$(py "'%.2f' % ($sq_s / $impex_s)")
  re_x=$(py "'%.2f' % ($impex_s / $re_s)")
  delta_x=$(py "'%.2f' % ((($n + $added) / $delta_s) / ($n / $impex_s))")
  store_x=$(py "'%.2f' % ($mdb_bytes / $sq_bytes)")
  note "$n" "ratio impex/sqlite3" "${first_x}x rows/s (first import)"
  note "$n" "ratio re-import/first" "${re_x}x rows/s"
  note "$n" "ratio delta/first" "${delta_x}x rows/s (delta rows: $n + $added new, $changed changed)"
  note "$n" "impex memory beyond store" "$(((first_rss - first_store) / 1024)) MiB by peak RSS - data.mdb, $((first_anon / 1024)) MiB peak anonymous (first import; csv $(py "'%.0f' % ($csv_bytes / 1e6)") MB, store $((mdb_bytes / 1000000)) MB)"
  note "$n" "store bytes/record" "$(py "'%.0f' % ($mdb_bytes / $n)") data.mdb, $(py "'%.0f' % ($pages_used * $page_size / $n)") pages in use ($pages_used x $page_size), sqlite3 $(py "'%.0f' % ($sq_bytes / $n)"); ratio impex/sqlite3 ${store_x}x (file size)"
  note "$n" "job counts" "checked: first import created $n products + $types product type; re-import unchanged $((n + types)); delta created $added, updated $changed, unchanged $((n - changed + types))"

  target "$n" "first import vs sqlite3 rows/s" "$first_x" ">=" 2.0 x
  target "$n" "re-import vs first import rows/s" "$re_x" ">=" 1.5 x
  target "$n" "delta vs first import rows/s" "$delta_x" ">=" 1.0 x
  target "$n" "store file vs sqlite3's" "$store_x" "<=" 1.0 x
  target "$n" "peak anonymous RSS (MiB)" "$((max_anon / 1024))" "<=" 64 ""
done

printf '\n%-9s %-34s %10s %-4s %-10s %s\n' rows target measured "" limit result
printf '%s\n' "${summary[@]}"

# The whole catalog group (29 resources, references checked) against sqlite3.
[ "${BENCH_CATALOG:-1}" == 0 ] || scripts/bench-catalog.sh ${BENCH_CATALOG_PRODUCTS:-1000000}
