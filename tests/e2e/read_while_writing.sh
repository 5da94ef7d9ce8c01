#!/usr/bin/env bash
# Read commands take read transactions only: while an import holds the
# store's write transaction (here: a `map` that takes seconds on one row),
# count, dump, get, jobs, job and errors answer at once. On a folder
# nothing was imported into, they answer empty and create nothing.
source "$(dirname "$0")/lib/common.sh"

mkdir -p "$WORK/scripts/descriptors/slow"
cat >"$WORK/scripts/descriptors/slow/things.lua" <<'LUA'
return {
  name = "things",
  resource = "Things",
  entry = "*.csv",
  key = { "Code" },
  fields = { { "Code", required = true }, { "Name" } },
  map = function(row)
    if row.Name == "slow" then -- holds the write transaction for a while
      local t = os.time()
      while os.time() - t < 10 do end
    end
    return row
  end,
}
LUA
echo 'return { steps = { "things" } }' >"$WORK/scripts/descriptors/slow/slow.group.lua"
export IMPEX_SCRIPTS=$WORK/scripts
export IMPEX_LUA_INSTRUCTIONS=100000000000 IMPEX_LUA_TIMEOUT_MS=60000

# Nothing imported yet: empty answers, no folder created.
run_impex 0 --data "$WORK/none" count Things
expect_eq "count without a store" 0 "$OUT"
run_impex 0 --data "$WORK/none" dump Things
expect_eq "dump without a store" "" "$OUT"
run_impex 0 --data "$WORK/none" jobs --json
expect_eq "jobs without a store" "[]" "$OUT"
run_impex 2 --data "$WORK/none" job 1
[ ! -e "$WORK/none" ] || fail "a read command created $WORK/none"
checks=$((checks + 1))

printf 'Code,Name\nA,one\nB,two\n,missing\n' >"$WORK/first.csv"
run_impex 3 import --group slow "$WORK/first.csv" --json
printf 'Code,Name\nC,slow\nD,four\n' >"$WORK/second.csv"
"$IMPEX" import --group slow "$WORK/second.csv" >"$WORK/bg.out" 2>&1 &
bg=$!
# Wait until the job runs; its first batch's map then holds the write transaction.
for _ in $(seq 100); do
  [ "$(timeout 5 "$IMPEX" job 2 --json 2>/dev/null | jq -r .status)" == IMPORTING ] && break
  sleep 0.1
done
sleep 0.5

# Each read must finish well before the import releases the writer.
quick() {
  local t0 t1
  t0=$(date +%s%N)
  set +e
  OUT=$(timeout 5 "$IMPEX" "$@" 2>&1)
  local rc=$?
  set -e
  t1=$(date +%s%N)
  [ "$rc" == 0 ] || fail "impex $* exited $rc while an import writes: $OUT"
  [ $(((t1 - t0) / 1000000)) -lt 4000 ] || fail "impex $* waited for the writer"
  checks=$((checks + 1))
}
quick count Things
expect_eq "count sees the committed records" 2 "$OUT"
quick dump Things
expect_eq "dump sees the committed records" 2 "$(wc -l <<<"$OUT")"
quick get Things A --json
expect_eq "get" '{"Code":"A","Name":"one"}' "$OUT"
quick jobs --json
expect_eq "jobs" 2 "$(jq length <<<"$OUT")"
quick job 1 --json
expect_eq "job" COMPLETED_WITH_ERRORS "$(jq -r .status <<<"$OUT")"
quick errors 1
expect_contains "errors" "required" "$OUT"
kill -0 "$bg" 2>/dev/null || fail "the import finished before the reads were checked"
checks=$((checks + 1))

wait "$bg" || fail "the import failed: $(cat "$WORK/bg.out")"

# A data folder the reader may not write (as root chmod stops nothing, so
# read as nobody): the read commands work as long as lock.mdb is writable,
# and say clearly why not when it is not.
if [ "$(id -u)" == 0 ] && command -v setpriv >/dev/null; then
  ro=$(mktemp -d)
  chmod 755 "$ro"
  cp -r "$IMPEX_DATA" "$ro/data"
  chmod -R a+rX,a-w "$ro/data"
  chmod a+w "$ro/data/store/lock.mdb"
  as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$IMPEX" --data "$ro/data" "$@"; }
  set +e
  out=$(as_nobody count Things 2>&1)
  rc=$?
  set -e
  expect_eq "count in a read-only folder" "0 4" "$rc $out"
  chmod a-w "$ro/data/store/lock.mdb"
  set +e
  out=$(as_nobody dump Things 2>&1)
  rc=$?
  set -e
  expect_eq "read-only lock file: engine error" 1 "$rc"
  expect_contains "read-only lock file named" "lock.mdb cannot be opened for writing" "$out"
  rm -rf "$ro"
fi

# Ids and numbers: digits only, no sign, no spaces, no overflow, ids from 1.
for bad in " 1" "1 " "+1" "-1" "0" "00" "18446744073709551616" "99999999999999999999" "1x" ""; do
  run_impex 2 job "$bad"
  run_impex 2 errors "$bad"
  run_impex 2 errors 1 --replay --step "$bad"
done
run_impex 0 job 01
IMPEX_GROUP_COMMIT=+4 run_impex 1 import --group slow "$WORK/first.csv"
expect_contains "malformed environment value refused" "IMPEX_GROUP_COMMIT" "$ERR"
run_impex 0 count Things
expect_eq "count after the import" 4 "$OUT"
done_ok
