#!/usr/bin/env bash
# Rebuilds this fixture with a version-1 engine: imports the three inputs into
# a fresh data folder, dumps the store in LMDB's portable text format, hex
# form (store.dump; the print form, mdb_dump -p, writes a backslash unescaped
# and mdb_load then misreads it) and keeps what the read commands of
# reads.txt print (expected/). Not run by the tests: tests/e2e/store_v1.sh
# reads its output. Only meaningful with an engine that still writes record
# codec version 1; it refuses to run otherwise.
#
#   tests/data/store-v1/build.sh [IMPEX]     (default: build/impex)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
IMPEX=$(realpath "${1:-$root/build/impex}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export IMPEX_DATA=$tmp/data IMPEX_SCRIPTS=$root

for input in catalog special acme; do
  python3 "$here/zip-input.py" "$here/input/$input" "$tmp/$input.zip"
done
"$IMPEX" import --group catalog "$tmp/catalog.zip" >/dev/null
"$IMPEX" import --group catalog "$tmp/special.zip" >/dev/null
"$IMPEX" --tenant acme import --group catalog "$tmp/acme.zip" >/dev/null
"$IMPEX" verify >/dev/null

# Every record must be codec version 1 (first value byte 01).
for db in r:Products r:Categories; do
  mdb_dump -s "$db" "$tmp/data/store" |
    awk '/^HEADER=END/ {on = 1; next} /^DATA=END/ {on = 0} on && ++n % 2 == 0 && substr($1, 1, 2) != "01" {bad++}
         END {exit bad ? 1 : 0}' ||
    { echo "build.sh: $db holds records that are not codec version 1" >&2; exit 1; }
done

mdb_dump -a "$tmp/data/store" >"$here/store.dump"

# mdb_load must give back a store that reads the same.
mkdir -p "$tmp/reload/store"
mdb_load -f "$here/store.dump" "$tmp/reload/store" 2>"$tmp/load.err" || { cat "$tmp/load.err" >&2; exit 1; }

rm -rf "$here/expected"
mkdir -p "$here/expected"
while read -r name args; do
  case $name in '' | '#'*) continue ;; esac
  read -ra argv <<<"$args"
  "$IMPEX" "${argv[@]}" >"$tmp/out"
  IMPEX_DATA=$tmp/reload "$IMPEX" "${argv[@]}" >"$tmp/reloaded"
  cmp -s "$tmp/out" "$tmp/reloaded" || { echo "build.sh: $args differs after mdb_load" >&2; exit 1; }
  if [ -e "$here/expected/$name" ]; then
    cmp -s "$tmp/out" "$here/expected/$name" ||
      { echo "build.sh: $args differs from another command kept as $name" >&2; exit 1; }
  else
    cp "$tmp/out" "$here/expected/$name"
  fi
done <"$here/reads.txt"
mdb_dump -a "$tmp/reload/store" | cmp -s - "$here/store.dump" ||
  { echo "build.sh: the reloaded store dumps differently" >&2; exit 1; }
echo "fixture rebuilt: $(wc -c <"$here/store.dump") bytes of store.dump, $(find "$here/expected" -type f | wc -l) expected outputs"
