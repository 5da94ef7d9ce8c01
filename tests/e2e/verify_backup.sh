#!/usr/bin/env bash
# impex backup makes a consistent copy while an import writes; impex verify
# reads every entry of every database and reports damage (flipped bytes on
# store pages) with a non-zero exit, never crashing or hanging itself, even
# when LMDB's reader dies on a damaged page; restoring the backup and
# resuming gives back a sound store with the same records.
source "$(dirname "$0")/lib/common.sh"

python3 "$GEN" "$WORK/small.zip" --products 2000 --categories 10
python3 "$GEN" "$WORK/big.zip" --products 60000 --categories 10 --seed 7
run_impex 0 import --group catalog "$WORK/small.zip"
run_impex 0 verify
expect_contains "intact store is sound" "the store is sound" "$OUT"
expect_contains "records counted" "r:Products" "$OUT"

# A backup while another tenant's import writes.
"$IMPEX" --tenant other import --group catalog "$WORK/big.zip" >"$WORK/bg.out" 2>&1 &
bg=$!
for _ in $(seq 50); do
  n=$("$IMPEX" --tenant other count Products)
  [ "$n" -gt 0 ] && break
  sleep 0.1
done
run_impex 0 backup "$WORK/backup"
wait "$bg" || fail "the import beside the backup failed: $(cat "$WORK/bg.out")"
# Whether the copy caught the other import midway (the usual case).
during=$("$IMPEX" --data "$WORK/backup" --tenant other jobs --json | jq -r '.[0].status')
echo "the backup holds the other import as: $during"
run_impex 2 backup "$WORK/backup" # not empty: refused
run_impex 0 --data "$WORK/backup" verify
run_impex 0 --data "$WORK/backup" count Products
expect_eq "backup holds the first import" 2000 "$OUT"

# Damaged copies: flip bytes on several pages of a copy of data.mdb.
store=$WORK/data/store/data.mdb
pages=$(( $(stat -c %s "$store") / 4096 ))
damaged=0
crashed=0
trials=40
for t in $(seq $trials); do
  rm -rf "$WORK/bad"
  mkdir -p "$WORK/bad/store"
  cp "$store" "$WORK/bad/store/data.mdb"
  python3 - "$WORK/bad/store/data.mdb" "$t" "$pages" <<'PY'
import random, sys
path, seed, pages = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
with open(path, "r+b") as f:
    for page in rnd.sample(range(2, pages), min(6, pages - 2)):  # pages 0, 1 are the meta pages
        for _ in range(4):
            off = page * 4096 + rnd.randrange(0, 64)
            f.seek(off)
            b = f.read(1)
            f.seek(off)
            f.write(bytes([b[0] ^ (1 << rnd.randrange(8))]))
PY
  set +e
  timeout 60 "$IMPEX" --data "$WORK/bad" verify >"$WORK/v.out" 2>"$WORK/v.err"
  rc=$?
  set -e
  [ "$rc" != 124 ] || fail "verify hung on damaged copy $t"
  [ "$rc" -lt 128 ] || fail "verify died by signal $((rc - 128)) on damaged copy $t"
  grep -q "crashed on signal" "$WORK/v.err" && crashed=$((crashed + 1))
  if [ "$rc" != 0 ]; then
    expect_eq "damage exits 1 (copy $t)" 1 "$rc"
    expect_contains "damage is named (copy $t)" "the store is damaged" "$(cat "$WORK/v.err")"
    damaged=$((damaged + 1))
  fi
  # The plain read commands may fail or even crash on damage, but never hang.
  for cmd in "count Products" "dump Products" "get Products Master/P0000001" "jobs"; do
    set +e
    # shellcheck disable=SC2086
    timeout 60 "$IMPEX" --data "$WORK/bad" $cmd >/dev/null 2>&1
    rc=$?
    set -e
    [ "$rc" != 124 ] || fail "impex $cmd hung on damaged copy $t"
  done
done
echo "damage reported on $damaged of $trials copies ($crashed where the reader crashed)"
[ $((damaged * 10)) -ge $((trials * 8)) ] || fail "damage found on only $damaged of $trials copies"
checks=$((checks + 1))

# Restore: stop imports (none run), put the backup in place, verify, resume.
run_impex 0 count Products
before=$OUT
rm -f "$WORK/data/store/lock.mdb"
cp "$WORK/backup/store/data.mdb" "$store"
run_impex 0 verify
run_impex 0 count Products
expect_eq "records of the first import after restore" "$before" "$OUT"
if [ "$during" != COMPLETED ]; then
  run_impex 0 --tenant other resume --json # finishes what the copy caught midway
fi
run_impex 0 --tenant other count Products
expect_eq "the other import complete after resume" 60000 "$OUT"
run_impex 0 verify
done_ok
