#!/bin/sh
# mandate render: the documents the sample days call for, signed and valid
# for the tools users trust; reproducible; refusals before anything is
# written.
. "${srcdir:-.}/tests/lib.sh"
scratch
AS_OF="--as-of 2026-11-26"
L="$tmp/books.ledger"
KEYDIR="$tmp/key"

sh "$srcdir/samples/make-demo-key.sh" "$KEYDIR" >/dev/null 2>&1
ok $? "a demo key is made"
SIGN="--key $KEYDIR/demo-key.pem --cert $KEYDIR/demo-cert.pem"
is 600 "$(stat -c %a "$KEYDIR/demo-key.pem")" "the demo key is mode 0600"
"$MANDATE" apply --ledger "$L" $AS_OF "$srcdir/samples" >/dev/null 2>&1
is 0 $? "the sample days are booked"

"$MANDATE" render --ledger "$L" --out "$tmp/out" $AS_OF $SIGN >"$tmp/stdout" 2>"$tmp/err"
is 0 $? "render exits 0"
is "render: 12 documents written to $tmp/out/pdf" "$(cat "$tmp/stdout")" \
	"and says how many"
(cd "$tmp/out" && find pdf -type f | LC_ALL=C sort) >"$tmp/files"
cat >"$tmp/expected" <<LIST
pdf/CON-0103/CON-0103-v1-act.pdf
pdf/CON-0103/CON-0103-v1-agreement.pdf
pdf/CON-0110/CON-0110-v2-agreement.pdf
pdf/FIN-0101/FIN-0101-v2-act.pdf
pdf/FIN-0101/FIN-0101-v2-agreement.pdf
pdf/FIN-0107/FIN-0107-v1-agreement.pdf
pdf/FIN-0107/FIN-0107-v2-amendment.pdf
pdf/LEG-0102/LEG-0102-v1-agreement.pdf
pdf/LEG-0102/LEG-0102-v2-amendment.pdf
pdf/LOG-0108/LOG-0108-v1-act.pdf
pdf/LOG-0108/LOG-0108-v1-agreement.pdf
pdf/MKT-0104/MKT-0104-v1-agreement.pdf
LIST
is "$(cat "$tmp/expected")" "$(cat "$tmp/files")" \
	"exactly the documents the ledger calls for, at their paths"

bad=0
for f in $(cat "$tmp/files"); do
	if command -v pdfsig >/dev/null; then
		pdfsig "$tmp/out/$f" >"$tmp/sig" 2>&1
		grep -q 'Signature is Valid.' "$tmp/sig" &&
			grep -q 'Total document signed' "$tmp/sig" ||
			{ bad=$((bad + 1)); diag "pdfsig: $f"; }
	fi
	if command -v qpdf >/dev/null; then
		qpdf --check "$tmp/out/$f" >/dev/null 2>&1 ||
			{ bad=$((bad + 1)); diag "qpdf: $f"; }
	fi
done
is 0 $bad "every document: pdfsig valid, whole document signed, qpdf clean"
if command -v pdftotext >/dev/null; then
	pdftotext "$tmp/out/pdf/CON-0103/CON-0103-v1-act.pdf" - 2>/dev/null >"$tmp/act.txt"
	grep -q 'CON-0103' "$tmp/act.txt"
	ok $? "pdftotext reads the order id back from the act"
	grep -q '960.00' "$tmp/act.txt"
	ok $? "the act shows the 960.00 EUR penalty"
	pdftotext "$tmp/out/pdf/FIN-0101/FIN-0101-v2-agreement.pdf" - 2>/dev/null >"$tmp/agr.txt"
	grep -q 'Северный капитал' "$tmp/agr.txt"
	ok $? "Cyrillic comes back from a Russian agreement"
else
	skip "pdftotext not installed"; skip "pdftotext not installed"
	skip "pdftotext not installed"
fi

# Reproducible, whatever the number of worker processes.
"$MANDATE" render --ledger "$L" --out "$tmp/again" $AS_OF $SIGN -j 1 >/dev/null 2>&1
diff -r "$tmp/out" "$tmp/again" >/dev/null
ok $? "a second render with --jobs 1 gives byte-identical files"

# One order only.
"$MANDATE" render --ledger "$L" --out "$tmp/one" $AS_OF $SIGN --order LEG-0102 >/dev/null 2>&1
is 0 $? "--order LEG-0102"
is "LEG-0102-v1-agreement.pdf LEG-0102-v2-amendment.pdf" \
	"$(ls "$tmp/one/pdf/LEG-0102" | tr '\n' ' ' | sed 's/ $//')" \
	"writes that order's agreement and amendment"
is 1 "$(ls "$tmp/one/pdf" | wc -l)" "and nothing else"
"$MANDATE" render --ledger "$L" --out "$tmp/none" $AS_OF $SIGN --order NOPE 2>"$tmp/err"
is 2 $? "--order of an unknown order: usage error"

# Refusals before anything is written.
"$MANDATE" render --ledger "$L" --out "$tmp/nokey" $AS_OF 2>/dev/null
is 2 $? "no signing options: usage error"
cp "$KEYDIR/demo-key.pem" "$tmp/open-key.pem"
chmod 644 "$tmp/open-key.pem"
"$MANDATE" render --ledger "$L" --out "$tmp/open" $AS_OF \
	--key "$tmp/open-key.pem" --cert "$KEYDIR/demo-cert.pem" 2>"$tmp/err"
is 4 $? "a key readable by others: exit 4"
grep -q 'accessible by group or others (mode 0644)' "$tmp/err"
ok $? "and the message says why"
test ! -e "$tmp/open"
ok $? "nothing written"
"$MANDATE" render --ledger "$L" --out "$tmp/late" --as-of 2100-01-01 $SIGN 2>"$tmp/err"
is 4 $? "a certificate expired at the as-of date: exit 4"

done_testing
