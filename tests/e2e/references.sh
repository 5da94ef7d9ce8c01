#!/usr/bin/env bash
# References between resources (descriptor key refs): a row must name a
# record that is stored or written earlier in the same job; group steps run
# in the order their references need, whatever order the group and the zip
# hold them in; a cyclic group is refused.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS

# mkzip ZIP NAME=CONTENT... (entries in the order given)
mkzip() {
  python3 - "$@" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for arg in sys.argv[2:]:
        name, text = arg.split("=", 1)
        z.writestr(name, text)
PY
}
codes() {  # RESOURCE FIELD...: those fields of every record, '/'-joined, in key order
  local res=$1
  shift
  "$IMPEX" dump "$res" | jq -r --args '[.[$ARGS.positional[]]] | join("/")' "$@" | paste -sd' '
}

# 1. One zip, entries in the reverse of the order references need, group
# listing them out of order too: types, locations, products, categories,
# inventory all resolve within the job.
mkzip "$WORK/cat.zip" \
  "inventory.csv=LocationCode,MasterCatalogName,ProductCode,OnHand
W1,Master,P1,5
W2,Master,P1,1
W1,Master,P9,3
W1,Master,P2,7
" \
  "products.csv=MasterCatalogName,ProductCode,ProductType,Name
Master,P1,SHOES,shoe
Master,P2,,no type
Master,P3,HATS,hat
Master,P4,SHOES,boot
" \
  "categories.csv=CatalogName,CategoryCode,ParentCategoryCode,Name
Web,ROOT,,root
Web,MEN,ROOT,men
Web,BOOTS,MEN,boots
Web,ORPHAN,GONE,orphan
Web,KIDS,TOYS,kids
Web,TOYS,ROOT,toys
" \
  "locations.csv=LocationCode,Name
W1,Warehouse
" \
  "types.csv=MasterCatalogName,ProductType,Name
Master,SHOES,Shoes
"
run_impex 3 import --group refs "$WORK/cat.zip" --json
JOB=$OUT
ID=$(jq -r .id <<<"$JOB")
# Stable: the first step of the group's list whose targets have run goes next.
expect_eq "steps sorted by their references" "Categories ProductTypes Products Locations LocationInventory" \
  "$(jq -r '[.resources[].resource] | join(" ")' <<<"$JOB")"
expect_eq "job counts (rows imported rejected)" "16 11 5" "$(jq -r '"\(.rows) \(.imported) \(.rejected)"' <<<"$JOB")"
expect_eq "step statuses" "COMPLETED_WITH_ERRORS COMPLETED COMPLETED_WITH_ERRORS COMPLETED COMPLETED_WITH_ERRORS" \
  "$(jq -r '[.resources[].status] | join(" ")' <<<"$JOB")"
expect_eq "per step rejected" "2 0 1 0 2" "$(jq -r '[.resources[].rejected] | join(" ")' <<<"$JOB")"
expect_eq "products: broken type rejected, empty type not checked" "Master/P1 Master/P2 Master/P4" "$(codes Products MasterCatalogName ProductCode)"
expect_eq "categories: parent above child accepted, parent below child rejected" \
  "Web/BOOTS Web/MEN Web/ROOT Web/TOYS" "$(codes Categories CatalogName CategoryCode)"
expect_eq "inventory: only rows whose product and location exist" "W1/Master/P1 W1/Master/P2" "$(codes LocationInventory LocationCode MasterCatalogName ProductCode)"
run_impex 0 errors "$ID"
expect_contains "product reason, column and value" \
  "products.csv,4,4,ProductType,HATS,reference: ProductTypes Master/HATS not found,Master,P3,HATS,hat" "$OUT"
expect_contains "orphan category" \
  "categories.csv,5,5,ParentCategoryCode,GONE,reference: Categories Web/GONE not found" "$OUT"
expect_contains "child above its parent" \
  "categories.csv,6,6,ParentCategoryCode,TOYS,reference: Categories Web/TOYS not found" "$OUT"
expect_contains "unknown location, named by the ref's name" \
  "inventory.csv,3,3,LocationCode,W2,reference: location W2 not found" "$OUT"
expect_contains "unknown product" \
  "inventory.csv,4,4,ProductCode,P9,reference: Products Master/P9 not found" "$OUT"

# 2. References satisfied by what an earlier job stored; the child now finds its parent.
mkzip "$WORK/later.zip" \
  "products.csv=MasterCatalogName,ProductCode,ProductType,Name
Master,P5,SHOES,sandal
" \
  "categories.csv=CatalogName,CategoryCode,ParentCategoryCode,Name
Web,KIDS,TOYS,kids
"
run_impex 0 import --group refs "$WORK/later.zip" --json
expect_eq "later job: created" "2 0" "$(jq -r '"\(.created) \(.rejected)"' <<<"$OUT")"
run_impex 0 get Categories Web/KIDS --json
expect_eq "stored child" TOYS "$(jq -r .ParentCategoryCode <<<"$OUT")"

# A key part holding '/' is shown escaped, as impex get takes it.
mkzip "$WORK/slash.zip" "products.csv=MasterCatalogName,ProductCode,ProductType,Name
Master,P6,A/B,slash
"
run_impex 3 import --group refs "$WORK/slash.zip" --json
run_impex 0 errors "$(jq -r .id <<<"$OUT")"
expect_contains "escaped key" 'reference: ProductTypes Master/A\/B not found' "$OUT"

# 3. A type deleted earlier in the same job no longer satisfies a reference
# (the cache of known types must forget it), one added in it does. Many
# types before them, so that the last batches of types, the delete and the
# products usually share one commit (and the cache).
FILLER=$(seq -f 'Master,T%05g,filler' 1 3000)
mkzip "$WORK/retype.zip" \
  "products.csv=MasterCatalogName,ProductCode,ProductType,Name
Master,P7,BAGS,bag
Master,P8,SHOES,shoe
Master,P1,SHOES,shoe again
" \
  "typedel.csv=MasterCatalogName,ProductType
Master,SHOES
" \
  "types.csv=MasterCatalogName,ProductType,Name
$FILLER
Master,SHOES,Shoes
Master,BAGS,Bags
"
run_impex 3 import --group retype "$WORK/retype.zip" --json
RJ=$OUT
expect_eq "retype order" "types.csv typedel.csv products.csv" "$(jq -r '[.resources[].entry] | join(" ")' <<<"$RJ")"
expect_eq "retype products step" "1 2" "$(jq -r '.resources[2] | "\(.imported) \(.rejected)"' <<<"$RJ")"
run_impex 0 errors "$(jq -r .id <<<"$RJ")"
expect_contains "deleted type" "products.csv,3,3,ProductType,SHOES,reference: ProductTypes Master/SHOES not found" "$OUT"
expect_contains "deleted type, again" "products.csv,4,4,ProductType,SHOES,reference: ProductTypes Master/SHOES not found" "$OUT"
run_impex 0 get Products Master/P7 --json
expect_eq "type added in the same job" BAGS "$(jq -r .ProductType <<<"$OUT")"

# 4. Groups that cannot load: a cycle, and a ref naming an unknown field.
printf 'Code,B\nX,Y\n' >"$WORK/a1.csv"
run_impex 4 import --group cyclic "$WORK/a1.csv" --json
expect_eq "cyclic group status" FAILED_UNEXPECTEDLY "$(jq -r .status <<<"$OUT")"
expect_contains "cycle named" "descriptors/refs/cyclic.group.lua: steps refer to each other in a cycle: cyc-a -> cyc-b -> cyc-a" \
  "$(jq -r '.messages[0]' <<<"$OUT")"
run_impex 2 get CycA X
printf 'ProductCode,ProductType\nP1,SHOES\n' >"$WORK/badref.csv"
run_impex 4 import --group badref "$WORK/badref.csv" --json
expect_contains "unknown ref field" "badref.lua: refs[1]: field 'MasterCatalog' is not one of the fields" \
  "$(jq -r '.messages[0]' <<<"$OUT")"

done_ok
