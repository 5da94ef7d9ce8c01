#!/usr/bin/env bash
# Text from outside (file and entry names, headers, values) reaches the job,
# the error report and the replay intact or visibly escaped (\xHH), never
# dropped; NULs in headers and values are handled; duplicated zip entry
# names are each imported and reported.
source "$(dirname "$0")/lib/common.sh"
export IMPEX_SCRIPTS=$TEST_SCRIPTS

python3 - "$WORK" <<'PY'
import sys, zipfile
w = sys.argv[1]
def put(name, data):
    with open(w + "/" + name, "wb") as f:
        f.write(data)
# A NUL inside a header cell, followed by 8 MiB: no over-read, a precise verdict.
put("things-nul.csv", b"Code,Name,Q\x00" + b"y" * (8 << 20) + b"\nA,b,1\n")
# A Latin-1 header (named, never an empty message) and an Excel UTF-16 file.
put("things-latin1.csv", b"Code,Gr\xf6\xdfe\nA,1\n")
put("things-utf16.csv", "Code,Name\r\nA,b\r\n".encode("utf-16"))
# 300 unknown columns: every one is named (none cut off without saying so).
put("things-wide.csv", ("Code," + ",".join("Extra%03d" % i for i in range(300)) + "\nA" + "," * 300 + "\n").encode())
# Rejected rows holding NULs and Latin-1 bytes: all listed, replayed byte for byte.
put("things-bad.csv", b"Code,Name,Qty\nC0,ok,1\nC1,Caf\xe9,1\nC2,zero\x00byte,2\nC3,x,1\x00\nC4,fine,4\n")
# A file name that is not UTF-8.
with open(w.encode() + b"/things-\xe9t\xe9.csv", "wb") as f:
    f.write(b"Code,Name\nL1,x\n")
# Two entries of the same name in one zip.
with zipfile.ZipFile(w + "/dup.zip", "w") as z:
    z.writestr("things.csv", "Code,Name\nD1,first\nD2,first\n")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z.writestr("things.csv", "Code,Name\nD3,second\n")
PY

run_impex 4 import --group raw "$WORK/things-nul.csv" --json
expect_eq "NUL header: status" FAILED_HEADERS "$(jq -r .status <<<"$OUT")"
expect_contains "NUL header: named, escaped, cut with its length" 'unknown column(s): "Q\x00yyyy' "$(jq -r '.messages[0]' <<<"$OUT")"
expect_contains "NUL header: length given" '(8388610 bytes)' "$(jq -r '.messages[0]' <<<"$OUT")"
run_impex 0 resume
expect_contains "NUL header job is final" "no interrupted jobs" "$OUT"

run_impex 4 import --group raw "$WORK/things-latin1.csv" --json
expect_eq "Latin-1 header: status" FAILED_HEADERS "$(jq -r .status <<<"$OUT")"
expect_contains "Latin-1 header named" 'unknown column(s): "Gr\xF6\xDFe"' "$(jq -r '.messages[0]' <<<"$OUT")"
expect_contains "Latin-1 header in the step" 'Gr\xF6\xDFe' "$(jq -r '.resources[0].stateDetails' <<<"$OUT")"

# Its BOM says UTF-16 (README "CSV dialects"): read as such, no setting needed.
run_impex 0 import --group raw "$WORK/things-utf16.csv" --json
expect_eq "UTF-16 with a BOM: status" COMPLETED "$(jq -r .status <<<"$OUT")"
run_impex 0 get Things A --json
expect_eq "UTF-16 with a BOM: the value" b "$(jq -r .Name <<<"$OUT")"

run_impex 4 import --group raw "$WORK/things-wide.csv" --json
expect_contains "wide header: the last name is there" '"Extra299"' "$(jq -r '.messages[0]' <<<"$OUT")"

run_impex 3 import --group raw "$WORK/things-bad.csv" --json
id=$(jq -r .id <<<"$OUT")
expect_eq "bad rows: rejected" 2 "$(jq -r .rejected <<<"$OUT")"
expect_eq "bad rows: imported (a NUL inside text is text)" 3 "$(jq -r .imported <<<"$OUT")"
"$IMPEX" errors "$id" >"$WORK/report.csv"
expect_eq "report lists every rejected row" 3 "$(wc -l <"$WORK/report.csv")"
grep -aq "C3,x" "$WORK/report.csv" || fail "the row with a NUL is missing from the report"
checks=$((checks + 1))
"$IMPEX" errors "$id" --replay >"$WORK/things-replay.csv"
printf 'Code,Name,Qty\r\nC1,Caf\xe9,1\r\nC3,x,"1\0"\r\n' >"$WORK/want.csv"
# Fields with a NUL are quoted by the CSV writer; compare after unquoting with Python's csv.
python3 - "$WORK/things-replay.csv" "$WORK/want.csv" <<'PY' || fail "replay is not byte for byte"
import csv, io, sys
def rows(p):
    data = open(p, "rb").read().decode("latin-1")
    return list(csv.reader(io.StringIO(data, newline="")))
a, b = rows(sys.argv[1]), rows(sys.argv[2])
if a != b:
    print("got", a, "want", b)
    sys.exit(1)
PY
checks=$((checks + 1))
# The replayed rows are the file's bytes: imported again they are rejected for the same reasons.
run_impex 3 import --group raw "$WORK/things-replay.csv" --json
expect_eq "replay re-import rejects the same rows" 2 "$(jq -r .rejected <<<"$OUT")"

latin=$(printf 'things-\xe9t\xe9.csv')
run_impex 0 import --group raw "$WORK/$latin" --json
expect_eq "non-UTF-8 file name: source shown" 'things-\xE9t\xE9.csv' "$(jq -r .source <<<"$OUT")"
expect_eq "non-UTF-8 file name: imported" 1 "$(jq -r .imported <<<"$OUT")"
run_impex 0 get Things L1 --json
expect_contains "non-UTF-8 file name: record" '"Name":"x"' "$OUT"

run_impex 0 import --group raw "$WORK/dup.zip" --json
expect_eq "duplicate entries: two steps" 2 "$(jq -r '.resources | length' <<<"$OUT")"
expect_eq "duplicate entries: every row" 3 "$(jq -r .imported <<<"$OUT")"
expect_contains "duplicate entries: reported" "things.csv: the archive holds 2 entries of this name" "$(jq -r '.messages | join(" | ")' <<<"$OUT")"
run_impex 0 get Things D3 --json
expect_contains "the second entry's row is there" '"second"' "$OUT"
done_ok
