#!/usr/bin/env bash
# CSV dialects as merchants send them: Excel "CSV (semicolon)" in
# Windows-1252, Excel "Unicode text" (UTF-16LE, BOM, tabs), UTF-16BE without
# a BOM, ISO-8859-1, pipes, another quote; the same through the import's
# --delimiter/--quote/--encoding; the hints a wrong dialect gets; list values
# with a separator and escapes; bytes invalid in the encoding; and a UTF-16
# import SIGKILLed again and again that ends identical to an uninterrupted one.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS
KILLS=${DIALECT_KILLS:-8}

python3 - "$WORK" <<'PY'
import sys
w = sys.argv[1]
def put(name, text, enc, bom=b""):
    with open(w + "/" + name, "wb") as f:
        f.write(bom + text.encode(enc))
# Excel "CSV (semicolon)": Windows-1252, CRLF, a multi-line quoted cell.
put("semicolon.csv", 'Code;Name;Size;Tags;Colors\r\n'
    'A1;Schuh;Größe 42;a, b\\, c, d\\\\e;"red\rblue"\r\n'
    'A2;"Süß; €";M;;\r\n', "cp1252")
# Excel "Unicode text": UTF-16LE with a BOM, tab-separated.
put("unicode.txt", 'Code\tName\tSize\r\nU1\tGrüße 😀\tXL\r\nU2\t"a\ttab"\tS\r\n', "utf-16-le", b"\xff\xfe")
put("be.csv", 'Code,Name\nB1,Ärger\nB2,𝄞 clef\n', "utf-16-be")
put("latin.csv", 'Code,Name\nL1,Ça coûte 5¤\n', "latin-1")
put("pipe.csv", 'Code|Name|Tags\nP1|a,b|x, y\n', "utf-8")
put("quote.csv", "Code,Name\nQ1,'it''s, quoted'\nQ2,say \"hi\"\n", "utf-8")
# The same layouts through the plain (comma, UTF-8) descriptor and overrides.
put("plain-semicolon.csv", 'Code;Name\r\nS1;Größe\r\n', "cp1252")
put("plain-tab.csv", "Code\tName\nT1\t'a\tb'\n", "utf-8")
put("plain-utf16.csv", 'Code,Name\r\nW1,wide\r\n', "utf-16-le")
put("plain-cp1252.csv", 'Code,Name,Größe\r\nX1,a,b\r\n', "cp1252")
# 0x81 is undefined in Windows-1252: that row is rejected, the others kept.
with open(w + "/semicolon-bad.csv", "wb") as f:
    f.write("Code;Name\r\nZ1;ok\r\nZ2;bad".encode("cp1252") + b"\x81" + "x\r\nZ3;€\r\n".encode("cp1252"))
# A big UTF-16BE file without BOM; its descriptor says "utf-16" (= LE
# without a BOM), so only the import's --encoding reads it right.
rows = ["Code\tDelta\tName"] + ["C%05d\t%d\tGrüße 😀 € %d" % (i % 20000, i % 7 + 1, i) for i in range(60000)]
put("counter-big.txt", "\r\n".join(rows) + "\r\n", "utf-16-be")
PY

get() { "$IMPEX" get "$1" "$2" --json; }
status() { jq -r .status <<<"$OUT"; }
message() { jq -r '.messages[0]' <<<"$OUT"; }

# --- one descriptor per dialect ---------------------------------------------------
run_impex 0 import --group dialects-semicolon "$WORK/semicolon.csv" --json
expect_eq "semicolon: imported" 2 "$(jq -r .imported <<<"$OUT")"
expect_eq "semicolon: Windows-1252 comes back as UTF-8" "Größe 42" "$(get Words A1 | jq -r .Size)"
expect_eq "semicolon: quoted delimiter and the euro sign" "Süß; €" "$(get Words A2 | jq -r .Name)"
expect_eq "multi with a separator and escapes" '["a","b, c","d\\e"]' "$(get Words A1 | jq -c .Tags)"
expect_eq "multi = true stays CR-separated" '["red","blue"]' "$(get Words A1 | jq -c .Colors)"

run_impex 0 import --group dialects-unicode "$WORK/unicode.txt" --json
expect_eq "Unicode text: status" COMPLETED "$(status)"
expect_eq "Unicode text: value" "Grüße 😀" "$(get Words U1 | jq -r .Name)"
expect_eq "Unicode text: a quoted tab" "a	tab" "$(get Words U2 | jq -r .Name)"

run_impex 0 import --group dialects-be "$WORK/be.csv"
expect_eq "UTF-16BE without BOM" "Ärger" "$(get Words B1 | jq -r .Name)"
expect_eq "UTF-16BE: a code point above U+FFFF" "𝄞 clef" "$(get Words B2 | jq -r .Name)"
run_impex 0 import --group dialects-latin "$WORK/latin.csv"
expect_eq "ISO-8859-1" "Ça coûte 5¤" "$(get Words L1 | jq -r .Name)"
run_impex 0 import --group dialects-pipe "$WORK/pipe.csv"
expect_eq "pipe: a comma is text" "a,b" "$(get Words P1 | jq -r .Name)"
expect_eq "pipe: list" '["x","y"]' "$(get Words P1 | jq -c .Tags)"
run_impex 0 import --group dialects-quote "$WORK/quote.csv"
expect_eq "quote ': doubled and a comma inside" "it's, quoted" "$(get Words Q1 | jq -r .Name)"
expect_eq "quote ': a double quote is text" 'say "hi"' "$(get Words Q2 | jq -r .Name)"

# --- hints when the header does not fit -----------------------------------------
run_impex 4 import --group dialects-plain "$WORK/plain-semicolon.csv" --json
expect_eq "wrong delimiter: status" FAILED_HEADERS "$(status)"
expect_contains "wrong delimiter: hint" "the header looks semicolon-separated: set delimiter = ';' (or --delimiter ';')" "$(message)"
run_impex 4 import --group dialects-plain "$WORK/plain-tab.csv" --json
expect_contains "tab hint" "the header looks tab-separated: set delimiter = '\\t' (or --delimiter tab)" "$(message)"
run_impex 4 import --group dialects-plain "$WORK/plain-utf16.csv" --json
expect_contains "UTF-16 without BOM: hint" 'the file looks UTF-16LE encoded: set encoding = "utf-16le"' "$(message)"
run_impex 4 import --group dialects-plain "$WORK/plain-cp1252.csv" --json
expect_contains "Windows-1252 header: the column" 'unknown column(s): "Gr\xF6\xDFe"' "$(message)"
expect_contains "Windows-1252 header: hint" 'the header is not UTF-8; it looks Windows-1252: set encoding = "windows-1252"' "$(message)"

# --- the import's overrides ---------------------------------------------------------
run_impex 0 import --group dialects-plain "$WORK/plain-semicolon.csv" --delimiter semicolon --encoding windows-1252 --json
expect_eq "override: stored on the job" '; windows-1252' "$(jq -r '"\(.delimiter) \(.encoding)"' <<<"$OUT")"
expect_eq "override: value" "Größe" "$(get Words S1 | jq -r .Name)"
run_impex 0 import --group dialects-plain "$WORK/plain-tab.csv" --delimiter tab --quote "'" --json
expect_eq "override tab and quote" "a	b" "$(get Words T1 | jq -r .Name)"
run_impex 0 import --group dialects-plain "$WORK/plain-utf16.csv" --encoding utf-16le
expect_eq "override encoding" wide "$(get Words W1 | jq -r .Name)"
run_impex 2 import --group dialects-plain "$WORK/plain-tab.csv" --delimiter x
expect_contains "bad delimiter" "unknown delimiter 'x'" "$ERR"
run_impex 2 import --group dialects-plain "$WORK/plain-tab.csv" --encoding latin9
expect_contains "bad encoding" "unknown encoding 'latin9'" "$ERR"
run_impex 2 import --group dialects-plain "$WORK/plain-tab.csv" --delimiter ';' --quote ';'
expect_contains "quote = delimiter" "quote must be one character, not a line end nor the delimiter" "$ERR"

# --- descriptor keys that are wrong fail loudly, naming the key --------------------------
mkdir -p "$WORK/scripts/descriptors/bad"
bad_descriptor() {  # KEYS... : a descriptor with these extra keys, imported
  printf 'return { resource = "Words", entry = "*.csv", key = "Code", %s }\n' "$1" \
    >"$WORK/scripts/descriptors/bad/bad.lua"
  echo 'return { steps = { "bad" } }' >"$WORK/scripts/descriptors/bad/bad.group.lua"
  run_impex 4 --scripts "$WORK/scripts" import --group bad "$WORK/pipe.csv" --json
}
bad_descriptor 'delimiter = ":", fields = { { "Code" } }'
expect_contains "bad delimiter key" "'delimiter' must be one of \",\", \";\", \"\\t\", \"|\"" "$(message)"
bad_descriptor 'encoding = "ebcdic", fields = { { "Code" } }'
expect_contains "bad encoding key" "'encoding' must be one of" "$(message)"
bad_descriptor 'fields = { { "Code" }, { "T", multi = true, escape = "\\\\" } }'
expect_contains "escape without a separator" "field 'T': 'escape' needs multi = \"<separator>\"" "$(message)"

# --- bytes invalid in the encoding: the row is rejected, named -------------------------
run_impex 3 import --group dialects-semicolon "$WORK/semicolon-bad.csv" --json
id=$(jq -r .id <<<"$OUT")
expect_eq "invalid byte: counts" "2 1" "$(jq -r '"\(.imported) \(.rejected)"' <<<"$OUT")"
run_impex 0 errors "$id"
expect_contains "invalid byte: row, column, reason" 'semicolon-bad.csv,3,3,Name,' "$OUT"
expect_contains "invalid byte: reason" 'a byte that windows-1252 leaves undefined at character 4 of the value' "$OUT"
expect_eq "the row after it" "€" "$(get Words Z3 | jq -r .Name)"
# The replay holds the rows as read: UTF-8, comma-separated, the marker byte kept.
"$IMPEX" errors "$id" --replay >"$WORK/semicolon-replay.csv"
expect_eq "replay bytes" "$(printf 'Code,Name\r\nZ2,bad\377x\r\n' | od -An -c)" "$(od -An -c "$WORK/semicolon-replay.csv")"
run_impex 3 import --group dialects-semicolon "$WORK/semicolon-replay.csv" --delimiter comma --encoding utf-8 --json
expect_eq "replay re-imported: the row rejected again" "0 1" "$(jq -r '"\(.imported) \(.rejected)"' <<<"$OUT")"

# --- SIGKILL while importing a big UTF-16 file, then resume ---------------------------
for d in ref crash; do mkdir -p "$WORK/$d"; done
t0=$(date +%s%N)
IMPEX_DATA=$WORK/ref "$IMPEX" import --group dialects-counter "$WORK/counter-big.txt" --encoding utf-16be >/dev/null
ref_ms=$((($(date +%s%N) - t0) / 1000000))
# Killed at random moments, then `impex resume`, until the job completes;
# a kill counts as mid-file when the checkpoint it left is inside the file.
kills=0
mid=0
args=(import --group dialects-counter "$WORK/counter-big.txt" --encoding utf-16be)
for _ in $(seq 60); do
  IMPEX_DATA=$WORK/crash "$IMPEX" "${args[@]}" >"$WORK/run.log" 2>&1 &
  pid=$!
  if [ "$kills" -lt "$KILLS" ]; then
    # At 10 to 30 % of an uninterrupted run (at least 0.2 s), so that a
    # loaded machine moves the kills with it; no process started to draw it.
    ms=$((ref_ms * (RANDOM % 21 + 10) / 100))
    [ "$ms" -ge 200 ] || ms=200
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
    kill -9 "$pid" 2>/dev/null || true
  fi
  set +e
  wait "$pid"
  rc=$?
  set -e
  if [ "$rc" -eq 137 ]; then
    kills=$((kills + 1))
  elif [ "$rc" -ne 0 ]; then
    cat "$WORK/run.log"
    fail "impex ${args[*]} exited $rc"
  fi
  # Killed before the job existed: start it again.
  IMPEX_DATA=$WORK/crash "$IMPEX" job 1 --json >"$WORK/job.json" 2>/dev/null || continue
  [ "$(jq -r .isComplete "$WORK/job.json")" == true ] && break
  [ "$(jq -r .checkpoint.row "$WORK/job.json")" -gt 1 ] && mid=$((mid + 1))
  args=(resume)
done
echo "uninterrupted: $ref_ms ms; killed $kills times, $mid of them mid-file"
[ "$mid" -ge 3 ] || fail "only $mid of $kills kills landed mid-file"
job=$(IMPEX_DATA=$WORK/crash "$IMPEX" job 1 --json)
expect_eq "resumed job: status and counts" "COMPLETED 60000 0" "$(jq -r '"\(.status) \(.imported) \(.rejected)"' <<<"$job")"
expect_eq "the override survived the resumes" utf-16be "$(jq -r .encoding <<<"$job")"
IMPEX_DATA=$WORK/ref "$IMPEX" dump Counters >"$WORK/ref.dump"
IMPEX_DATA=$WORK/crash "$IMPEX" dump Counters >"$WORK/crash.dump"
expect_eq "records" 20000 "$(wc -l <"$WORK/crash.dump")"
cmp -s "$WORK/ref.dump" "$WORK/crash.dump" || fail "store after kills differs from the uninterrupted run"
checks=$((checks + 1))
want=$(python3 -c 'print(sum(i % 7 + 1 for i in range(42, 60000, 20000)))')
expect_eq "a count: every row applied once" "$want" \
  "$(IMPEX_DATA=$WORK/crash "$IMPEX" get Counters C00042 --json | jq -r .Count)"
expect_eq "a name" "Grüße 😀 € 40042" "$(IMPEX_DATA=$WORK/crash "$IMPEX" get Counters C00042 --json | jq -r .Name)"

done_ok
