#!/usr/bin/env bash
# `cmake --install` gives a relocatable tree: the installed binary finds the
# installed descriptors beside it, with no --scripts or IMPEX_SCRIPTS, and
# never those of the source tree it was built from.
source "$(dirname "$0")/lib/common.sh"
unset IMPEX_SCRIPTS

cmake --install . --prefix "$WORK/prefix" >/dev/null   # run from the build tree (ctest's cwd)
[ -x "$WORK/prefix/bin/impex" ] || fail "no installed binary"
[ -f "$WORK/prefix/share/impex/descriptors/catalog/catalog.group.lua" ] || fail "no installed descriptors"
checks=$((checks + 2))
mv "$WORK/prefix" "$WORK/moved"   # relocatable: nothing points at the install prefix
python3 "$WORK/moved/share/impex/scripts/gen-catalog.py" "$WORK/cat.zip" --products 50 --categories 3
cd "$WORK"
IMPEX=$WORK/moved/bin/impex run_impex 0 import --group catalog "$WORK/cat.zip" --json
expect_eq "installed binary imports" 54 "$(jq -r .imported <<<"$OUT")"
# The installed group, not the source tree's, is the one that runs.
echo 'return { steps = { "product_types", "products" } }' >"$WORK/moved/share/impex/descriptors/catalog/catalog.group.lua"
IMPEX=$WORK/moved/bin/impex run_impex 0 --data "$WORK/data2" import --group catalog "$WORK/cat.zip" --json
expect_eq "installed descriptors are used" "ProductTypes Products" "$(jq -r '[.resources[].resource] | join(" ")' <<<"$OUT")"
expect_contains "the other entry is reported" "Categories.csv: matches no descriptor" "$(jq -r '.messages | join(" ")' <<<"$OUT")"
# Never the build machine's source tree: without installed descriptors, the
# installed binary finds no group (the build-tree binary would find the source's).
rm -rf "$WORK/moved/share/impex/descriptors"
IMPEX=$WORK/moved/bin/impex run_impex 2 --data "$WORK/data3" import --group catalog "$WORK/cat.zip"
expect_contains "no fallback to the source tree" "catalog" "$ERR"
done_ok
