#!/usr/bin/env bash
# SIGTERM stops an import at a batch boundary (exit 5, job still IMPORTING,
# everything before the checkpoint committed); `impex resume ID` finishes it
# and the store equals an uninterrupted run. A second process cannot run a
# job that is being run.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS

python3 - "$WORK" <<'PY'
import random, sys
work = sys.argv[1]
rng = random.Random(11)
with open(work + "/base.csv", "w") as f:
    f.write("SKU,Stock\n" + "".join("S%03d,0\n" % i for i in range(500)))
with open(work + "/deltas.csv", "w") as f:
    f.write("SKU,Delta\n" + "".join("S%03d,%d\n" % (rng.randrange(500), rng.randint(1, 9)) for _ in range(400000)))
PY
for d in ref sig; do
  IMPEX_DATA=$WORK/$d "$IMPEX" import --group stock-base "$WORK/base.csv" >/dev/null
done
IMPEX_DATA=$WORK/ref "$IMPEX" import --group stock-deltas "$WORK/deltas.csv" >/dev/null

export IMPEX_DATA=$WORK/sig
"$IMPEX" import --group stock-deltas "$WORK/deltas.csv" --json >"$WORK/out.json" 2>"$WORK/err.txt" &
pid=$!
# Wait until the first batch is committed, then ask it to stop.
for _ in $(seq 200); do
  b=$("$IMPEX" job 2 --json 2>/dev/null | jq -r '.batches' || true)
  [ "${b:-0}" -gt 0 ] && break
  sleep 0.01
done
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
expect_eq "exit status after SIGTERM" 5 "$rc"
expect_eq "job left IMPORTING" IMPORTING "$(jq -r .status "$WORK/out.json")"
expect_contains "resume hint" "impex resume 2" "$(cat "$WORK/err.txt")"
rows=$(jq -r .rows "$WORK/out.json")
[ "$rows" -gt 0 ] && [ "$rows" -lt 400000 ] || fail "stopped after $rows rows"
expect_eq "checkpoint matches the committed rows" "$rows" "$(( $(jq -r .checkpoint.row "$WORK/out.json") - 1 ))"

# While a process holds the job, another cannot run it.
exec 9>"$IMPEX_DATA/locks/job-2.lock"
flock -n 9
run_impex 2 resume 2
expect_contains "busy job" "job 2 is being run by another process" "$ERR"
exec 9>&-

run_impex 0 resume 2 --json
expect_eq "resumed to the end" 400000 "$(jq -r .rows <<<"$OUT")"
cmp -s <(IMPEX_DATA=$WORK/ref "$IMPEX" dump Inventory) <("$IMPEX" dump Inventory) || fail "store differs from the uninterrupted run"
checks=$((checks + 1))
run_impex 0 resume
expect_contains "nothing left" "no interrupted jobs" "$OUT"
done_ok
