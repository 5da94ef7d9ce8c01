#!/usr/bin/env bash
# The shipped resource catalog: every descriptor matches the Kibo layout of
# its resource (../shared/kibo-fields.json); the generated catalog zip (all
# 29 resources) imports completely, every reference in it resolves, and the
# same zip with its entries in reverse order gives the same store; header
# errors name their columns; `requires`; the inventory, pricing and
# locations groups.
source "$(dirname "$0")/lib/common.sh"
DESCRIBE=$IMPEX_SOURCE_ROOT/tests/e2e/lib/describe.lua

# --- descriptors -------------------------------------------------------------------
# The Kibo resources' descriptors (the webshop channel has a layout of its own,
# and its descriptors `require` each other, which plain lua5.4 cannot resolve).
(cd "$IMPEX_SOURCE_ROOT" &&
  find descriptors -name '*.lua' ! -name '*.group.lua' ! -path 'descriptors/webshop/*' | sort |
  xargs lua5.4 "$DESCRIBE") >"$WORK/descriptors.jsonl"
KIBO=$IMPEX_SOURCE_ROOT/../shared/kibo-fields.json
if [ -f "$KIBO" ]; then
  python3 - "$KIBO" "$WORK/descriptors.jsonl" <<'PY'
import json, sys
kibo = json.load(open(sys.argv[1]))
descs = [json.loads(l) for l in open(sys.argv[2])]
by_res = {}
for d in descs:
    by_res.setdefault(d["resource"], []).append(d)
for res, spec in kibo.items():
    ds = by_res.get(res, [])
    assert len(ds) == 1, "%s: %d descriptors" % (res, len(ds))
    d = ds[0]
    req, opt = spec["fields"]["required"], spec["fields"]["optional"]
    names = [f["name"] for f in d["fields"]]
    assert names == req + opt, "%s: columns %s, layout %s" % (d["path"], names, req + opt)
    for f in d["fields"]:
        assert f["required"] == (f["name"] in req), "%s: %s required=%s" % (d["path"], f["name"], f["required"])
    assert all(k in req for k in d["key"]), "%s: key %s not all required" % (d["path"], d["key"])
assert set(by_res) == set(kibo), "descriptors for other resources: %s" % (set(by_res) - set(kibo))
print("kibo layouts: %d resources match" % len(kibo))
PY
  checks=$((checks + 1))
else
  echo "skip: $KIBO is absent; descriptors not compared with the Kibo layouts"
fi
# Every reference names a resource with a descriptor, with as many of the
# row's own fields as the target's key has parts.
python3 - "$WORK/descriptors.jsonl" <<'PY'
import json, sys
descs = {d["resource"]: d for d in map(json.loads, open(sys.argv[1]))}
for d in descs.values():
    names = {f["name"] for f in d["fields"]}
    for ref in d["refs"]:
        t = descs[ref["resource"]]
        assert len(ref["fields"]) == len(t["key"]), (d["path"], ref)
        assert set(ref["fields"]) <= names, (d["path"], ref)
PY
checks=$((checks + 1))

# --- the catalog group over the full generated catalog -----------------------------------
python3 "$GEN" "$WORK/catalog.zip" --full --products 400 --categories 12 --locations 7
python3 "$GEN" "$WORK/reverse.zip" --full --products 400 --categories 12 --locations 7 --reverse
python3 "$GEN" "$WORK/csv" --full --csv-only --products 400 --categories 12 --locations 7
expect_eq "reverse zip holds the entries in reverse order" \
  "$(unzip -Z1 "$WORK/catalog.zip" | tac | tr '\n' ' ')" "$(unzip -Z1 "$WORK/reverse.zip" | tr '\n' ' ')"
# Rows per resource as generated, counted from the CSV files themselves.
python3 - "$WORK/csv" >"$WORK/rows.tsv" <<'PY'
import csv, glob, os, sys
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.csv"))):
    with open(f, newline="", encoding="utf-8") as fh:
        print("%s\t%d" % (os.path.basename(f)[:-4], sum(1 for _ in csv.reader(fh)) - 1))
PY
expect_eq "29 resources generated" 29 "$(wc -l <"$WORK/rows.tsv")"
total=$(awk '{ s += $2 } END { print s }' "$WORK/rows.tsv")

# ProductImages refuses to run without a contextOverride naming the master
# catalog: the whole job ends before anything is written, saying so.
run_impex 4 --data "$WORK/noctx-data" import --group catalog "$WORK/catalog.zip" --json
expect_eq "no context: status" FAILED_WITH_VALIDATION_ERRORS "$(jq -r .status <<<"$OUT")"
expect_contains "no context: the reason" \
  "ProductImages needs a contextOverride with masterCatalog (import --context masterCatalog=" \
  "$(jq -r '.messages | join(" ")' <<<"$OUT")"
run_impex 0 --data "$WORK/noctx-data" count Products
expect_eq "no context: nothing written" 0 "$OUT"

run_impex 0 import --group catalog --context masterCatalog=Master "$WORK/catalog.zip" --json
job=$OUT
expect_eq "status" COMPLETED "$(jq -r .status <<<"$job")"
expect_eq "rows" "$total" "$(jq -r .rows <<<"$job")"
expect_eq "created" "$total" "$(jq -r .created <<<"$job")"
expect_eq "rejected" 0 "$(jq -r .rejected <<<"$job")"
expect_eq "no messages" "[]" "$(jq -c .messages <<<"$job")"
expect_eq "steps in group order" \
  "Attributes AttributeValues ProductTypes ProductTypeAttributes ProductTypeAttributeValues Categories CategoryImages SortDefinitions Images Products ProductPropertyLocale ProductCatalog ProductBundles ProductOptions ProductOptionsLocale ProductExtras ProductImages ProductRankings LocationTypes Locations LocationGroup LocationGroupConfiguration LocationGroupBoxTypeConfig LocationGroupCarrierConfig LocationInventory Pricelists PricelistEntries PricelistEntryPrices PricelistEntryExtras" \
  "$(jq -r '[.resources[].resource] | join(" ")' <<<"$job")"
while read -r res rows; do
  expect_eq "$res: step rows" "$rows" "$(jq -r --arg r "$res" '.resources[] | select(.resource == $r) | .rows' <<<"$job")"
  expect_eq "$res: step created" "$rows" "$(jq -r --arg r "$res" '.resources[] | select(.resource == $r) | .created' <<<"$job")"
  expect_eq "$res: step status" COMPLETED "$(jq -r --arg r "$res" '.resources[] | select(.resource == $r) | .status' <<<"$job")"
  run_impex 0 count "$res"
  expect_eq "$res: records stored" "$rows" "$OUT"
  "$IMPEX" dump "$res" >"$WORK/fwd-$res.jsonl"
done <"$WORK/rows.tsv"

# Columns with spaces and lists arrive as the file held them.
run_impex 0 get Locations LOC-007 --json
expect_eq "column with spaces" "Example Retail Inc." "$(jq -r '."Shipping Contact CompanyOrOrganization"' <<<"$OUT")"
expect_eq "list of location types" '["STORE","WH"]' "$(jq -c .LocationTypeCodes <<<"$OUT")"
expect_eq "decimal latitude" number "$(jq -r '.Latitude | type' <<<"$OUT")"
run_impex 0 get PricelistEntryPrices "BASE/P0000004/USD/2026-01-01T00:00:00Z/1" --json
expect_eq "tier key" 1 "$(jq -r .MinimumQuantity <<<"$OUT")"

# Every reference in the store resolves: the referenced fields of each record
# name a record of the target resource.
python3 - "$WORK/descriptors.jsonl" "$WORK" <<'PY'
import json, os, sys
descs = {d["resource"]: d for d in map(json.loads, open(sys.argv[1]))}
def load(res):
    with open(os.path.join(sys.argv[2], "fwd-%s.jsonl" % res)) as f:
        return [json.loads(l, parse_float=str, parse_int=str) for l in f]
keys = {r: {tuple(str(x[k]) for k in d["key"]) for x in load(r)} for r, d in descs.items()}
checked = 0
for r, d in descs.items():
    for ref in d["refs"]:
        for x in load(r):
            vals = [x.get(f) for f in ref["fields"]]
            if any(v in (None, "") for v in vals):
                continue
            assert tuple(map(str, vals)) in keys[ref["resource"]], (r, ref, vals)
            checked += 1
assert checked > 4000, checked  # about 12 per product
print("references resolved: %d" % checked)
PY
checks=$((checks + 1))

# The same zip with its entries in reverse order: the group's order decides,
# so the store is the same, record for record.
run_impex 0 --data "$WORK/reverse-data" import --group catalog --context masterCatalog=Master "$WORK/reverse.zip" --json
expect_eq "reverse: status" COMPLETED "$(jq -r .status <<<"$OUT")"
expect_eq "reverse: same step order" "$(jq -c '[.resources[].resource]' <<<"$job")" "$(jq -c '[.resources[].resource]' <<<"$OUT")"
while read -r res _; do
  "$IMPEX" --data "$WORK/reverse-data" dump "$res" >"$WORK/rev-$res.jsonl"
  cmp -s "$WORK/fwd-$res.jsonl" "$WORK/rev-$res.jsonl" || fail "$res: the reverse zip stored other records"
  checks=$((checks + 1))
done <"$WORK/rows.tsv"

# --- headers: a missing required column, an unknown one ----------------------------------
# zipdir DIR ZIP NAME...: a zip of the named CSV files of DIR.
zipdir() {
  local dir=$1 zip=$2
  shift 2
  rm -f "$zip"
  (cd "$dir" && zip -q "$zip" "$@")
}
mkdir -p "$WORK/h1" "$WORK/h2"
cp "$WORK/csv/Products.csv" "$WORK/h1/" && cp "$WORK/csv/Products.csv" "$WORK/h2/"
python3 - "$WORK/csv/Locations.csv" "$WORK/h1/Locations.csv" "$WORK/h2/Locations.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
drop = rows[0].index("Shipping Contact PhoneNumber")
with open(sys.argv[2], "w", newline="", encoding="utf-8") as f:
    csv.writer(f, lineterminator="\r\n").writerows([r[:drop] + r[drop + 1:] for r in rows])
with open(sys.argv[3], "w", newline="", encoding="utf-8") as f:
    csv.writer(f, lineterminator="\r\n").writerows(
        [rows[0] + ["Shipping Contact Fax"]] + [r + ["+1 555 0100"] for r in rows[1:]])
PY
zipdir "$WORK/h1" "$WORK/missing-column.zip" Products.csv Locations.csv
zipdir "$WORK/h2" "$WORK/extra-column.zip" Products.csv Locations.csv
run_impex 4 --data "$WORK/h1-data" import --group catalog --context masterCatalog=Master "$WORK/missing-column.zip" --json
expect_eq "missing column: status" FAILED_HEADERS "$(jq -r .status <<<"$OUT")"
expect_eq "missing column: named" \
  'Locations.csv: missing required column(s): "Shipping Contact PhoneNumber"' \
  "$(jq -r '.resources[] | select(.resource == "Locations") | .stateDetails' <<<"$OUT")"
run_impex 0 --data "$WORK/h1-data" count Products
expect_eq "missing column: nothing written" 0 "$OUT"
run_impex 4 --data "$WORK/h2-data" import --group catalog --context masterCatalog=Master "$WORK/extra-column.zip" --json
expect_eq "extra column: status" FAILED_HEADERS "$(jq -r .status <<<"$OUT")"
expect_eq "extra column: named" 'Locations.csv: unknown column(s): "Shipping Contact Fax"' \
  "$(jq -r '.resources[] | select(.resource == "Locations") | .stateDetails' <<<"$OUT")"
run_impex 0 --data "$WORK/h2-data" count Products
expect_eq "extra column: nothing written" 0 "$OUT"

# --- requires: the catalog group needs Products.csv ----------------------------------------
python3 "$GEN" "$WORK/no-products.zip" --full --products 20 --categories 3 --locations 2 --omit Products
run_impex 4 --data "$WORK/req-data" import --group catalog --context masterCatalog=Master "$WORK/no-products.zip" --json
expect_eq "requires: status" FAILED_WITH_VALIDATION_ERRORS "$(jq -r .status <<<"$OUT")"
expect_eq "requires: message" '["catalog: no entry for required step '"'products'"' (expected Products.csv)"]' \
  "$(jq -c .messages <<<"$OUT")"
expect_eq "requires: no step ran" 0 "$(jq -r .imported <<<"$OUT")"
run_impex 0 --data "$WORK/req-data" count Categories
expect_eq "requires: nothing written" 0 "$OUT"
run_impex 4 --data "$WORK/req-data" import --group inventory "$WORK/csv/Locations.csv" --json
expect_eq "inventory requires LocationInventory" \
  '["inventory: no entry for required step '"'location_inventory'"' (expected LocationInventory.csv)"]' \
  "$(jq -c .messages <<<"$OUT")"

# --- the smaller groups ------------------------------------------------------------------
# with_products NAME: stores the generated product types and products in the
# store of group NAME first: inventory and price list entries refer to products.
with_products() {
  zipdir "$WORK/csv" "$WORK/$1-products.zip" ProductTypes.csv Products.csv
  run_impex 0 --data "$WORK/$1-data" import --group catalog --context masterCatalog=Master "$WORK/$1-products.zip" --json
  expect_eq "$1: products stored first" COMPLETED "$(jq -r .status <<<"$OUT")"
}
# group NAME ENTRY...: imports a zip of those entries into a fresh store (but
# for what with_products put there) with group NAME and checks each
# resource's count against the generated rows.
group() {
  local name=$1
  shift
  zipdir "$WORK/csv" "$WORK/$name.zip" "${@/%/.csv}"
  run_impex 0 --data "$WORK/$name-data" import --group "$name" "$WORK/$name.zip" --json
  expect_eq "$name: status" COMPLETED "$(jq -r .status <<<"$OUT")"
  expect_eq "$name: steps" "$*" "$(jq -r '[.resources[].resource] | join(" ")' <<<"$OUT")"
  local res
  for res in "$@"; do
    run_impex 0 --data "$WORK/$name-data" count "$res"
    expect_eq "$name: $res stored" "$(awk -v r="$res" '$1 == r { print $2 }' "$WORK/rows.tsv")" "$OUT"
  done
}
group locations LocationTypes Locations LocationGroup LocationGroupConfiguration \
  LocationGroupBoxTypeConfig LocationGroupCarrierConfig
with_products inventory
group inventory LocationTypes Locations LocationInventory
with_products pricing
group pricing Pricelists PricelistEntries PricelistEntryPrices PricelistEntryExtras
done_ok
