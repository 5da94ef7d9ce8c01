#!/usr/bin/env bash
# Jobs across interruptions and from anywhere: SIGTERM in the strict
# pre-pass stops as interrupted; a job resumes from another folder and
# another path to the same data folder; a missing input leaves the job
# resumable; `impex resume` in a loop never takes a job from its creator;
# command-line numbers are digits only; --batch-size is capped.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS

python3 - "$WORK" <<'PY'
import sys
w = sys.argv[1]
with open(w + "/things-big.csv", "w") as f:
    f.write("Code,Name,Qty\n")
    for i in range(1500000):
        f.write("T%07d,name %d,%d\n" % (i, i, i % 1000))
for k in range(12):
    with open(w + "/things-small%02d.csv" % k, "w") as f:
        f.write("Code,Name,Qty\n" + "".join("S%02d-%04d,n,%d\n" % (k, i, i) for i in range(300)))
PY

# --- numbers and limits on the command line ---------------------------------
run_impex 2 import --group raw "$WORK/things-small00.csv" --batch-size 100000000
expect_contains "batch size capped" "batch size 100000000 is over the limit of 100000" "$ERR"
run_impex 2 import --group raw "$WORK/things-small00.csv" --batch-size +5
run_impex 2 import --group raw "$WORK/things-small00.csv" --max-errors " 1"
run_impex 2 resume 0
IMPEX_GROUP_COMMIT=99999999999999999999999 run_impex 1 import --group raw "$WORK/things-small00.csv"
expect_contains "overflowing environment number refused" "IMPEX_GROUP_COMMIT must be a positive whole number" "$ERR"
run_impex 0 jobs --json
expect_eq "nothing was created" 0 "$(jq -s 'flatten | length' <<<"$OUT")"

# --- SIGTERM during the strict pre-pass ---------------------------------------
"$IMPEX" import --group strict "$WORK/things-big.csv" --json >"$WORK/strict.json" 2>"$WORK/strict.err" &
pid=$!
for _ in $(seq 500); do
  st=$("$IMPEX" job 1 --json 2>/dev/null | jq -r .status || true)
  [ "$st" == IMPORTING ] && break
  sleep 0.01
done
sleep 0.2
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
expect_eq "strict pre-pass: interrupted exit" 5 "$rc"
expect_eq "strict pre-pass: job resumable" IMPORTING "$(jq -r .status "$WORK/strict.json")"
expect_eq "strict pre-pass: still validating" validating "$(jq -r .checkpoint.phase "$WORK/strict.json")"
expect_contains "strict pre-pass: says how to go on" "impex resume 1" "$(cat "$WORK/strict.err")"
run_impex 0 count Things
expect_eq "strict pre-pass: nothing written" 0 "$OUT"
run_impex 0 resume 1 --json
expect_eq "strict: resumed to the end" "COMPLETED 1500000" "$(jq -r '"\(.status) \(.imported)"' <<<"$OUT")"

# --- resume from another folder, through another path to the data folder ------
mkdir -p "$WORK/a" "$WORK/b"
ln -s "$WORK/a" "$WORK/alias"
(
  cd "$WORK/a"
  unset IMPEX_DATA
  exec "$IMPEX" --data ./d2 import --group raw "$WORK/things-big.csv" --batch-size 200 --json >"$WORK/rel.json" 2>/dev/null
) &
pid=$!
for _ in $(seq 300); do
  b=$("$IMPEX" --data "$WORK/a/d2" job 1 --json 2>/dev/null | jq -r '.batches' || true)
  [ "${b:-0}" -gt 0 ] && break
  sleep 0.01
done
kill -TERM "$pid"
wait "$pid" || true
expect_eq "relative data folder: interrupted" IMPORTING "$(jq -r .status "$WORK/rel.json")"
# The job's file is lost: the job says so and stays resumable.
mv "$WORK/a/d2/files/job-1" "$WORK/held"
(cd "$WORK/b" && run_impex 1 --data ../alias/d2 resume 1)
ERR=$(cat "$WORK/err")
expect_contains "missing input named" "cannot open the job's file" "$ERR"
run_impex 0 --data "$WORK/a/d2" job 1 --json
expect_eq "missing input: still resumable" IMPORTING "$(jq -r .status <<<"$OUT")"
expect_contains "missing input: message" "paused: cannot open the job's file" "$(jq -r '.messages | join(" ")' <<<"$OUT")"
mv "$WORK/held" "$WORK/a/d2/files/job-1"
(cd "$WORK/b" && run_impex 0 --data ../alias/d2 resume 1 --json)
OUT=$(cat "$WORK/out")
expect_eq "resumed elsewhere: completed" "COMPLETED 1500000 1500000" "$(jq -r '"\(.status) \(.rows) \(.imported)"' <<<"$OUT")"
expect_eq "resumed elsewhere: no stale message" "" "$(jq -r '.messages | join(" ")' <<<"$OUT")"
run_impex 0 --data "$WORK/a/d2" count Things
expect_eq "resumed elsewhere: every row" 1500000 "$OUT"

# --- resume-all in a loop never takes a job from its creator ------------------
export IMPEX_DATA=$WORK/race
"$IMPEX" count Things >/dev/null
( while [ ! -e "$WORK/stop" ]; do "$IMPEX" resume >/dev/null 2>&1 || true; done ) &
looper=$!
for k in $(seq -w 0 11); do
  set +e
  "$IMPEX" import --group raw "$WORK/things-small$k.csv" >"$WORK/imp.out" 2>"$WORK/imp.err"
  rc=$?
  set -e
  [ "$rc" -eq 0 ] || { touch "$WORK/stop"; fail "import $k exited $rc beside a resume loop: $(cat "$WORK/imp.err")"; }
  checks=$((checks + 1))
done
touch "$WORK/stop"
wait "$looper"
run_impex 0 count Things
expect_eq "every small import complete" 3600 "$OUT"
done_ok
