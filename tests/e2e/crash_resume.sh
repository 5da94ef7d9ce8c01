#!/usr/bin/env bash
# Exactly-once across crashes: an import whose map adds a delta to stored
# stock is SIGKILLed at random moments (at least 20 real kills), resumed after
# each, and the store and job counters must equal an uninterrupted run.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS
ROWS=${CRASH_ROWS:-200000}
KILLS=${CRASH_KILLS:-20}

python3 - "$WORK" "$ROWS" <<'PY'
import random, sys, zipfile
work, rows = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
skus = ["SKU-%05d" % i for i in range(2000)]
with open(work + "/base.csv", "w", newline="") as f:
    f.write("SKU,Stock,Location\r\n")
    for s in skus:
        f.write("%s,%d,WH-1\r\n" % (s, rng.randint(0, 50)))
lines = ["SKU,Delta"]
for i in range(rows):
    delta = "x%d" % i if i % 997 == 0 else str(rng.randint(-5, 10))  # every 997th row is rejected
    lines.append("%s,%s" % (rng.choice(skus), delta))
with zipfile.ZipFile(work + "/deltas.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("deltas.csv", "\r\n".join(lines) + "\r\n")
PY

# One uninterrupted data dir (ref) and one that is killed again and again (crash).
for d in ref crash; do
  IMPEX_DATA=$WORK/$d "$IMPEX" import --group stock-base "$WORK/base.csv" >/dev/null
done

kills=0
while [ "$kills" -lt "$KILLS" ]; do
  # A new job, then kill/resume until it completes.
  args=(import --group stock-deltas "$WORK/deltas.zip")
  tries=0
  while :; do
    IMPEX_DATA=$WORK/crash "$IMPEX" "${args[@]}" >"$WORK/run.log" 2>&1 &
    pid=$!
    tries=$((tries + 1))
    # On a machine too slow to progress between kills, the 50th run finishes.
    if [ "$tries" -lt 50 ]; then
      sleep "$(python3 -c 'import random; print(round(random.uniform(0.02, 0.6), 3))')"
      kill -9 "$pid" 2>/dev/null || true
    fi
    set +e
    wait "$pid"
    rc=$?
    set -e
    if [ "$rc" -eq 137 ]; then
      kills=$((kills + 1))
    elif [ "$rc" -ne 3 ]; then
      cat "$WORK/run.log"
      fail "impex ${args[*]} exited $rc"
    fi
    pending=$(IMPEX_DATA=$WORK/crash "$IMPEX" jobs --json | jq '[.[] | select(.isComplete | not)] | length')
    [ "$pending" -eq 0 ] && break
    args=(resume)
  done
done
echo "killed $kills times"

# The same number of delta jobs, uninterrupted.
njobs=$(IMPEX_DATA=$WORK/crash "$IMPEX" jobs --json | jq '[.[] | select(.group == "stock-deltas")] | length')
for _ in $(seq "$njobs"); do
  set +e
  IMPEX_DATA=$WORK/ref "$IMPEX" import --group stock-deltas "$WORK/deltas.zip" >/dev/null
  rc=$?
  set -e
  expect_eq "uninterrupted run exit status" 3 "$rc"
done

for d in ref crash; do
  IMPEX_DATA=$WORK/$d "$IMPEX" dump Inventory >"$WORK/$d.dump"
  IMPEX_DATA=$WORK/$d "$IMPEX" jobs --json |
    jq -c '.[] | {group, status, rows, imported, rejected, batches, resources: [.resources[] | {status, rows, imported, rejected}]}' >"$WORK/$d.jobs"
done
expect_eq "records" 2000 "$(wc -l <"$WORK/crash.dump")"
cmp -s "$WORK/ref.dump" "$WORK/crash.dump" || { diff "$WORK/ref.dump" "$WORK/crash.dump" | head; fail "store differs from the uninterrupted run"; }
checks=$((checks + 1))
cmp -s "$WORK/ref.jobs" "$WORK/crash.jobs" || { diff "$WORK/ref.jobs" "$WORK/crash.jobs" | head; fail "job counters differ"; }
checks=$((checks + 1))
# Every delta row was applied exactly once per job: total updates = accepted rows x jobs.
accepted=$(( ROWS - (ROWS + 996) / 997 ))
expect_eq "updates applied" $(( accepted * njobs )) "$(jq -s 'map(.Updates) | add' "$WORK/crash.dump")"
last=$(IMPEX_DATA=$WORK/crash "$IMPEX" jobs --json | jq -r '.[-1].id')
IMPEX_DATA=$WORK/crash "$IMPEX" errors "$last" >"$WORK/crash.errors"
expect_eq "rejected rows listed once each" $(( (ROWS + 996) / 997 + 1 )) "$(wc -l <"$WORK/crash.errors")"
echo "jobs: $njobs, kills: $kills"
done_ok
