#!/usr/bin/env bash
# XML feeds: a BMEcat catalog (header values inherited, CDATA, attributes,
# predicates, lists, two resources from one file), an RSS feed with Google's
# namespace under two prefixes, the CSV twin of the catalog, rejected records
# located by record and line, the hostile XML files, a SIGKILLed import that
# resumes exactly, and flat memory.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS
XML=$IMPEX_SOURCE_ROOT/tests/data/xml
cp "$XML"/*.xml "$WORK/"

# --- BMEcat: articles and their catalog-group links from one file -----------------
run_impex 3 import --group xml-bmecat "$WORK/bmecat.xml" --json
JOB=$OUT
expect_eq "steps: one per descriptor over the same entry" \
  "SupplierArticles bmecat.xml 5 2 3|ArticleGroupLinks bmecat.xml 3 3 0" \
  "$(jq -r '[.resources[] | "\(.resource) \(.entry) \(.rows) \(.imported) \(.rejected)"] | join("|")' <<<"$JOB")"
run_impex 0 get SupplierArticles ACME-2026/A-100 --json
expect_eq "article: header values, CDATA, attribute, predicate, lists" \
  '{"CatalogId":"ACME-2026","Currency":"EUR","SupplierAid":"A-100","Mode":"new","Description":"Hammer <steel> & \"wood\"","Ean":"0012345678905","NetPrice":12.50,"ListPrice":14.90,"Weight":0.750,"WeightUnit":"KGM","Keywords":["tools","hammer","Stahl & Holz"],"Images":["a100-front.jpg","a100-side.jpg"]}' \
  "$OUT"
run_impex 0 get SupplierArticles ACME-2026/A-200 --json
expect_eq "spaces kept as written, UTF-8" "  Schraubendreher, Größe 2  " "$(jq -r .Description <<<"$OUT")"
expect_eq "absent elements store nothing" "[false,false]" "$(jq -c '[has("ListPrice"), has("WeightUnit")]' <<<"$OUT")"
run_impex 0 dump ArticleGroupLinks
expect_eq "group links from the same file" \
  '{"CatalogId":"ACME-2026","SupplierAid":"A-100","GroupId":"HAMMERS","Position":2}
{"CatalogId":"ACME-2026","SupplierAid":"A-100","GroupId":"TOOLS","Position":1}
{"CatalogId":"ACME-2026","SupplierAid":"A-200","GroupId":"TOOLS"}' "$OUT"

# Rejected records: row = record + 1 (row 1 is the field names), the line of
# the record's start element, the field as the column.
run_impex 0 errors "$(jq -r .id <<<"$JOB")"
expect_contains "repeated element" \
  $'bmecat.xml,4,48,Description,"Zange\rPliers",field Description: element repeated (declare the field multi = true to keep a list),ACME-2026,EUR,A-300' "$OUT"
expect_contains "a declared entity is not expanded" \
  "bmecat.xml,5,56,Description,Made by ,field Description: entity &vendor; is not expanded (entities declared in a DTD never are),ACME-2026,EUR,A-400" "$OUT"
expect_contains "field rule on an element" \
  "bmecat.xml,6,62,Ean,12345,'12345' does not match the pattern [0-9]{13},ACME-2026,EUR,A-500" "$OUT"
# The replay is CSV under the field names (an XML replay is not written).
run_impex 0 errors "$(jq -r .id <<<"$JOB")" --replay
expect_eq "replay header" "CatalogId,Currency,SupplierAid,Mode,Description,Ean,NetPrice,ListPrice,Weight,WeightUnit,Keywords,Images" "$(head -1 <<<"$OUT" | tr -d '\r')"
expect_contains "replay row" "ACME-2026,EUR,A-500,,,12345,,,,,," "$OUT"

# --- twins: the catalog as CSV gives the same store ---------------------------------
python3 - "$WORK/bmecat-twin.csv" <<'PY'
import csv, sys
rows = [
    ["CatalogId", "Currency", "SupplierAid", "Mode", "Description", "Ean", "NetPrice", "ListPrice",
     "Weight", "WeightUnit", "Keywords", "Images"],
    ["ACME-2026", "EUR", "A-100", "new", 'Hammer <steel> & "wood"', "0012345678905", "12.50", "14.90",
     "0.750", "KGM", "tools\rhammer\rStahl & Holz", "a100-front.jpg\ra100-side.jpg"],
    ["ACME-2026", "EUR", "A-200", "update", "  Schraubendreher, Größe 2  ", "4006381333931", "3.20", "",
     "", "", "tools", "a200.jpg"],
    ["ACME-2026", "EUR", "A-500", "", "", "12345", "", "", "", "", "", ""],
]
with open(sys.argv[1], "w", newline="", encoding="utf-8") as f:
    csv.writer(f).writerows(rows)
PY
IMPEX_DATA=$WORK/twin "$IMPEX" import --group xml-twin-csv "$WORK/bmecat-twin.csv" >/dev/null || [ $? == 3 ]
run_impex 0 dump SupplierArticles
expect_eq "CSV and XML twins store the same records" "$OUT" "$(IMPEX_DATA=$WORK/twin "$IMPEX" dump SupplierArticles)"

# --- RSS 2.0 with the g: namespace, under any prefix ---------------------------------
run_impex 3 import --group xml-feed "$WORK/feed.xml" --json
expect_eq "feed counts" "3 2 1" "$(jq -r '"\(.rows) \(.imported) \(.rejected)"' <<<"$OUT")"
run_impex 0 get FeedProducts SKU-1 --json
expect_eq "feed item" \
  '{"Id":"SKU-1","Channel":"ACME Shop","Title":"Red Shoe","Link":"https://shop.example/p/1","PriceAmount":19.99,"PriceCurrency":"EUR","Availability":"in stock","ImageLink":"https://img.example/1.jpg","AdditionalImages":["https://img.example/1b.jpg","https://img.example/1c.jpg"]}' \
  "$OUT"
run_impex 0 get FeedProducts SKU-2 --json
expect_eq "an element of another namespace is not g:id" "SKU-2 5 USD" "$(jq -r '"\(.Id) \(.PriceAmount) \(.PriceCurrency)"' <<<"$OUT")"
run_impex 0 dump FeedProducts
FEED_DUMP=$OUT
set +e
IMPEX_DATA=$WORK/prefix "$IMPEX" import --group xml-feed "$WORK/feed-prefix.xml" --json >"$WORK/prefix.json"
rc=$?
set -e
expect_eq "other prefix: exit" 3 "$rc"
expect_eq "other prefix: same records" "$FEED_DUMP" "$(IMPEX_DATA=$WORK/prefix "$IMPEX" dump FeedProducts)"
IMPEX_DATA=$WORK/prefix run_impex 0 errors "$(jq -r .id "$WORK/prefix.json")"
expect_contains "validate rejects the bad price" "feed-prefix.xml,4,23,,,g:price must be an amount and a currency code,SKU-3" "$OUT"

# --- a default namespace ([""] in namespaces), xml:lang, a Latin-1 file ------------
printf '<?xml version="1.0" encoding="ISO-8859-1"?>\n<BMECAT xmlns="http://www.bmecat.org/bmecat/2005"><HEADER><CATALOG><LANGUAGE>deu</LANGUAGE></CATALOG></HEADER><T_NEW_CATALOG><PRODUCT><SUPPLIER_PID>P-\xe4</SUPPLIER_PID><PRODUCT_DETAILS><DESCRIPTION_SHORT xml:lang="deu">Gr\xf6\xdfe</DESCRIPTION_SHORT><DESCRIPTION_SHORT xml:lang="eng">Size</DESCRIPTION_SHORT></PRODUCT_DETAILS></PRODUCT><SUPPLIER_PID xmlns="">no namespace</SUPPLIER_PID></T_NEW_CATALOG></BMECAT>\n' >"$WORK/bmecat2005.xml"
run_impex 0 import --group xml-bmecat2005 "$WORK/bmecat2005.xml"
run_impex 0 dump Products2005
expect_eq "default namespace, predicate on xml:lang, Latin-1 as UTF-8" '{"SupplierPid":"P-ä","Language":"deu","Title":"Size"}' "$OUT"

# --- descriptors: xml keys are checked when they load -------------------------------
printf 'Code\nA\n' >"$WORK/bad.csv"
run_impex 4 import --group xml-bad-path "$WORK/bad.csv" --json
expect_eq "path refused for csv" "descriptors/xml/bad-path.lua: field 'Code': 'path' only applies to format = \"xml\"" "$(jq -r '.messages[0]' <<<"$OUT")"
cp "$WORK/feed.xml" "$WORK/bad.xml"
run_impex 4 import --group xml-bad-prefix "$WORK/bad.xml" --json
expect_eq "undeclared prefix" "descriptors/xml/bad-prefix.lua: field 'Code': path 'g:id': prefix 'g' is not declared in namespaces" "$(jq -r '.messages[0]' <<<"$OUT")"

# --- hostile files -----------------------------------------------------------------
H=$CORPORA/hostile
export IMPEX_DATA=$WORK/hostile
# The entity is never expanded, the file never read: the record is rejected.
# (LeakSanitizer cannot run under ptrace: leaks are checked by every other run.)
trace() {
  if command -v strace >/dev/null; then
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
      strace -f -qq -e trace=open,openat,connect -o "$WORK/trace" "$@"
  else
    "$@"
  fi
}
cp "$H/xxe-file.xml" "$WORK/"
set +e
trace "$IMPEX" import --group xml-hostile "$WORK/xxe-file.xml" --json >"$WORK/out"
rc=$?
set -e
expect_eq "xxe-file: exit" 3 "$rc"
run_impex 0 errors "$(jq -r .id "$WORK/out")"
expect_contains "xxe-file: rejected, named" "xxe-file.xml,2,3,ProductName,,field ProductName: entity &xxe; is not expanded" "$OUT"
if [ -f "$WORK/trace" ]; then
  grep -q passwd "$WORK/trace" && fail "xxe-file: /etc/passwd was opened"
  checks=$((checks + 1))
fi
run_impex 0 dump HostileProducts
case "$OUT" in *root:*) fail "xxe-file: the file's content reached the store" ;; esac
# No network: the external DTD (here at a port we listen on) is never fetched.
PORT_FILE=$WORK/port
python3 - "$PORT_FILE" "$WORK/connections" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(5)
s.settimeout(15)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
n = 0
try:
    while True:
        c, _ = s.accept()
        n += 1
        c.close()
        open(sys.argv[2], "w").write(str(n))
except socket.timeout:
    pass
PY
LISTENER=$!
for _ in $(seq 100); do [ -f "$PORT_FILE" ] && break; sleep 0.05; done
sed "s/127.0.0.1:9/127.0.0.1:$(cat "$PORT_FILE")/" "$H/xxe-network.xml" >"$WORK/xxe-network.xml"
trace "$IMPEX" import --group xml-hostile "$WORK/xxe-network.xml" --json >"$WORK/out"
expect_eq "xxe-network: imported without its DTD" COMPLETED "$(jq -r .status "$WORK/out")"
[ -f "$WORK/connections" ] && fail "xxe-network: the external DTD was fetched"
if [ -f "$WORK/trace" ]; then
  grep -q 'connect(' "$WORK/trace" && fail "xxe-network: a connection was attempted"
  checks=$((checks + 1))
fi
kill "$LISTENER" 2>/dev/null || true
wait "$LISTENER" 2>/dev/null || true
run_impex 0 get HostileProducts X-2 --json
expect_eq "xxe-network: record" '{"ProductCode":"X-2"}' "$OUT"
# Billion laughs: stopped fast, in little memory, with a clear message.
cp "$H/billion-laughs.xml" "$WORK/"
start=$(date +%s%N)
run_impex 4 import --group xml-hostile "$WORK/billion-laughs.xml" --json
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "billion laughs: status" FAILED_WITH_VALIDATION_ERRORS "$(jq -r .status <<<"$OUT")"
expect_contains "billion laughs: message" "billion-laughs.xml: line 14: entity expansion limit exceeded" "$(jq -r '.messages[0]' <<<"$OUT")"
[ "$ms" -lt 5000 ] || fail "billion laughs took $ms ms"
cp "$H/malformed.xml" "$WORK/"
run_impex 4 import --group xml-hostile "$WORK/malformed.xml" --json
expect_eq "malformed: located" "malformed.xml: line 2: not well-formed XML: column 66: expected '>'" "$(jq -r '.messages[0]' <<<"$OUT")"
python3 -c "print('<a>' * 300 + '</a>' * 300)" >"$WORK/deep.xml"
run_impex 4 import --group xml-hostile "$WORK/deep.xml" --json
expect_eq "depth limit" "deep.xml: line 1: elements nested deeper than 256 levels" "$(jq -r '.messages[0]' <<<"$OUT")"

# --- a malformed tail keeps every record before it ---------------------------------
export IMPEX_DATA=$WORK/tail
python3 - "$WORK/items-tail.xml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('<feed batch="T">\n')
    for i in range(1000):
        f.write('<item code="T%04d"><name>n%d</name></item>\n' % (i, i))
    f.write('<item code="BAD"><name>x</nam></item>\n')
PY
run_impex 4 import --group xml-resume "$WORK/items-tail.xml" --json
expect_eq "malformed tail: status" FAILED_WITH_VALIDATION_ERRORS "$(jq -r .status <<<"$OUT")"
expect_eq "malformed tail: message" "items-tail.xml: line 1002: not well-formed XML: column 31: Opening and ending tag mismatch: name line 1002 and nam" "$(jq -r '.messages[0]' <<<"$OUT")"
# The parser reads ahead of the records handed out by at most 256 bytes:
# records that end in that stretch before the error are not imported.
run_impex 0 count ResumeItems
[ "$OUT" -ge 990 ] && [ "$OUT" -le 1000 ] || fail "malformed tail: $OUT records kept, expected 990 to 1000"
checks=$((checks + 1))
run_impex 0 get ResumeItems T0989 --json
expect_eq "malformed tail: a record before it" '{"Code":"T0989","Header":"T","Name":"n989","Applied":1}' "$OUT"

# --- SIGKILL mid-file, resume: the same store as an uninterrupted run --------------
RECORDS=${XML_RECORDS:-50000}
KILLS=${XML_KILLS:-5}
python3 - "$WORK/items-big.xml" "$RECORDS" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('<?xml version="1.0"?>\n<feed batch="B7">\n')
    for i in range(int(sys.argv[2])):
        bad = "x" if i % 997 == 0 else ""  # every 997th record is rejected (qty not an int)
        f.write('  <item code="C%07d">\n    <name>Item %d &amp; <![CDATA[<co>]]></name>\n'
                '    <qty>%s%d</qty>\n    <tag>t%d</tag><tag>u%d</tag>\n  </item>\n'
                % (i, i, bad, i % 97, i % 5, i % 7))
    f.write('</feed>\n')
PY
export IMPEX_DATA=$WORK/crash
kills=0 njobs=0
while [ "$kills" -lt "$KILLS" ] && [ "$njobs" -lt 20 ]; do
  # A new job, then kill/resume until it completes.
  args=(import --group xml-resume "$WORK/items-big.xml")
  tries=0 njobs=$((njobs + 1))
  while :; do
    "$IMPEX" "${args[@]}" >"$WORK/run.log" 2>&1 &
    pid=$!
    tries=$((tries + 1))
    if [ "$tries" -lt 12 ]; then
      sleep "0.$(printf '%03d' $((RANDOM % 450 + 50)))"  # 0.05 to 0.5 s, no interpreter start
      kill -9 "$pid" 2>/dev/null || true
    fi
    set +e
    wait "$pid"
    rc=$?
    set -e
    if [ "$rc" -eq 137 ]; then
      kills=$((kills + 1))
    elif [ "$rc" -ne 3 ]; then
      cat "$WORK/run.log"
      fail "impex ${args[*]} exited $rc"
    fi
    pending=$("$IMPEX" jobs --json | jq '[.[] | select(.isComplete | not)] | length')
    [ "$pending" -eq 0 ] && break
    args=(resume)
  done
done
echo "  killed $kills times over $njobs jobs"
[ "$kills" -gt 0 ] || fail "every import finished before its kill"
# The same jobs uninterrupted, the first with its anonymous memory sampled.
export IMPEX_DATA=$WORK/ref
for j in $(seq "$njobs"); do
  "$IMPEX" import --group xml-resume "$WORK/items-big.xml" >/dev/null 2>&1 &
  pid=$! peak=0
  while kill -0 "$pid" 2>/dev/null; do
    v=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
    sleep 0.005
  done
  set +e
  wait "$pid"
  rc=$?
  set -e
  expect_eq "uninterrupted: exit" 3 "$rc"
  if [ "$j" == 1 ] && [ -z "${ASAN_OPTIONS:-}${TSAN_OPTIONS:-}" ]; then
    [ $((peak / 1024)) -lt 48 ] || fail "$RECORDS records: $((peak / 1024)) MiB anonymous, over 48 MiB"
    checks=$((checks + 1))
    echo "  $RECORDS records -> peak anonymous $((peak / 1024)) MiB"
  fi
done
for d in ref crash; do
  IMPEX_DATA=$WORK/$d "$IMPEX" dump ResumeItems >"$WORK/$d.dump"
  IMPEX_DATA=$WORK/$d "$IMPEX" jobs --json | jq -c '.[] | {status, rows, imported, rejected}' >"$WORK/$d.jobs"
done
expect_eq "records" $((RECORDS - (RECORDS + 996) / 997)) "$(wc -l <"$WORK/crash.dump")"
cmp -s "$WORK/ref.dump" "$WORK/crash.dump" || { diff "$WORK/ref.dump" "$WORK/crash.dump" | head; fail "store differs from the uninterrupted run"; }
checks=$((checks + 1))
expect_eq "each record applied once per job" 0 "$(grep -vc "\"Applied\":$njobs}" "$WORK/crash.dump" || true)"
expect_eq "job counts" "$(cat "$WORK/ref.jobs")" "$(cat "$WORK/crash.jobs")"
IMPEX_DATA=$WORK/crash run_impex 0 get ResumeItems C0000005 --json
expect_eq "a resumed record" "{\"Code\":\"C0000005\",\"Header\":\"B7\",\"Name\":\"Item 5 & <co>\",\"Qty\":5,\"Tags\":[\"t0\",\"u5\"],\"Applied\":$njobs}" "$OUT"

done_ok
