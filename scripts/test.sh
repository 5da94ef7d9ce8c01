#!/usr/bin/env bash
# The test command: installs what is missing, checks formatting and lint,
# builds, runs the whole suite (unit + end-to-end) with ctest, smoke-runs the
# fuzzers, then builds again with AddressSanitizer + UndefinedBehaviorSanitizer
# and runs the suite once more. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
corpora=${IMPEX_CORPORA:-../shared/corpora}

scripts/install-deps.sh

echo "== clang-format"
mapfile -t sources < <(git ls-files 'engine/*.c' 'engine/*.h' 'tests/*.c' 2>/dev/null || find engine tests -name '*.[ch]')
clang-format --dry-run --Werror "${sources[@]}"

echo "== build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"

echo "== fuzz smoke (libFuzzer, ${FUZZ_SECONDS:-20}s per target)"
CC=clang cmake -S . -B build-fuzz -DIMPEX_FUZZ=ON -DIMPEX_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$jobs"
for target in build-fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  case $name in
    fuzz_csv) seeds=("$corpora/csv-spectrum/csvs" "$corpora/hostile") ;;
    fuzz_pattern) seeds=(tests/fuzz/corpus/pattern) ;;
    *) seeds=("$corpora/hostile") ;;
  esac
  mkdir -p "build-fuzz/work-$name"
  "$target" -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -timeout=10 \
    "build-fuzz/work-$name" "${seeds[@]}" >"build-fuzz/$name.log" 2>&1 \
    || { tail -n 40 "build-fuzz/$name.log"; echo "fuzz target $name failed"; exit 1; }
  grep -E "^(#[0-9]+ +DONE|Done [0-9]+ runs)" "build-fuzz/$name.log" | tail -n 1 | sed "s/^/$name: /"
done

echo "== tests"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-san -DIMPEX_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-san -j"$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-san && ctest --output-on-failure -j"$jobs")
