#!/usr/bin/env bash
# Per-request behaviour: a per-row operation column, clearing fields (the
# sentinel and empty = "clear"), one import per tenant and group at a time,
# and a group's upload limit.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS
items() { # every Items record, compact
  "$IMPEX" dump Items | jq -c .
}
counts() { # created updated unchanged deleted rejected of the job in $OUT
  jq -r '"\(.created) \(.updated) \(.unchanged) \(.deleted) \(.rejected)"' <<<"$OUT"
}

# --- the operation column -------------------------------------------------------
printf 'Code,Brand,Name,Price,Stock,Color\nA,acme,apple,1.50,3,red\nB,acme,banana,0.25,4,green\nC,acme,cherry,2,5,blue\n' >"$WORK/items1.csv"
run_impex 0 import --group req-items "$WORK/items1.csv" --json
expect_eq "no operation column: the job's operation (upsert)" "3 0 0 0 0" "$(counts)"

# Rows choose insert/update/delete/upsert (any case; blank = the job's own).
# A delete row needs only its key: the other cells are not checked.
cat >"$WORK/items2.csv" <<'EOF'
Operation,Code,Brand,Name,Price,Stock,Color
update,A,acme,apple,1.75,,
DELETE,B,,,not-a-number,,purple
Insert,D,acme,date,1,1,red
 upsert ,C,acme,cherry,2,5,blue
,E,acme,elder,3,3,
merge,F,acme,fig,1,1,red
insert,A,acme,again,1,1,
update,Z,acme,zucchini,1,1,
delete,Y,,,,,
EOF
run_impex 3 import --group req-items "$WORK/items2.csv" --json
expect_eq "mixed operations: created updated unchanged deleted rejected" "2 1 1 1 4" "$(counts)"
expect_eq "mixed operations: store" \
  '{"Code":"A","Brand":"acme","Name":"apple","Price":1.75,"Stock":3,"Color":"red"}
{"Code":"C","Brand":"acme","Name":"cherry","Price":2,"Stock":5,"Color":"blue"}
{"Code":"D","Brand":"acme","Name":"date","Price":1,"Stock":1,"Color":"red"}
{"Code":"E","Brand":"acme","Name":"elder","Price":3,"Stock":3}' "$(items)"
run_impex 0 errors "$(jq -r .id <<<"$OUT")"
expect_contains "unknown operation names the column" \
  "items2.csv,7,7,Operation,merge,\"operation 'merge' is not allowed (allowed: upsert, insert, update, delete)\",merge,F" "$OUT"
expect_contains "a key the file held before (row 2) is a duplicate" "items2.csv,8,8,,,duplicate key A: already in row 2,insert,A" "$OUT"
expect_contains "update row of a missing key" "items2.csv,9,9,,,no such record to update (operation update),update,Z" "$OUT"
expect_contains "delete row of a missing key" "items2.csv,10,10,,,no such record to delete,delete,Y" "$OUT"
run_impex 2 get Items B
run_impex 2 get Items F

# An operation outside the descriptor's `operations` is rejected for that row only.
printf 'Operation,Code,Brand,Name\ninsert,G,acme,grape\nupdate,D,acme,damson\n' >"$WORK/limited1.csv"
run_impex 3 import --group req-limited "$WORK/limited1.csv" --json
limited_job=$(jq -r .id <<<"$OUT")
expect_eq "operation outside operations: counts" "0 1 0 0 1" "$(counts)"
run_impex 0 errors "$(jq -r .id <<<"$OUT")"
expect_contains "operation outside operations: reason" \
  "limited1.csv,2,2,Operation,insert,\"operation 'insert' is not allowed (allowed: upsert, update, delete)\"" "$OUT"
run_impex 2 get Items G
# The operation column is not stored, and the replay carries it as it was.
run_impex 0 get Items D --json
expect_eq "operation column not stored" '{"Code":"D","Brand":"acme","Name":"damson","Price":1,"Stock":1,"Color":"red"}' "$OUT"
run_impex 0 errors "$limited_job" --replay
expect_eq "replay keeps the operation column" $'Operation,Code,Brand,Name\r\ninsert,G,acme,grape' "${OUT%$'\r'}"

# --- clearing fields ----------------------------------------------------------------
# The sentinel clears a stored field on update and upsert; blank cells keep theirs.
printf 'Operation,Code,Brand,Name,Price,Stock,Color\nupdate,A,acme,~delete~,,,\nupsert,C,acme,,~delete~,,~delete~\n' >"$WORK/items3.csv"
run_impex 0 import --group req-items "$WORK/items3.csv" --json
expect_eq "sentinel: two records updated" "0 2 0 0 0" "$(counts)"
run_impex 0 get Items A --json
expect_eq "sentinel clears Name, blanks keep the rest" '{"Code":"A","Brand":"acme","Price":1.75,"Stock":3,"Color":"red"}' "$OUT"
run_impex 0 get Items C --json
expect_eq "sentinel clears Price and Color" '{"Code":"C","Brand":"acme","Name":"cherry","Stock":5}' "$OUT"
# Clearing what is not stored changes nothing: unchanged, not updated.
run_impex 0 import --group req-items "$WORK/items3.csv" --json
expect_eq "clearing an absent field is unchanged" "0 0 2 0 0" "$(counts)"
# A new record (upsert or insert) simply lacks the cleared field.
printf 'Operation,Code,Brand,Name,Price\nupsert,H,acme,~delete~,4\ninsert,I,acme,~delete~,5\n' >"$WORK/items4.csv"
run_impex 0 import --group req-items "$WORK/items4.csv" --json
expect_eq "sentinel on new records" "2 0 0 0 0" "$(counts)"
run_impex 0 get Items H --json
expect_eq "new record without the cleared field" '{"Code":"H","Brand":"acme","Price":4}' "$OUT"
# A required or key field cannot be cleared.
printf 'Code,Brand,Name\nH,~delete~,hazel\n~delete~,acme,x\n' >"$WORK/items5.csv"
run_impex 3 import --group req-items "$WORK/items5.csv" --json
expect_eq "sentinel in required fields: rejected" "0 0 0 0 2" "$(counts)"
run_impex 0 errors "$(jq -r .id <<<"$OUT")"
expect_contains "sentinel in a required field" "items5.csv,2,2,Brand,~delete~,field Brand: cannot clear a required field" "$OUT"
expect_contains "sentinel in the key" "items5.csv,3,3,Code,~delete~,field Code: cannot clear a required field" "$OUT"
# empty = "clear": every blank cell clears its field (a blank required cell is still an error).
printf 'Code,Brand,Name,Price,Stock,Color\nD,acme,,9,,\nE,,x,1,1,\n' >"$WORK/clear1.csv"
run_impex 3 import --group req-clear "$WORK/clear1.csv" --json
expect_eq "empty = clear: counts" "0 1 0 0 1" "$(counts)"
run_impex 0 get Items D --json
expect_eq "empty = clear: blanks cleared" '{"Code":"D","Brand":"acme","Price":9}' "$OUT"
# A custom sentinel; "~delete~" is then an ordinary value.
printf 'Code,Brand,Name,Stock\nE,acme,~delete~,NULL\n' >"$WORK/custom1.csv"
run_impex 0 import --group req-custom "$WORK/custom1.csv" --json
run_impex 0 get Items E --json
expect_eq "custom sentinel" '{"Code":"E","Brand":"acme","Name":"~delete~","Price":3}' "$OUT"
# map sees a cleared field as nil; a field map leaves out stays cleared.
printf 'Code,Brand,Name,Price\nE,acme,elder,~delete~\n' >"$WORK/mapped1.csv"
run_impex 0 import --group req-mapped "$WORK/mapped1.csv" --json
run_impex 0 get Items E --json
expect_eq "map with a cleared field" '{"Code":"E","Brand":"acme","Name":"ELDER"}' "$OUT"

# --- the upload limit ------------------------------------------------------------------
jobs_before=$("$IMPEX" jobs --json | jq length)
head -c 5000 /dev/zero | tr '\0' x >"$WORK/pad"
{ printf 'Code,Brand,Name\n'; printf 'U1,acme,%s\n' "$(cat "$WORK/pad")"; } >"$WORK/items-big.csv"
run_impex 2 import --group req-small "$WORK/items-big.csv"
expect_eq "over the limit: refused" "impex: upload of 5.1 KB is over the 4.1 KB limit of group req-small" "$ERR"
expect_eq "over the limit: no job" "$jobs_before" "$("$IMPEX" jobs --json | jq length)"
{ printf 'Code,Brand,Name\n'; printf 'U1,acme,%s\n' "$(head -c 4000 "$WORK/pad")"; } >"$WORK/items-ok.csv"
run_impex 0 import --group req-small "$WORK/items-ok.csv"

# --- one import per tenant and group --------------------------------------------------------
items_before=$("$IMPEX" count Items)
python3 -c '
print("Code,Brand,Name")
for i in range(8000): print("K%06d,acme,name %d" % (i, i))' >"$WORK/items-long.csv"
set +e
"$IMPEX" import --group req-items "$WORK/items-long.csv" --batch-size 1 >/dev/null 2>&1 &
pid=$!
set -e
running=""
for _ in $(seq 400); do
  running=$("$IMPEX" jobs --json | jq -r '[.[] | select(.status == "IMPORTING" and .batches > 0)][0].id // empty')
  [ -n "$running" ] && break
  sleep 0.05
done
kill -9 "$pid"
wait "$pid" || true
[ -n "$running" ] || fail "the long import never committed a batch"
expect_eq "killed job stays IMPORTING" IMPORTING "$(job_field "$running" .status)"
jobs_before=$("$IMPEX" jobs --json | jq length)
run_impex 2 import --group req-items "$WORK/items1.csv"
expect_contains "second import refused, naming the job" \
  "impex: group req-items already has job $running IMPORTING for tenant default (started " "$ERR"
expect_contains "the refusal says how to go on" "; wait for it or run impex resume $running" "$ERR"
expect_eq "refused: no job created" "$jobs_before" "$("$IMPEX" jobs --json | jq length)"
# Same group, by its path below descriptors/: the same group.
run_impex 2 import --group request/req-items "$WORK/items1.csv"
expect_contains "the group by path is the same group" "already has job $running IMPORTING" "$ERR"
# Another group, another tenant: not refused.
printf 'Code,Name\nO1,one\n' >"$WORK/others1.csv"
run_impex 0 import --group req-others "$WORK/others1.csv"
run_impex 0 --tenant other import --group req-items "$WORK/items1.csv"
# Once the interrupted job is resumed to its end, the group is free again.
run_impex 0 resume "$running"
expect_eq "resumed job completed" COMPLETED "$(job_field "$running" .status)"
run_impex 0 count Items
expect_eq "every row of the resumed job" $((items_before + 8000)) "$OUT"
run_impex 0 import --group req-items "$WORK/items1.csv"

# Two imports of the same group started at the same moment: exactly one runs.
python3 -c '
print("Code,Brand,Name")
for i in range(3000): print("R%06d,acme,name %d" % (i, i))' >"$WORK/items-race.csv"
for round in 1 2 3; do
  set +e
  "$IMPEX" import --group req-items "$WORK/items-race.csv" --batch-size 1 >"$WORK/race-a" 2>&1 &
  a=$!
  "$IMPEX" import --group req-items "$WORK/items-race.csv" --batch-size 1 >"$WORK/race-b" 2>&1 &
  b=$!
  wait "$a"
  ra=$?
  wait "$b"
  rb=$?
  set -e
  expect_eq "race round $round: one ran, one was refused" "0 2" "$(printf '%s\n' "$ra" "$rb" | sort -n | tr '\n' ' ' | sed 's/ $//')"
  expect_contains "race round $round: refusal" "already has job" "$(cat "$WORK/race-a" "$WORK/race-b")"
done
done_ok
