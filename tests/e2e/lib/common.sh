# Shared helpers for the end-to-end tests (sourced, not run).
# Each test gets its own scratch folder and data dir; IMPEX is the binary under test.
set -euo pipefail

: "${IMPEX:?IMPEX must point at the impex binary}"
: "${IMPEX_SOURCE_ROOT:?}"
CORPORA=${IMPEX_CORPORA:-$IMPEX_SOURCE_ROOT/../shared/corpora}
TEST_NAME=$(basename "$0" .sh)
WORK=${IMPEX_TMP:-/tmp}/e2e-$TEST_NAME
rm -rf "$WORK"
mkdir -p "$WORK"
export IMPEX_DATA=$WORK/data
export IMPEX_SCRIPTS=$IMPEX_SOURCE_ROOT
TEST_SCRIPTS=$IMPEX_SOURCE_ROOT/tests/data/scripts
GEN=$IMPEX_SOURCE_ROOT/scripts/gen-catalog.py
checks=0

fail() {
  echo "FAIL [$TEST_NAME]: $*" >&2
  exit 1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  checks=$((checks + 1))
  [ "$2" == "$3" ] || fail "$1: expected '$2', got '$3'"
}

# expect_contains WHAT NEEDLE HAYSTACK
expect_contains() {
  checks=$((checks + 1))
  case "$3" in *"$2"*) ;; *) fail "$1: expected to contain '$2', got: $3" ;; esac
}

# run_impex EXPECTED_EXIT ARGS... : runs impex, keeps stdout in $OUT and stderr in $ERR.
run_impex() {
  local want=$1
  shift
  set +e
  "$IMPEX" "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  set -e
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
  [ "$got" == "$want" ] || fail "impex $* exited $got, expected $want; stdout: $OUT; stderr: $ERR"
  checks=$((checks + 1))
}

# job_field ID FIELD [tenant args...]
job_field() {
  local id=$1 field=$2
  shift 2
  "$IMPEX" "$@" job "$id" --json | jq -r "$field"
}

# store_product_types [ARGS...]: stores (with impex ARGS, e.g. --tenant T) the
# product type gen-catalog.py's products use, for a test that then imports a
# bare Products.csv. The catalog group takes no file without a Products.csv:
# the zip's one holds the header only.
store_product_types() {
  local dir=$WORK/product-types
  if [ ! -f "$dir.zip" ]; then
    python3 "$GEN" "$dir" --csv-only --products 0 --categories 0
    (cd "$dir" && zip -q "$dir.zip" ProductTypes.csv Products.csv)
  fi
  run_impex 0 "$@" import --group catalog "$dir.zip"
}

done_ok() {
  echo "ok [$TEST_NAME]: $checks checks"
}
