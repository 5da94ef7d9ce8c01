#!/usr/bin/env bash
# The engine's own memory (anonymous RSS, sampled) and the store stay
# bounded by bytes, whatever the rows hold: 100 rejected rows of 1 MiB,
# 100 accepted rows of 1 MiB (upsert and insert), rows of almost 16 MiB.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS

python3 - "$WORK" <<'PY'
import sys
w = sys.argv[1]
big = "x" * (1 << 20)
with open(w + "/things-rejected.csv", "w") as f:
    f.write("Code,Name,Qty\n" + "".join("R%03d,%s,notanint\n" % (i, big) for i in range(100)))
with open(w + "/things-accepted.csv", "w") as f:
    f.write("Code,Name,Qty\n" + "".join("A%03d,%s,1\n" % (i, big) for i in range(100)))
with open(w + "/things-huge.csv", "w") as f:
    f.write("Code,Name,Qty\n" + "".join("H%d,%s,1\n" % (i, "y" * ((16 << 20) - 100)) for i in range(4)))
PY

# peak_anon LIMIT_MIB EXPECTED_EXIT ARGS...: runs impex, samples its anonymous RSS.
peak_anon() {
  local limit=$1 want=$2
  shift 2
  "$IMPEX" "$@" >"$WORK/out" 2>"$WORK/err" &
  local pid=$! peak=0 v
  while kill -0 "$pid" 2>/dev/null; do
    v=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
    sleep 0.002
  done
  set +e
  wait "$pid"
  local rc=$?
  set -e
  [ "$rc" == "$want" ] || fail "impex $* exited $rc: $(cat "$WORK/err")"
  # Sanitizer builds (the test command exports their options) carry their
  # own shadow memory and quarantine: the bound is checked on plain builds.
  if [ -z "${ASAN_OPTIONS:-}${TSAN_OPTIONS:-}" ]; then
    [ $((peak / 1024)) -lt "$limit" ] || fail "impex $*: $((peak / 1024)) MiB anonymous, over $limit MiB"
  fi
  echo "  $* -> peak anonymous $((peak / 1024)) MiB (limit $limit)"
  checks=$((checks + 2))
}

peak_anon 64 3 import --group raw "$WORK/things-rejected.csv"
run_impex 0 errors 1
expect_eq "every rejected row reported" 101 "$(wc -l <<<"$OUT")"
store=$(du -sm "$IMPEX_DATA/store" | cut -f1)
[ "$store" -lt 32 ] || fail "100 rejected 1 MiB rows take $store MB of store"
checks=$((checks + 1))
peak_anon 128 0 import --group raw "$WORK/things-accepted.csv"
peak_anon 128 3 import --group raw "$WORK/things-accepted.csv" --operation insert
run_impex 0 job 3 --json
expect_eq "insert of existing keys: all rejected" 100 "$(jq -r .rejected <<<"$OUT")"
peak_anon 256 0 import --group raw "$WORK/things-huge.csv"
run_impex 0 get Things H3 --json
expect_eq "a 16 MiB value stored whole" $(((16 << 20) - 100)) "$(jq -r '.Name | length' <<<"$OUT")"
done_ok
