#!/bin/sh
# mandate validate: the samples are valid and agree with xmllint; every
# file in samples/invalid/ fails with exactly the message in its .err file.
. "${srcdir:-.}/tests/lib.sh"
scratch
cd "$srcdir" || bail "no srcdir"
AS_OF=2026-11-26

for f in samples/*.xml; do
	"$MANDATE" validate --as-of $AS_OF "$f" 2>"$tmp/err"
	ok $? "$f is valid"
	if [ -n "$XMLLINT" ]; then
		"$XMLLINT" --noout --schema schemas/orders.xsd "$f" 2>/dev/null
		ok $? "$f is valid for xmllint too"
	else
		skip "xmllint not installed"
	fi
done

"$MANDATE" validate --as-of $AS_OF samples/*.xml 2>"$tmp/err"
ok $? "all sample days validate together, in order"
"$MANDATE" validate --as-of $AS_OF samples 2>"$tmp/err"
ok $? "a directory argument means its *.xml in name order"
"$MANDATE" validate --as-of $AS_OF --ledger "$tmp/none.ledger" samples \
	2>"$tmp/err"
ok $? "with an empty ledger every referenced order is known"
test ! -e "$tmp/none.ledger"
ok $? "validate creates no ledger"

# Golden messages: samples/invalid/NAME.xml fails with NAME.err, word for
# word.  With --ledger (an empty one) unknown orders are judged too.
for f in samples/invalid/*.xml; do
	expected="${f%.xml}.err"
	"$MANDATE" validate --as-of $AS_OF --ledger "$tmp/none.ledger" "$f" \
		2>"$tmp/err"
	is 1 $? "$f is refused with exit 1"
	if [ -f "$expected" ]; then
		is "$(cat "$expected")" "$(cat "$tmp/err")" "$f: message"
	else
		ok 1 "$f: golden file $expected exists"
	fi
	# A rule-level case must be valid for the schema (so the C check is
	# what refuses it); a schema-level case must fail xmllint as well.
	if [ -z "$XMLLINT" ]; then
		skip "xmllint not installed"
	elif grep -q "error: Element '" "$expected" 2>/dev/null; then
		"$XMLLINT" --noout --schema schemas/orders.xsd "$f" 2>/dev/null
		is 3 $? "$f: xmllint refuses it too"
	elif grep -q 'DOCTYPE\|UTF-8\|well-formed\|tag mismatch' \
		"$expected" 2>/dev/null; then
		skip "$f: parse-level refusal (xmllint would load the DTD)"
	else
		"$XMLLINT" --noout --schema schemas/orders.xsd "$f" 2>/dev/null
		ok $? "$f: valid for the schema, refused by a rule"
	fi
done

# Reader threads change nothing: the same messages, in the same order.
"$MANDATE" validate -j 1 --as-of $AS_OF samples samples/invalid/*.xml \
	>"$tmp/j1" 2>&1
echo "exit $?" >>"$tmp/j1"
"$MANDATE" validate -j 4 --as-of $AS_OF samples samples/invalid/*.xml \
	>"$tmp/j4" 2>&1
echo "exit $?" >>"$tmp/j4"
cmp -s "$tmp/j1" "$tmp/j4"
ok $? "--jobs 4 reports exactly what --jobs 1 does"
"$MANDATE" validate -j 0 samples/day-01.xml 2>/dev/null
is 2 $? "--jobs 0: usage error"

# Exit codes and usage.
"$MANDATE" validate 2>/dev/null
is 2 $? "no files: usage error"
"$MANDATE" validate --bogus samples/day-01.xml 2>/dev/null
is 2 $? "unknown option: usage error"
"$MANDATE" validate --as-of 2026-02-30 samples/day-01.xml 2>/dev/null
is 2 $? "an impossible --as-of date: usage error"
"$MANDATE" validate "$tmp/missing.xml" 2>"$tmp/err"
is 4 $? "a missing file: environment error"
is "mandate: $tmp/missing.xml: error: cannot open: No such file or directory" \
	"$(cat "$tmp/err")" "a missing file is named"
"$MANDATE" validate --as-of $AS_OF samples/day-01.xml \
	samples/invalid/stage-skip.xml 2>/dev/null
is 1 $? "one bad file among good ones: exit 1"
"$MANDATE" validate --as-of 2026-11-01 samples/day-01.xml 2>"$tmp/err"
is 1 $? "operations later than --as-of are refused"
"$MANDATE" --version >"$tmp/out"
ok $? "--version"
grep -q '^mandate [0-9]' "$tmp/out"
ok $? "--version prints the version"
"$MANDATE" validate --help >"$tmp/out"
ok $? "validate --help"
"$MANDATE" -q validate --as-of $AS_OF samples/day-01.xml >"$tmp/out" 2>&1
is "" "$(cat "$tmp/out")" "-q: a valid file prints nothing"
"$MANDATE" frobnicate 2>/dev/null
is 2 $? "unknown command: usage error"

done_testing
