#!/usr/bin/env bash
# The job's copy of its input is made and synced (file, then its folders)
# outside any store transaction, before the job is recorded: while one
# import's copy is slow to sync, another process imports and commits, and
# the directory fsyncs are really made.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS
command -v strace >/dev/null || fail "strace is needed (Debian package strace)"

printf 'Code,Name\nA1,a\n' >"$WORK/things-a.csv"
printf 'Code,Name\nB1,b\n' >"$WORK/things-b.csv"
"$IMPEX" count Things >/dev/null # the store exists before the race

# Every fsync of the first import takes 1.5 s more.
# (LeakSanitizer cannot run under ptrace: off for this one process in sanitizer builds.)
ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 strace -f -qq -e trace=openat,fsync -e inject=fsync:delay_enter=1500000 -o "$WORK/trace" \
  "$IMPEX" import --group raw "$WORK/things-a.csv" >"$WORK/a.out" 2>&1 &
pid=$!
for _ in $(seq 500); do
  [ -e "$IMPEX_DATA/files/job-1/things-a.csv" ] && break
  sleep 0.01
done
[ -e "$IMPEX_DATA/files/job-1/things-a.csv" ] || fail "the first import never started its copy"
start=$(date +%s%N)
# (another group: a second import of the same group waits for the first to be
# recorded and is then refused, see request_modes.sh)
run_impex 0 import --group capped "$WORK/things-b.csv"
took=$((($(date +%s%N) - start) / 1000000))
kill -0 "$pid" 2>/dev/null || fail "the first import ended before the second: no overlap to test"
checks=$((checks + 1))
[ "$took" -lt 1400 ] || fail "the second import waited ${took} ms for the first one's copy"
checks=$((checks + 1))
wait "$pid" || fail "the first import failed: $(cat "$WORK/a.out")"
run_impex 0 count Things
expect_eq "both imported" 2 "$OUT"
# The copy, its folder and the files folder were each fsynced, in that order.
synced=$(python3 - "$WORK/trace" <<'PY'
import re, sys
fds, order = {}, []
for line in open(sys.argv[1]):
    m = re.search(r'openat\(AT_FDCWD, "([^"]+)", ([^)]*)\) = (\d+)', line)
    if m:
        fds[m.group(3)] = m.group(1)
    m = re.search(r'fsync\((\d+)', line)
    if m and m.group(1) in fds:
        order.append(fds[m.group(1)].rsplit("/", 2)[-2:])
print(" ".join("/".join(p) for p in order))
PY
)
expect_contains "file, folder, files folder synced" "job-1/things-a.csv files/job-1 data/files" "$synced"
done_ok
