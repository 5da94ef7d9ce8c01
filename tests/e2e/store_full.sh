#!/usr/bin/env bash
# When the store refuses a commit (here: the LMDB map is full), the import
# stops with a clear error, the committed batches stay, the job stays
# resumable, and a resume with room finishes it exactly.
source "$(dirname "$0")/lib/common.sh"

python3 "$GEN" "$WORK/catalog.zip" --products 20000 --categories 5
IMPEX_MAP_SIZE=2000000 run_impex 1 import --group catalog "$WORK/catalog.zip"
expect_contains "store failure named" "the store is full" "$ERR"
run_impex 0 job 1 --json
expect_eq "job left resumable" IMPORTING "$(jq -r .status <<<"$OUT")"
expect_contains "message tells what to do" "impex resume 1" "$(jq -r '.messages | join(" ")' <<<"$OUT")"
committed=$(jq -r .imported <<<"$OUT")
[ "$committed" -gt 0 ] && [ "$committed" -lt 20006 ] || fail "committed $committed rows before the store filled"
checks=$((checks + 1))
run_impex 0 count Products
# 1 product type and 5 categories come before the products.
expect_eq "committed batches intact" "$committed" "$(( OUT + 6 ))"

run_impex 0 resume 1 --json
expect_eq "resumed to completion" COMPLETED "$(jq -r .status <<<"$OUT")"
expect_eq "the store-failure message is gone" "" "$(jq -r '.messages[] | select(startswith("store failure"))' <<<"$OUT")"
expect_eq "every row once" "20006 20006 0" "$(jq -r '"\(.rows) \(.imported) \(.rejected)"' <<<"$OUT")"
run_impex 0 count Products
expect_eq "all products" 20000 "$OUT"
done_ok
