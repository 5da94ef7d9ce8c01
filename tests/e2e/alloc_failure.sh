#!/usr/bin/env bash
# Out of memory anywhere: a small import (a product type, then 2 entries of 30
# rows, batches of 10, a Lua validate on every product) is run once per
# allocation k with the k-th allocation failing (tests/support/failalloc.c).
# Each run must end with a clear error, no crash or hang; the store it leaves
# must be readable, and resuming the job (or, if none was created, importing
# again) must give the same records and counts as a clean run.
#
# A clean run makes about 4,000 allocations: every k up to ALLOCFAIL_ALL (600:
# start-up, group and descriptor loading, opening the archive) is tried, above
# that a stride leaves about 600 more (about 1,200 runs, 4-5 minutes on 2 idle
# cores, each run about 0.2 s). ALLOCFAIL_ALL=100000 tries all. ALLOCFAIL_ONLY="k ..."
# tries just those k (to look at one failure again).
source "$(dirname "$0")/lib/common.sh"
: "${FAILALLOC:?FAILALLOC must point at failalloc.so}"
[ -f "$FAILALLOC" ] || fail "no $FAILALLOC"
ALL=${ALLOCFAIL_ALL:-600}

# The shipped catalog group, with a validate on products so Lua runs per row.
mkdir -p "$WORK/scripts/exporters"
cp -r "$IMPEX_SOURCE_ROOT/descriptors" "$WORK/scripts/"
sed -i '0,/^return {$/s//return {\n  validate = function(row) return row.ProductCode ~= "NONE", "no code" end,/' \
  "$WORK/scripts/descriptors/catalog/products.lua"
grep -q 'validate = function' "$WORK/scripts/descriptors/catalog/products.lua" || fail "validate not added"
export IMPEX_SCRIPTS=$WORK/scripts
python3 "$GEN" "$WORK/cat.zip" --products 30 --categories 30 >/dev/null
RESOURCES=(ProductTypes Categories Products)
IMPORT=(import --group catalog "$WORK/cat.zip" --batch-size 10)

# snapshot DIR OUT: every resource's dump and the latest job's outcome
snapshot() {
  for r in "${RESOURCES[@]}"; do IMPEX_DATA=$1 "$IMPEX" dump "$r"; done >"$2"
  # The latest job: a failed first attempt may have used up id 1 without a job.
  IMPEX_DATA=$1 "$IMPEX" jobs --json | jq -c 'max_by(.id) | {status, rows, imported, rejected}' >>"$2"
}

# The clean run, under the library, counts the allocations.
IMPEX_DATA=$WORK/clean LD_PRELOAD=$FAILALLOC FAILALLOC_COUNT=$WORK/count "$IMPEX" "${IMPORT[@]}" >/dev/null
N=$(cat "$WORK/count")
[ "$N" -gt 100 ] || fail "only $N allocations counted: is the library preloaded?"
snapshot "$WORK/clean" "$WORK/clean.snap"
expect_eq "clean run imported every row" 61 "$(IMPEX_DATA=$WORK/clean "$IMPEX" job 1 --json | jq .imported)"

if [ -n "${ALLOCFAIL_ONLY:-}" ]; then
  ks=($ALLOCFAIL_ONLY)
else
  stride=$(((N - ALL) / 600 + 1))
  mapfile -t ks < <(seq 1 $((N < ALL ? N : ALL)); [ "$N" -le "$ALL" ] || seq $((ALL + 1)) "$stride" "$N")
fi

D=$WORK/data
declare -A outcome
failures=()
bad() { # bad K WHAT
  failures+=("k=$1: $2")
  outcome[failed]=$((${outcome[failed]:-0} + 1))
}
for k in "${ks[@]}"; do
  rm -rf "$D"
  : >"$WORK/rout"
  set +e
  IMPEX_DATA=$D LD_PRELOAD=$FAILALLOC FAILALLOC_AT=$k timeout -k 5 20 "$IMPEX" "${IMPORT[@]}" \
    >"$WORK/out" 2>"$WORK/err"
  rc=$?
  set -e
  err=$(head -c 300 "$WORK/err" | tr '\n' ' ')
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    bad "$k" "hung (killed after 20 s)"
    continue
  elif [ "$rc" -ge 128 ]; then
    bad "$k" "killed by signal $((rc - 128)); stderr: $err"
    continue
  fi
  case $rc in
    0 | 3) ;;
    1) [ -n "$err" ] || { bad "$k" "exit 1 with nothing on stderr"; continue; } ;;
    *)
      job=$(IMPEX_DATA=$D "$IMPEX" jobs --json 2>/dev/null | jq -r 'max_by(.id) | .status + ": " + (.messages | join("; "))' || true)
      bad "$k" "exit $rc; stderr: $err; job: ${job:-none}"
      continue
      ;;
  esac
  # The store must open and read back whatever was left.
  if ! IMPEX_DATA=$D "$IMPEX" jobs --json >"$WORK/jobs" 2>"$WORK/err2"; then
    bad "$k" "exit $rc, then the store does not read back: $(head -c 300 "$WORK/err2")"
    continue
  fi
  if [ "$(jq length "$WORK/jobs")" -eq 0 ]; then
    # No job: nothing may have been stored; a new import must then work.
    for r in "${RESOURCES[@]}"; do IMPEX_DATA=$D "$IMPEX" dump "$r"; done >"$WORK/left"
    [ ! -s "$WORK/left" ] || { bad "$k" "exit $rc, no job, but records stored"; continue; }
    IMPEX_DATA=$D "$IMPEX" "${IMPORT[@]}" >/dev/null 2>&1 || { bad "$k" "import after a jobless failure failed"; continue; }
    kind="$rc-nojob"
  else
    IMPEX_DATA=$D timeout -k 5 60 "$IMPEX" resume >"$WORK/rout" 2>&1 || true
    kind="$rc"
  fi
  if [ "$rc" -eq 3 ]; then
    # A row rejected for want of memory: it must say so, and everything
    # stored must be exactly what the clean run stored.
    reasons=$(IMPEX_DATA=$D "$IMPEX" errors "$(IMPEX_DATA=$D "$IMPEX" jobs --json | jq 'max_by(.id).id')" 2>&1 || true)
    case $reasons in *memory*) ;; *) bad "$k" "exit 3 without a memory reason: $(head -c 300 <<<"$reasons")"; continue ;; esac
    for r in "${RESOURCES[@]}"; do IMPEX_DATA=$D "$IMPEX" dump "$r"; done >"$WORK/left"
    extra=$(comm -23 <(sort "$WORK/left") <(sort "$WORK/clean.snap") | head -c 300)
    [ -z "$extra" ] || { bad "$k" "exit 3 and a record differs from the clean run: $extra"; continue; }
  else
    snapshot "$D" "$WORK/snap" 2>/dev/null || true
    if ! cmp -s "$WORK/snap" "$WORK/clean.snap"; then
      job=$(IMPEX_DATA=$D "$IMPEX" jobs --json 2>&1 | jq -c 'max_by(.id) | {id, status, rows, imported, rejected}' 2>&1 || true)
      bad "$k" "exit $rc ($err), after resume: job $job, $(diff "$WORK/clean.snap" "$WORK/snap" | grep -c '^[<>]') lines differ from the clean run; resume said: $(head -c 200 "$WORK/rout" | tr '\n' ' ')"
      continue
    fi
  fi
  outcome[$kind]=$((${outcome[$kind]:-0} + 1))
done

summary=""
for o in "${!outcome[@]}"; do summary+=" $o:${outcome[$o]}"; done
echo "alloc_failure: $N allocations in a clean run, ${#ks[@]} k tried; outcomes (exit code: runs):$summary"
if [ ${#failures[@]} -gt 0 ]; then
  printf '  %s\n' "${failures[@]}" >&2
  fail "${#failures[@]} of ${#ks[@]} allocation failures were not handled"
fi
checks=$((checks + ${#ks[@]}))
done_ok
