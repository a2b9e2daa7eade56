#!/bin/sh
# mandate run, end to end: the nightly job over the sample days.
. "${srcdir:-.}/tests/lib.sh"
scratch
PY=/usr/bin/python3
AS_OF="--as-of 2026-11-26"
sh "$srcdir/samples/make-demo-key.sh" "$tmp/key" >/dev/null 2>&1 || bail "no demo key"
SIGN="--key $tmp/key/demo-key.pem --cert $tmp/key/demo-cert.pem"

# run DIR EXTRA-ARGS...: the job over DIR/in into DIR/out, ledger DIR/books
run() {
	d=$1; shift
	"$MANDATE" run --ledger "$d/books" --out "$d/out" $AS_OF $SIGN "$@" \
		"$d/in" >"$d/stdout" 2>"$d/stderr"
}
fresh() {  # fresh DIR: the five sample days in DIR/in
	rm -rf "$1"; mkdir -p "$1/in"; cp "$srcdir"/samples/day-0*.xml "$1/in/"
}
listing() { (cd "$1" && find . -type f ! -name run.json | LC_ALL=C sort); }

fresh "$tmp/a"
run "$tmp/a" -j 2
is 0 $? "the sample days: exit 0"
cat >"$tmp/expected" <<LIST
./pdf/CON-0103/CON-0103-v1-act.pdf
./pdf/CON-0103/CON-0103-v1-agreement.pdf
./pdf/CON-0110/CON-0110-v2-agreement.pdf
./pdf/FIN-0101/FIN-0101-v2-act.pdf
./pdf/FIN-0101/FIN-0101-v2-agreement.pdf
./pdf/FIN-0107/FIN-0107-v1-agreement.pdf
./pdf/FIN-0107/FIN-0107-v2-amendment.pdf
./pdf/LEG-0102/LEG-0102-v1-agreement.pdf
./pdf/LEG-0102/LEG-0102-v2-amendment.pdf
./pdf/LOG-0108/LOG-0108-v1-act.pdf
./pdf/LOG-0108/LOG-0108-v1-agreement.pdf
./pdf/MKT-0104/MKT-0104-v1-agreement.pdf
./performance.xlsx
./status.xlsx
LIST
is "$(cat "$tmp/expected")" "$(listing "$tmp/a/out")" \
	"exactly the expected documents and workbooks"
test -f "$tmp/a/out/run.json"
ok $? "and run.json"
# run replays the ledger once; report, in two halves: the same workbooks
"$MANDATE" -q report --ledger "$tmp/a/books" --out "$tmp/a/report" $AS_OF &&
	cmp "$tmp/a/out/status.xlsx" "$tmp/a/report/status.xlsx" &&
	cmp "$tmp/a/out/performance.xlsx" "$tmp/a/report/performance.xlsx"
ok $? "report (a replay in halves) writes run's workbooks, byte for byte"
grep -q '^run: 5 booked, 0 already booked, 0 rejected, 0 unreadable; 12 documents written; exit 0; ledger head [0-9]*:[0-9a-f]\{64\}$' "$tmp/a/stdout"
ok $? "a one-line summary with the ledger head"
if [ -x "$PY" ]; then
	"$PY" - "$tmp/a/out/run.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["counts"]
assert (c["booked"], c["rejected"], c["documents"]) == (5, 0, 12), c
assert r["exit"] == 0 and len(r["documents"]) == 12
assert r["ledger"]["head"].startswith("137:")
assert set(r["seconds"]) == {"setup", "book", "plan", "documents", "reports"}
PYEOF
	ok $? "run.json is JSON with the counts, documents, head and timings"
else
	skip "python3 not installed"
fi
"$MANDATE" verify --ledger "$tmp/a/books" >/dev/null 2>&1
is 0 $? "the ledger verifies"

# A re-run of the last day books nothing and writes nothing new.
cp -r "$tmp/a/out" "$tmp/a-before"
cp "$tmp/a/books" "$tmp/a-books-before"
rm "$tmp/a/in"/*; cp "$srcdir/samples/day-05.xml" "$tmp/a/in/"
run "$tmp/a"
is 0 $? "re-running the last day: exit 0"
grep -q '^run: 0 booked, 1 already booked, 0 rejected, 0 unreadable; 0 documents written' "$tmp/a/stdout"
ok $? "it books nothing and writes no document"
cmp -s "$tmp/a/books" "$tmp/a-books-before"
ok $? "the ledger is unchanged"
diff -r -x run.json "$tmp/a/out" "$tmp/a-before" >/dev/null
ok $? "the documents and workbooks are byte for byte the same"

# One bad file: exit 1, only that file moved aside, the rest booked.
fresh "$tmp/b"
cp "$srcdir/samples/invalid/stage-skip.xml" "$tmp/b/in/day-03b.xml"
run "$tmp/b"
is 1 $? "a day with one bad file exits 1"
is "day-01.xml day-02.xml day-03.xml day-04.xml day-05.xml" \
	"$(ls "$tmp/b/in" | tr '\n' ' ' | sed 's/ $//')" \
	"only the bad file left the incoming folder"
is "day-03b.xml day-03b.xml.errors.txt" \
	"$(ls "$tmp/b/out/rejected" | tr '\n' ' ' | sed 's/ $//')" \
	"it is in the reject folder with NAME.errors.txt"
is "$tmp/b/in/day-03b.xml:15: error: order 'ORD-1' is in stage identification: cannot skip to agreement (next is planning)" \
	"$(cat "$tmp/b/out/rejected/day-03b.xml.errors.txt")" \
	"the errors file holds the file:line: message"
cmp -s "$tmp/b/books" "$tmp/a-books-before"
ok $? "the other five days are booked as in a clean run"
diff -r -x run.json -x rejected "$tmp/b/out" "$tmp/a-before" >/dev/null
ok $? "and their documents are the same"

# --jobs 1 and --jobs 2 give byte-identical output.
fresh "$tmp/c"
run "$tmp/c" -j 1
is 0 $? "--jobs 1"
diff -r -x run.json "$tmp/c/out" "$tmp/a-before" >/dev/null
ok $? "gives exactly what --jobs 2 gave"

# A second run while the first holds the lock exits 4 and books nothing.
fresh "$tmp/d"
: >"$tmp/d/books"
if command -v flock >/dev/null; then
	flock -o "$tmp/d/books" sleep 5 &
	holder=$!
	sleep 0.5
	run "$tmp/d"
	is 4 $? "a run while another holds the lock: exit 4"
	kill $holder 2>/dev/null; wait $holder 2>/dev/null
	is 0 "$(wc -c <"$tmp/d/books")" "nothing booked"
else
	skip "flock(1) not installed"; skip "flock(1) not installed"
fi

# A second run into an output folder another run is writing: exit 4,
# nothing booked (two writers would rename each other's NAME.tmp files).
fresh "$tmp/o"
mkdir -p "$tmp/o/out"
if command -v flock >/dev/null; then
	flock -x "$tmp/o/out" sh -c "'$MANDATE' run --ledger '$tmp/o/books' \
		--out '$tmp/o/out' $AS_OF $SIGN '$tmp/o/in' >/dev/null 2>'$tmp/o/stderr'"
	is 4 $? "a run into an output folder being written: exit 4"
	is "mandate: $tmp/o/out: error: output folder is being written by another run" \
		"$(cat "$tmp/o/stderr")" "... saying so"
	[ ! -s "$tmp/o/books" ] && [ -z "$(ls -A "$tmp/o/out")" ]
	ok $? "... before booking or writing anything"
else
	skip "flock(1) not installed"; skip "flock(1) not installed"
	skip "flock(1) not installed"
fi

# A bad key: exit 4 before anything is booked.
fresh "$tmp/e"
cp "$tmp/key/demo-key.pem" "$tmp/open-key.pem"; chmod 644 "$tmp/open-key.pem"
"$MANDATE" run --ledger "$tmp/e/books" --out "$tmp/e/out" $AS_OF \
	--key "$tmp/open-key.pem" --cert "$tmp/key/demo-cert.pem" "$tmp/e/in" \
	>/dev/null 2>"$tmp/e/stderr"
is 4 $? "a signing key readable by others: exit 4"
test ! -e "$tmp/e/books"
ok $? "and no ledger was even created"
"$MANDATE" run --ledger "$tmp/e/books" --out "$tmp/e/out" $AS_OF "$tmp/e/in" 2>/dev/null
is 2 $? "no signing options: usage error"

# Killed at an instant of its run, then re-run: the same ledger, documents
# and workbooks as an uninterrupted run.  Each round starts afresh and
# kills at a later instant, so the kills land in every stage.
kills=0
bad=0
for delay in 0.01 0.03 0.06 0.09 0.12 0.15 0.18 0.22 0.26 0.30; do
	fresh "$tmp/f"
	"$MANDATE" -q run --ledger "$tmp/f/books" --out "$tmp/f/out" $AS_OF \
		$SIGN -j 2 "$tmp/f/in" >/dev/null 2>&1 &
	pid=$!
	sleep $delay
	kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
	# its document workers die with it; give them a moment to go
	if command -v flock >/dev/null && [ -e "$tmp/f/books" ]; then
		flock -w 5 "$tmp/f/books" true
	fi
	run "$tmp/f" || { bad=$((bad + 1)); diag "re-run after $delay s failed"; }
	cmp -s "$tmp/f/books" "$tmp/a-books-before" ||
		{ bad=$((bad + 1)); diag "ledger differs after a kill at $delay s"; }
	diff -rq -x run.json "$tmp/f/out" "$tmp/a-before" >"$tmp/f.diff" 2>&1 ||
		{ bad=$((bad + 1)); diag "output differs after a kill at $delay s:" "$(head -5 "$tmp/f.diff")"; }
	[ -z "$(find "$tmp/f/out" -name '*.tmp')" ] ||
		{ bad=$((bad + 1)); diag "temporary files left after $delay s"; }
done
ok $(( kills < 3 )) "kills landed during the run ($kills of 10)"
is 0 $bad "after each kill a re-run ends with the uninterrupted run's ledger, documents and workbooks"

done_testing
