#!/usr/bin/env bash
# SIGKILL at random moments of an import of a zip of several entries (so
# kills land at and across step boundaries), resumed after each: the store
# and the counters equal an uninterrupted run. A descriptor edited between
# a job's start and its resume: the job refuses to go on with another
# version, says which file changed, and finishes once it is restored.
source "$(dirname "$0")/lib/common.sh"
cp -r "$TEST_SCRIPTS" "$WORK/scripts"
export IMPEX_SCRIPTS=$WORK/scripts

python3 - "$WORK" <<'PY'
import random, sys, zipfile
w = sys.argv[1]
rng = random.Random(5)
with zipfile.ZipFile(w + "/totals.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for e in range(6):
        rows = "".join("K%03d,%d\n" % (rng.randrange(400), rng.randint(1, 9)) for _ in range(6000))
        z.writestr("adder-%d.csv" % e, "Code,Qty\n" + rows)
PY

IMPEX_DATA=$WORK/ref run_impex 0 import --group adder "$WORK/totals.zip" --json
ref_counts=$(jq -c '[.rows, .imported, .rejected, [.resources[] | .rows, .imported]]' <<<"$OUT")
IMPEX_DATA=$WORK/ref "$IMPEX" dump Totals >"$WORK/ref.dump"

export IMPEX_DATA=$WORK/kill
kills=0
"$IMPEX" import --group adder "$WORK/totals.zip" >/dev/null 2>&1 &
pid=$!
# Kills start once the job exists (a slow start under a sanitizer must not
# be killed before there is anything to resume).
for _ in $(seq 1000); do
  "$IMPEX" job 1 >/dev/null 2>&1 && break
  sleep 0.01
done
for round in $(seq 40); do
  sleep "0.0$((RANDOM % 9 + 1))"
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
    wait "$pid" 2>/dev/null || true
  else
    wait "$pid" 2>/dev/null || true
    status=$("$IMPEX" job 1 --json 2>/dev/null | jq -r .status || true)
    [ "$status" == COMPLETED ] && break
  fi
  "$IMPEX" resume 1 >/dev/null 2>&1 &
  pid=$!
done
wait "$pid" 2>/dev/null || true
run_impex 0 resume 1 --json
[ "$kills" -ge 3 ] || fail "only $kills kills landed"
echo "  $kills SIGKILLs"
run_impex 0 job 1 --json
expect_eq "killed run: status" COMPLETED "$(jq -r .status <<<"$OUT")"
expect_eq "killed run: counters" "$ref_counts" "$(jq -c '[.rows, .imported, .rejected, [.resources[] | .rows, .imported]]' <<<"$OUT")"
"$IMPEX" dump Totals >"$WORK/kill.dump"
cmp -s "$WORK/ref.dump" "$WORK/kill.dump" || fail "store differs from the uninterrupted run"
checks=$((checks + 1))

# --- a descriptor edited between start and resume ---------------------------
export IMPEX_DATA=$WORK/edit
"$IMPEX" import --group adder "$WORK/totals.zip" --batch-size 10 --json >"$WORK/edit.json" 2>/dev/null &
pid=$!
for _ in $(seq 300); do
  b=$("$IMPEX" job 1 --json 2>/dev/null | jq -r '.batches' || true)
  [ "${b:-0}" -gt 0 ] && break
  sleep 0.01
done
kill -TERM "$pid"
wait "$pid" || true
expect_eq "edit: interrupted" IMPORTING "$(jq -r .status "$WORK/edit.json")"
expect_contains "edit: the job records the descriptor's hash" "descriptors/second/adder.lua" \
  "$(jq -r '.scripts[].path' "$WORK/edit.json")"
cp "$WORK/scripts/descriptors/second/adder.lua" "$WORK/adder.lua.orig"
sed -i 's/row.Qty + /2 * row.Qty + /' "$WORK/scripts/descriptors/second/adder.lua"
run_impex 1 resume 1
expect_contains "edit: refused, naming the file" "descriptors/second/adder.lua changed since job 1 started" "$ERR"
run_impex 0 job 1 --json
expect_eq "edit: still resumable" IMPORTING "$(jq -r .status <<<"$OUT")"
expect_contains "edit: the job says why" "changed since job 1 started" "$(jq -r '.messages | join(" ")' <<<"$OUT")"
cp "$WORK/adder.lua.orig" "$WORK/scripts/descriptors/second/adder.lua"
run_impex 0 resume 1 --json
expect_eq "edit: restored, finished" COMPLETED "$(jq -r .status <<<"$OUT")"
"$IMPEX" dump Totals >"$WORK/edit.dump"
cmp -s "$WORK/ref.dump" "$WORK/edit.dump" || fail "store differs after the edit and restore"
checks=$((checks + 1))
done_ok
