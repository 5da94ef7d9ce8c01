#!/usr/bin/env bash
# The whole `catalog` group (29 resources, every reference checked) against
# `sqlite3 .import` of the same CSV files, one table per file.
#
#   scripts/bench-catalog.sh [PRODUCTS...]     default: 1000000
#
# gen-catalog.py --full writes the zip (about 9.4 rows per product: options,
# bundles, images, inventory, price list entries and tiered prices...).
# impex imports the zip with validation and reference checks on and durable
# commits; sqlite3 imports the unzipped CSVs into a fresh database file with
# no checks (--context masterCatalog=Master: ProductImages needs it). Rounds are interleaved (impex, then sqlite3), each after its
# target is reset and `sync`; the times are the best of BENCH_RUNS (3).
# The job must end COMPLETED with every row imported; the peak anonymous RSS
# of the engine is sampled from /proc.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
[ -x build/impex ] || { scripts/install-deps.sh && cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build -j"$(nproc)"; }
OUT=${BENCH_DIR:-build/bench}/catalog
RUNS=${BENCH_RUNS:-3}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000)
py() { python3 -c "print($1)"; }
now() { date +%s.%N; }

source scripts/sample-anon.sh

printf '\n%-9s %-30s %9s %9s %12s %9s %10s\n' products run seconds rows rows/s MB/s "anon RSS"
for n in "${sizes[@]}"; do
  dir=$OUT/$n
  rm -rf "$dir" && mkdir -p "$dir/csv"
  python3 scripts/gen-catalog.py "$dir/catalog.zip" --full --products "$n" --level 1
  (cd "$dir/csv" && unzip -q ../catalog.zip)
  rows=0 bytes=0
  for f in "$dir"/csv/*.csv; do
    rows=$((rows + $(python3 -c "import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=''))) - 1)" "$f")))
    bytes=$((bytes + $(stat -c %s "$f")))
  done

  # One checked run: status, counts, memory.
  rm -rf "$dir/data" && sync
  /usr/bin/time -v -o "$dir/time" build/impex --data "$dir/data" import --group catalog --context masterCatalog=Master \
    "$dir/catalog.zip" --json >"$dir/job.json" &
  anon=$(sample_anon $!)
  wait $!
  jq -e --argjson rows "$rows" '.status == "COMPLETED" and .rows == $rows and .imported == $rows
    and .rejected == 0' "$dir/job.json" >/dev/null ||
    { echo "catalog job: expected COMPLETED with $rows rows imported; got $(jq -c '{status,rows,imported,rejected}' "$dir/job.json")" >&2; exit 1; }

  sqlite_import() {
    local args=(".mode csv")
    for f in "$dir"/csv/*.csv; do args+=(".import $f $(basename "$f" .csv)"); done
    sqlite3 "$dir/peer.db" "${args[@]}"
  }
  impex_s="" sq_s=""
  for _ in $(seq "$RUNS"); do
    rm -rf "$dir/data" && sync
    t0=$(now)
    build/impex --data "$dir/data" import --group catalog --context masterCatalog=Master "$dir/catalog.zip" >/dev/null
    t1=$(now)
    s=$(py "round($t1 - $t0, 3)")
    impex_s=$(py "min($s, ${impex_s:-$s})")
    rm -f "$dir/peer.db" && sync
    t0=$(now)
    sqlite_import
    t1=$(now)
    s=$(py "round($t1 - $t0, 3)")
    sq_s=$(py "min($s, ${sq_s:-$s})")
  done
  got=$(for f in "$dir"/csv/*.csv; do sqlite3 "$dir/peer.db" "select count(*) from \"$(basename "$f" .csv)\""; done | python3 -c "import sys; print(sum(int(l) for l in sys.stdin))")
  [ "$got" == "$rows" ] || { echo "sqlite3 imported $got of $rows rows" >&2; exit 1; }
  printf '%-9s %-30s %9s %9d %12.0f %9.1f %10s\n' "$n" "impex catalog group" "$impex_s" "$rows" \
    "$(py "$rows / $impex_s")" "$(py "$bytes / 1e6 / $impex_s")" "$((anon / 1024)) MiB"
  printf '%-9s %-30s %9s %9d %12.0f %9.1f %10s\n' "$n" "sqlite3 .import (29 tables)" "$sq_s" "$rows" \
    "$(py "$rows / $sq_s")" "$(py "$bytes / 1e6 / $sq_s")" "-"
  x=$(py "'%.2f' % ($sq_s / $impex_s)")
  met="not met"
  python3 -c "import sys; sys.exit(0 if $x >= 1.0 else 1)" && met=met
  printf '%-9s %-30s %s\n' "$n" "ratio impex/sqlite3" "${x}x rows/s (target >= 1.0x: $met)"
done
