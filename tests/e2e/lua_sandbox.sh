#!/usr/bin/env bash
# Scripts that fail, loop, eat memory or try to escape get a precise error
# naming the script and line; the engine goes on and keeps what it committed.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS

# A descriptor with a syntax error (written here: a broken file in the tree would fail luacheck).
mkdir -p "$WORK/scripts/descriptors/broken"
cat >"$WORK/scripts/descriptors/broken/syntax.lua" <<'LUA'
return {
  name = "syntax",
  resource = "Things",
  key = "Code"
  fields = { { "Code", required = true } },
}
LUA
echo 'return { steps = { "syntax" } }' >"$WORK/scripts/descriptors/broken/broken.group.lua"
printf 'Code\n' >"$WORK/syntax.csv"
run_impex 4 --scripts "$WORK/scripts" import --group broken "$WORK/syntax.csv" --json
expect_eq "syntax error status" FAILED_UNEXPECTEDLY "$(jq -r .status <<<"$OUT")"
expect_contains "syntax error names file and line" "descriptors/broken/syntax.lua:5:" "$(jq -r '.messages[0]' <<<"$OUT")"

printf 'Code,Name\nA,fine\nB,loop\nC,fine\nD,hog\nE,bad\nF,boom\nG,fine\n' >"$WORK/things.csv"
run_impex 3 import --group things "$WORK/things.csv" --json
expect_eq "rows" 7 "$(jq -r .rows <<<"$OUT")"
expect_eq "imported" 3 "$(jq -r .imported <<<"$OUT")"
expect_eq "rejected" 4 "$(jq -r .rejected <<<"$OUT")"
id=$(jq -r .id <<<"$OUT")
run_impex 0 errors "$id"
errors=$OUT
expect_contains "loop stopped by the budget" "descriptors/loop/things.lua:12: instruction budget" "$errors"
expect_contains "hog stopped by the memory cap" "descriptors/loop/things.lua:" "$(grep '^things.csv,5,' <<<"$errors")"
expect_contains "hog reason" "memory limit" "$(grep '^things.csv,5,' <<<"$errors")"
expect_contains "validate reason" "names may not be 'bad'" "$errors"
expect_contains "runtime error with line" "descriptors/loop/things.lua:25: exploded on F" "$errors"
run_impex 0 dump Things
expect_eq "accepted rows stored" "A C G" "$(jq -r .Code <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')"

printf 'Code,How\n1,os\n2,io\n3,require\n4,load\n5,debug\n6,none\n' >"$WORK/escape.csv"
rm -f /tmp/impex-escaped
run_impex 3 import --group escape "$WORK/escape.csv" --json
expect_eq "escape attempts rejected" 5 "$(jq -r .rejected <<<"$OUT")"
[ ! -e /tmp/impex-escaped ] || fail "a script escaped the sandbox"
run_impex 0 errors "$(jq -r .id <<<"$OUT")"
escapes=$(tr -d '\r' <<<"$OUT")
# Each attempt fails for its own reason: another failure (a typo, a crash) is a bug.
expect_escape() { # HOW REASON
  expect_contains "escape via $1" "$2" "$(grep ",$1\$" <<<"$escapes")"
}
expect_escape os "descriptors/loop/escape.lua:10: attempt to call a nil value (field 'execute')"
expect_escape io "descriptors/loop/escape.lua:11: attempt to index a nil value (global 'io')"
expect_escape require "descriptors/loop/escape.lua:12: invalid module name '../../../etc/passwd'"
expect_escape load "descriptors/loop/escape.lua:13: attempt to call a nil value (field 'dump')"
expect_escape debug "descriptors/loop/escape.lua:14: attempt to index a nil value (global 'debug')"
expect_eq "the harmless row passes" "" "$(grep ',none$' <<<"$escapes" || true)"

# One step changes string, os and a shared module by pairs, rawset and
# assignment; the next step of the same job sees none of it.
python3 - "$WORK/tamper.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("tamper.csv", "Code\nT1\n")
    z.writestr("observe.csv", "Code\nO1\nO2\n")
PY
run_impex 0 import --group tamper "$WORK/tamper.zip" --json
expect_eq "tamper status" COMPLETED "$(jq -r .status <<<"$OUT")"
expect_eq "tamper rows all pass" "3 0" "$(jq -r '"\(.imported) \(.rejected)"' <<<"$OUT")"

# Runaways inside one C call or a message handler end as rejections naming the line.
printf 'Code,How\n1,xpcall\n2,trim\n3,backtrack\n4,none\n' >"$WORK/runaway.csv"
start=$(date +%s)
run_impex 3 import --group runaway "$WORK/runaway.csv" --json
expect_eq "runaway imported" 1 "$(jq -r .imported <<<"$OUT")"
[ $(($(date +%s) - start)) -lt 30 ] || fail "runaway rows took too long"
run_impex 0 errors "$(jq -r .id <<<"$OUT")"
runaways=$(tr -d '\r' <<<"$OUT")
expect_contains "xpcall handler stopped" "descriptors/loop/runaway.lua:11: instruction budget" "$(grep ',xpcall$' <<<"$runaways")"
expect_contains "trim idiom stopped" "descriptors/loop/runaway.lua:13: instruction budget" "$(grep ',trim$' <<<"$runaways")"
expect_contains "backtracking stopped" "descriptors/loop/runaway.lua:15: instruction budget" "$(grep ',backtrack$' <<<"$runaways")"
done_ok
