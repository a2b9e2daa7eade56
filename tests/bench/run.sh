#!/bin/bash
# Benchmark (SPEC §7, issue "nightly job"): `mandate run --jobs 2` against
# `--jobs 1` on the same day, in one run; the PDF stage's speed-up is read
# from run.json's seconds.documents.  Target: >= 1.8x on the PDF stage.
#
#   tests/bench/run.sh [ORDERS]       default 300 orders (600 documents)
#
# Environment: MANDATE, MANDATE_DATADIR (default: the top folder),
# BENCH_TMPDIR (default /var/tmp), REPEAT (default 3; the best counts).
# Not part of `make check`.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
ORDERS=${1:-300}
REPEAT=${REPEAT:-3}
MANDATE=${MANDATE:-$top/mandate}
export MANDATE_DATADIR=${MANDATE_DATADIR:-$top}
work=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/mandate-bench-run.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Each order goes to execution (an agreement) and is completed (an act).
python3 - "$work/in" "$ORDERS" <<'PY'
import os, sys
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out)
per_file = 50
for f in range(0, n, per_file):
    ops = []
    for i in range(f, min(n, f + per_file)):
        oid = "BR-%06d" % i
        lang = "ru" if i % 2 else "en"
        name = "ООО «Клиент %d»" % i if lang == "ru" else "Client %d Ltd" % i
        ops.append(f'''  <order id="{oid}"><client id="C{i % 97}" lang="{lang}"><name>{name}</name></client>
    <kind>legal</kind><title>Contract review {i}</title>
    <description>{"Review of the supply contract, clause by clause, with a written opinion. " * 6}</description>
    <executor id="E{i % 7}">Executor {i % 7}</executor><received>2026-11-02</received>
    <start>2026-11-03</start><due>2026-11-20</due><price currency="RUB">{100000 + i}.00</price>
    <resources><resource kind="staff" unit="h" quantity="12" unitCost="3000.00">Lawyer</resource>
      <resource kind="technology" unit="licence" quantity="1" unitCost="500.00">Database</resource></resources>
    <result><deliverable>Opinion</deliverable><acceptance>Signed by the client</acceptance></result>
    <terms><penalty ratePerDay="0.1" capPercent="10"/><clause>Confidential.</clause></terms></order>
  <advance order="{oid}" stage="planning" on="2026-11-03"/>
  <advance order="{oid}" stage="agreement" on="2026-11-04"/>
  <advance order="{oid}" stage="fixation" on="2026-11-05"/>
  <advance order="{oid}" stage="execution" on="2026-11-06"/>
  <complete order="{oid}" on="2026-11-{10 + i % 15}">Done</complete>''')
    with open(os.path.join(out, "day-%05d.xml" % f), "w") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                 f'<batch xmlns="urn:mandate:orders:1" id="BR-{f}" issued="2026-11-20T22:00:00Z">\n'
                 + "\n".join(ops) + "\n</batch>\n")
PY
sh "$top/samples/make-demo-key.sh" "$work/key" >/dev/null

# best_of JOBS: the fastest run's total seconds and documents seconds
best_of() {
	best_total=""; best_docs=""
	for _ in $(seq "$REPEAT"); do
		rm -rf "$work/j" && mkdir -p "$work/j" && cp -r "$work/in" "$work/j/in"
		start=$(date +%s.%N)
		"$MANDATE" -q run --ledger "$work/j/books" --out "$work/j/out" \
			--as-of 2026-11-26 --key "$work/key/demo-key.pem" \
			--cert "$work/key/demo-cert.pem" --jobs "$1" "$work/j/in" ||
			{ echo "run failed" >&2; exit 1; }
		total=$(echo "$(date +%s.%N) - $start" | bc -l)
		docs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"]["documents"])' "$work/j/out/run.json")
		if [ -z "$best_docs" ] || [ "$(echo "$docs < $best_docs" | bc -l)" = 1 ]; then
			best_docs=$docs; best_total=$total
		fi
	done
	count=$(find "$work/j/out/pdf" -name '*.pdf' | wc -l)
	cp -r "$work/j/out" "$work/out-$1"
}
best_of 1; t1=$best_total; d1=$best_docs
best_of 2; t2=$best_total; d2=$best_docs
identical=no
diff -r -x run.json "$work/out-1" "$work/out-2" >/dev/null && identical=yes
printf '%s orders, %s documents\n' "$ORDERS" "$count"
printf '%-28s %10s %14s\n' "mandate run" "total s" "documents s"
printf '%-28s %10.2f %14.2f\n' "--jobs 1" "$t1" "$d1" "--jobs 2" "$t2" "$d2"
ratio=$(echo "$d1 / $d2" | bc -l)
printf 'PDF stage --jobs 2 / --jobs 1 = %.2fx (target >= 1.8x: %s); outputs identical: %s\n' \
	"$ratio" "$( [ "$(echo "$ratio >= 1.8" | bc -l)" = 1 ] && echo met || echo MISSED)" "$identical"
