#!/usr/bin/env bash
# What `map` returns is held to the descriptor's rules and key like a row
# (extra fields are kept); rows the writer rejects count against max_errors.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS

cat >"$WORK/mapped.csv" <<'CSV'
Code,Mode,Qty,When,Name
M1,ok,1,,one
M2,int,2,,two
M3,date,3,,three
M4,key,4,,four
M5,dropkey,5,,five
M6,empty,6,,six
M7,ok,007,2026-01-02T03:04:05+0100,seven
CSV
run_impex 3 import --group mapped "$WORK/mapped.csv" --json
id=$(jq -r .id <<<"$OUT")
expect_eq "map results: imported/rejected" "2 5" "$(jq -r '"\(.imported) \(.rejected)"' <<<"$OUT")"
"$IMPEX" errors "$id" >"$WORK/report.csv"
report=$(cat "$WORK/report.csv")
expect_contains "int field holding text" "mapped.csv,3,3,,,map result: field Qty: not an integer: 'abc'" "$report"
expect_contains "datetime not a date" "mapped.csv,4,4,,,map result: field When: " "$report"
expect_contains "key changed" "map result: key field Code was changed" "$report"
expect_contains "key dropped" "map result: key field Code is missing" "$report"
expect_contains "required field dropped" "map result: required field Name is missing" "$report"
run_impex 0 count Things
expect_eq "only the good rows stored" 2 "$OUT"
run_impex 2 get Things M4-other
run_impex 0 get Things M1 --json
expect_eq "extra field kept" kept "$(jq -r .Extra <<<"$OUT")"
run_impex 0 get Things M7 --json
expect_eq "map result normalised by the rules" 7 "$(jq -r .Qty <<<"$OUT")"

# max_errors counts the rows the writer rejects (here: keys that exist).
printf 'Code,Name\nK1,a\nK2,b\nK3,c\nK4,d\nK5,e\nK6,f\n' >"$WORK/things-keys.csv"
run_impex 0 import --group raw "$WORK/things-keys.csv"
run_impex 4 import --group capped "$WORK/things-keys.csv" --json
expect_eq "writer rejections stop the job" FAILED_WITH_VALIDATION_ERRORS "$(jq -r .status <<<"$OUT")"
expect_contains "writer rejections: message" "rejected rows (max_errors 2); rows committed up to row" "$(jq -r '.messages | join(" ")' <<<"$OUT")"
rej=$(jq -r .rejected <<<"$OUT")
[ "$rej" -ge 3 ] && [ "$rej" -lt 6 ] || fail "stopped after $rej rejected rows"
checks=$((checks + 1))
done_ok
