#!/usr/bin/env bash
# Throughput and memory of `impex import` against a peer (`sqlite3 .import`)
# on the same generated Kibo Products CSV, in the same run.
#
#   scripts/bench.sh [ROWS...]      default: 100000 1000000
#
# impex runs with validation on (the shipped products descriptor: types,
# enums, patterns, lengths) and durable commits; the input is a zip. sqlite3
# imports the unzipped CSV into a fresh database file with no validation.
# Times are the best of BENCH_RUNS (default 3) runs, each into a fresh store.
# Memory: peak RSS from /usr/bin/time, minus the LMDB data file (its mapped
# pages count in RSS but are the store itself, not the engine's memory), and
# the peak anonymous RSS sampled from /proc.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/impex ] || { scripts/install-deps.sh && cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build -j"$(nproc)"; }
OUT=${BENCH_DIR:-build/bench}
mkdir -p "$OUT"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)

peak_kib() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
# Peak anonymous RSS (heap, stacks: the engine's own memory, not the mapped
# store) of the child of PID, sampled every 50 ms with shell builtins only,
# so the sampler takes no CPU from the run it measures.
sample_anon() {
  local pid=$1 max=0 child="" k v _
  while kill -0 "$pid" 2>/dev/null; do
    [ -n "$child" ] || child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
    child=${child%% *}
    if [ -n "$child" ] && [ -r "/proc/$child/status" ]; then
      while read -r k v _; do
        [ "$k" == "RssAnon:" ] && [ "$v" -gt "$max" ] && max=$v
      done <"/proc/$child/status" 2>/dev/null || true
    fi
    read -r -t 0.05 <> <(:) || true
  done
  echo "$max"
}

secs() { python3 -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
now() { date +%s.%N; }

# best_of N PREP RUN: N times, PREP (untimed: a fresh target, and `sync` so
# the previous run's write-back does not land in this one) then RUN (timed);
# prints the fastest RUN in seconds.
best_of() {
  local n=$1 prep=$2 run=$3 best="" t0 t1 s
  for _ in $(seq "$n"); do
    "$prep"
    t0=$(now)
    "$run"
    t1=$(now)
    s=$(secs "$t0" "$t1")
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" "$s" "$best"; then best=$s; fi
  done
  echo "$best"
}
RUNS=${BENCH_RUNS:-3}

printf '\n%-9s %-26s %9s %12s %9s %11s %11s %11s\n' rows run seconds rows/s MB/s "peak RSS" "RSS-store" "anon RSS"
for n in "${sizes[@]}"; do
  dir=$OUT/$n
  rm -rf "$dir" && mkdir -p "$dir"
  python3 scripts/gen-catalog.py "$dir/csv" --csv-only --products "$n" --categories 1
  (cd "$dir/csv" && zip -q -1 ../catalog.zip Products.csv)
  csv_bytes=$(stat -c %s "$dir/csv/Products.csv")
  mb=$(python3 -c "print($csv_bytes / 1e6)")

  for gc in 8 1; do
    # Memory and the job check from one run; time as the best of $RUNS fresh runs.
    rm -rf "$dir/data" && sync
    IMPEX_GROUP_COMMIT=$gc /usr/bin/time -v -o "$dir/time-$gc" build/impex --data "$dir/data" \
      import --group catalog "$dir/catalog.zip" --json >"$dir/job-$gc.json" &
    anon=$(sample_anon $!)
    wait $!
    [ "$(jq -r .imported "$dir/job-$gc.json")" == "$n" ] || { echo "impex imported $(jq -r .imported "$dir/job-$gc.json") of $n"; exit 1; }
    rss=$(peak_kib "$dir/time-$gc")
    store_kib=$(( $(stat -c %s "$dir/data/store/data.mdb") / 1024 ))
    fresh_impex() { rm -rf "$dir/data"; sync; }
    run_impex() { IMPEX_GROUP_COMMIT=$gc build/impex --data "$dir/data" import --group catalog "$dir/catalog.zip" >/dev/null; }
    s=$(best_of "$RUNS" fresh_impex run_impex)
    label="impex (group commit $gc)"
    [ "$gc" == 8 ] && impex_s=$s && impex_net=$((rss - store_kib)) && impex_anon=$anon
    printf '%-9s %-26s %9s %12.0f %9.1f %8d MiB %8d MiB %8d MiB\n' "$n" "$label" "$s" \
      "$(python3 -c "print($n / $s)")" "$(python3 -c "print($mb / $s)")" $((rss / 1024)) \
      $(((rss - store_kib) / 1024)) $((anon / 1024))
  done

  /usr/bin/time -v -o "$dir/time-sqlite" sqlite3 "$dir/peer.db" ".mode csv" ".import $dir/csv/Products.csv products"
  [ "$(sqlite3 "$dir/peer.db" "select count(*) from products")" == "$n" ] || { echo "sqlite3 imported a different count"; exit 1; }
  rss=$(peak_kib "$dir/time-sqlite")
  fresh_sqlite() { rm -f "$dir/peer.db"; sync; }
  run_sqlite() { sqlite3 "$dir/peer.db" ".mode csv" ".import $dir/csv/Products.csv products"; }
  sq_s=$(best_of "$RUNS" fresh_sqlite run_sqlite)
  printf '%-9s %-26s %9s %12.0f %9.1f %8d MiB %11s\n' "$n" "sqlite3 .import" "$sq_s" \
    "$(python3 -c "print($n / $sq_s)")" "$(python3 -c "print($mb / $sq_s)")" $((rss / 1024)) "-"
  printf '%-9s %-26s %s\n' "$n" "ratio impex/sqlite3" "$(python3 -c "print('%.2fx rows/s' % ($sq_s / $impex_s))")"
  printf '%-9s %-26s %s MiB by peak RSS - data.mdb, %s MiB peak anonymous (csv %.0f MB, store %s MB)\n' "$n" \
    "impex memory beyond store" $((impex_net / 1024)) $((impex_anon / 1024)) "$mb" "$(( $(stat -c %s "$dir/data/store/data.mdb") / 1000000 ))"
done
