#!/usr/bin/env bash
# The test command: installs what is missing, checks formatting, builds
# Release with gcc and with clang (-Werror, as the project's own builds are),
# smoke-runs every fuzz target, runs the whole suite (unit, end-to-end,
# allocation failures, luacheck) with ctest on the gcc build and all but the
# allocation-failure test on the clang one, then again under
# AddressSanitizer + UndefinedBehaviorSanitizer and under ThreadSanitizer.
# Exits non-zero on any failure. IMPEX_JOBS sets the parallelism (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${IMPEX_JOBS:-$(nproc)}
corpora=${IMPEX_CORPORA:-../shared/corpora}
start=$SECONDS
stage() { echo "== $* ($((SECONDS - start)) s)"; }

scripts/install-deps.sh

stage clang-format
mapfile -t sources < <(git ls-files 'engine/*.c' 'engine/*.h' 'tests/*.c' 2>/dev/null || find engine tests -name '*.[ch]')
clang-format --dry-run --Werror "${sources[@]}"

# build DIR CC ARGS...: a fresh configure of DIR with compiler CC.
build() {
  local dir=$1 cc=$2
  shift 2
  CC=$cc cmake -S . -B "$dir" -DIMPEX_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
}

stage "build: Release, gcc"
build build-gcc gcc -DCMAKE_BUILD_TYPE=Release
stage "build: Release, clang"
build build-clang clang -DCMAKE_BUILD_TYPE=Release

stage "fuzz smoke (libFuzzer, ${FUZZ_SECONDS:-20}s per target)"
build build-fuzz clang -DIMPEX_FUZZ=ON -DIMPEX_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug
for src in tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  target=build-fuzz/$name
  # Every target in tests/fuzz must have been built: none is skipped silently.
  [ -x "$target" ] || { echo "fuzz target $name was not built"; exit 1; }
  case $name in
    fuzz_csv) seeds=("$corpora/csv-spectrum/csvs" "$corpora/hostile") ;;
    fuzz_pattern | fuzz_rules | fuzz_job | fuzz_codec | fuzz_reject) seeds=("tests/fuzz/corpus/${name#fuzz_}") ;;
    fuzz_transcode) seeds=("tests/fuzz/corpus/transcode" "$corpora/hostile") ;;
    fuzz_xml) seeds=("tests/fuzz/corpus/xml" "$corpora/hostile") ;;
    *) seeds=("$corpora/hostile") ;;
  esac
  for s in "${seeds[@]}"; do [ -d "$s" ] || { echo "no seed corpus $s for $name"; exit 1; }; done
  mkdir -p "build-fuzz/work-$name"
  "$target" -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -timeout=10 \
    "build-fuzz/work-$name" "${seeds[@]}" >"build-fuzz/$name.log" 2>&1 \
    || { tail -n 40 "build-fuzz/$name.log"; echo "fuzz target $name failed"; exit 1; }
  grep -E "^(#[0-9]+ +DONE|Done [0-9]+ runs)" "build-fuzz/$name.log" | tail -n 1 | sed "s/^/$name: /"
done

stage "tests: gcc Release (whole suite)"
(cd build-gcc && ctest --output-on-failure -j"$jobs")
stage "tests: clang Release (without the allocation-failure test, which the gcc build runs)"
(cd build-clang && ctest --output-on-failure -j"$jobs" -LE allocfail)

stage "tests under AddressSanitizer + UndefinedBehaviorSanitizer"
build build-san gcc -DIMPEX_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
(
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  cd build-san && ctest --output-on-failure -j"$jobs"
)

stage "tests under ThreadSanitizer"
build build-tsan clang -DIMPEX_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
(
  # Any report fails the test; tsan.supp holds only explained third-party false positives.
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/support/tsan.supp"
  cd build-tsan && ctest --output-on-failure -j"$jobs"
)
stage "all passed"
