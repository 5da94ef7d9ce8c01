#!/usr/bin/env bash
# deleteOmitted: after the import, the records of the resource (in the
# master catalogs the file carried) that the file did not hold are deleted
# and counted; refused when rows were rejected; `--delete-omitted all`; a
# resource outside the group is a usage error; a sweep killed with SIGKILL
# resumes to exactly the store of an uninterrupted run.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS
codes() { "$IMPEX" dump Items | jq -r '"\(.Catalog)/\(.Code)"' | tr '\n' ' ' | sed 's/ $//'; }

printf 'Catalog,Code,Name\nM,P1,a\nM,P2,b\nM,P3,c\nM,P4,d\nM,P5,e\nN,P1,n1\nN,P2,n2\n' >"$WORK/items-all.csv"
run_impex 0 import --group items "$WORK/items-all.csv"

# Only M/P1 and M/P3 in the file: M's other records go, N's stay.
printf 'Catalog,Code,Name\nM,P1,a\nM,P3,c2\n' >"$WORK/items-some.csv"
run_impex 0 import --group items "$WORK/items-some.csv" --delete-omitted Items --json
expect_eq "job counts the deleted" "2 1 1 3" "$(jq -r '"\(.imported) \(.unchanged) \(.updated) \(.deleted)"' <<<"$OUT")"
expect_eq "the step counts them too" 3 "$(jq -r '.resources[0].deleted' <<<"$OUT")"
expect_eq "stored on the job" '["Items"]' "$(jq -c .deleteOmitted <<<"$OUT")"
expect_eq "status" COMPLETED "$(jq -r .status <<<"$OUT")"
expect_eq "omitted records of M deleted, N untouched" "M/P1 M/P3 N/P1 N/P2" "$(codes)"

# A file with a rejected row deletes nothing.
printf 'Catalog,Code,Name,Qty\nN,P1,n1,1\nN,P9,bad,notanint\n' >"$WORK/items-bad.csv"
run_impex 3 import --group items "$WORK/items-bad.csv" --delete-omitted Items --json
expect_eq "refused: status" COMPLETED_WITH_ERRORS "$(jq -r .status <<<"$OUT")"
expect_eq "refused: nothing deleted" 0 "$(jq -r .deleted <<<"$OUT")"
expect_contains "refusal message" "deleteOmitted for Items skipped: 1 rows of Items were rejected; a half-valid file must not delete the other half" "$(jq -r '.messages | join("\n")' <<<"$OUT")"
expect_eq "refused: store as it was" "M/P1 M/P3 N/P1 N/P2" "$(codes)"

# A duplicate is a rejected row as well.
printf 'Catalog,Code,Name\nN,P1,n1\nN,P1,n1\n' >"$WORK/items-dup.csv"
run_impex 3 import --group items "$WORK/items-dup.csv" --delete-omitted all --json
expect_eq "duplicate: nothing deleted" "0 1" "$(jq -r '"\(.deleted) \(.rejected)"' <<<"$OUT")"

# A header alone deletes nothing.
printf 'Catalog,Code,Name\n' >"$WORK/items-empty.csv"
run_impex 0 import --group items "$WORK/items-empty.csv" --delete-omitted Items --json
expect_eq "empty file: nothing deleted" "0 M/P1 M/P3 N/P1 N/P2" "$(jq -r .deleted <<<"$OUT") $(codes)"
expect_contains "empty file: said so" "deleteOmitted for Items skipped: the job held no rows of Items" "$(jq -r '.messages | join("\n")' <<<"$OUT")"

# `all`, and the descriptor's own delete_omitted = true.
printf 'Catalog,Code,Name\nN,P2,n2\n' >"$WORK/items-n.csv"
run_impex 0 import --group items "$WORK/items-n.csv" --delete-omitted all --json
expect_eq "all: N/P1 deleted" "1 M/P1 M/P3 N/P2" "$(jq -r .deleted <<<"$OUT") $(codes)"
printf 'Catalog,Code,Name\nM,P3,c2\n' >"$WORK/items-m.csv"
run_impex 0 import --group items-sweep "$WORK/items-m.csv" --json
expect_eq "descriptor key: M/P1 deleted" "1 M/P3 N/P2" "$(jq -r .deleted <<<"$OUT") $(codes)"

# Asked for a resource the group does not import: refused before a job exists.
run_impex 2 import --group items "$WORK/items-m.csv" --delete-omitted Products
expect_contains "unknown resource" "--delete-omitted Products: group 'items' imports no Products (it imports: Items)" "$ERR"
run_impex 0 jobs --json
expect_eq "no job created" 7 "$(jq -r 'length' <<<"$OUT")"

# Seen keys are gone once jobs are final.
run_impex 0 verify
expect_contains "verify" "the store is sound" "$OUT"
grep -Eq '^seen +0 entries' <<<"$OUT" || fail "seen keys left after final jobs: $OUT"

# SIGKILL in the middle of a large sweep, then resume: the same store as an
# uninterrupted run, every omitted record deleted once, counted once.
python3 - "$WORK" <<'PY'
import sys
w = sys.argv[1]
with open(w + "/items-base.csv", "w") as f:
    f.write("Catalog,Code,Name\n")
    for i in range(300000):
        f.write("M,K%06d,n%d\n" % (i, i))
    f.write("N,K000001,keep\n")
with open(w + "/items-keep.csv", "w") as f:
    f.write("Catalog,Code,Name\n")
    for i in range(0, 300000, 100):
        f.write("M,K%06d,n%d\n" % (i, i))
PY
for d in ref crash; do
  IMPEX_DATA=$WORK/$d run_impex 0 import --group items "$WORK/items-base.csv" --batch-size 5000
done
IMPEX_DATA=$WORK/ref run_impex 0 import --group items "$WORK/items-keep.csv" --delete-omitted Items --json
expect_eq "uninterrupted sweep" "297000 3000" "$(jq -r '"\(.deleted) \(.imported)"' <<<"$OUT")"
export IMPEX_DATA=$WORK/crash
"$IMPEX" import --group items "$WORK/items-keep.csv" --delete-omitted Items >/dev/null 2>&1 &
pid=$!
phase=
for _ in $(seq 1 3000); do
  phase=$("$IMPEX" job 2 --json 2>/dev/null | jq -r '.checkpoint.phase + " " + (.deleted|tostring)' || true)
  case "$phase" in "sweeping "[1-9]*) break ;; esac
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.01
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
case "$phase" in "sweeping "[1-9]*) ;; *) fail "the sweep was not caught midway (last seen: $phase)" ;; esac
run_impex 0 job 2 --json
expect_eq "killed mid-sweep: still importing" "IMPORTING sweeping" "$(jq -r '"\(.status) \(.checkpoint.phase)"' <<<"$OUT")"
before=$(jq -r .deleted <<<"$OUT")
[ "$before" -gt 0 ] && [ "$before" -lt 297000 ] || fail "deleted before resume: $before"
run_impex 0 resume 2 --json
expect_eq "resumed sweep counts" "297000 3000 COMPLETED" "$(jq -r '"\(.deleted) \(.imported) \(.status)"' <<<"$OUT")"
"$IMPEX" dump Items >"$WORK/crash.jsonl"
IMPEX_DATA=$WORK/ref "$IMPEX" dump Items >"$WORK/ref.jsonl"
cmp -s "$WORK/ref.jsonl" "$WORK/crash.jsonl" || fail "the resumed sweep's store differs from the uninterrupted one"
expect_eq "records left" 3001 "$(wc -l <"$WORK/crash.jsonl")"
done_ok
