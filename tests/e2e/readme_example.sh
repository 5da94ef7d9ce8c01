#!/usr/bin/env bash
# The worked descriptor example of the README runs as written: extracted from
# README.md, imported twice; map doubles OnHand, validate rejects with its reason.
source "$(dirname "$0")/lib/common.sh"

mkdir -p "$WORK/scripts/descriptors/stock"
python3 - "$IMPEX_SOURCE_ROOT/README.md" "$WORK/scripts/descriptors/stock/inventory.lua" <<'PY'
import sys
s = open(sys.argv[1]).read()
start = s.index("```lua\n-- descriptors/stock/inventory.lua") + len("```lua\n")
open(sys.argv[2], "w").write(s[start:s.index("```", start)])
PY
echo 'return { steps = { "inventory" } }' >"$WORK/scripts/descriptors/stock/stock.group.lua"
export IMPEX_SCRIPTS=$WORK/scripts
printf 'LocationCode,ProductCode,OnHand,Price,Status,Channels,Restock\nL1,P-1,5,9.99,Active,"web\rstore",2026-12-01\nL1,P-2,3,,Blocked,,\n' >"$WORK/inventory-1.csv"
run_impex 3 import --group stock "$WORK/inventory-1.csv" --json
run_impex 3 import --group stock "$WORK/inventory-1.csv" --json
run_impex 0 get LocationInventory L1/P-1 --json
expect_eq "map added the stored OnHand" 10 "$(jq -r .OnHand <<<"$OUT")"
expect_eq "multi-value list" '["web","store"]' "$(jq -c .Channels <<<"$OUT")"
run_impex 0 errors 1
expect_contains "validate's reason" "a blocked location cannot hold stock" "$OUT"
done_ok
