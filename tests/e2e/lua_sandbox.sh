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
expect_contains "os.execute is absent" "escape.lua:10:" "$OUT"
expect_contains "io is absent" "escape.lua:11:" "$OUT"
done_ok
