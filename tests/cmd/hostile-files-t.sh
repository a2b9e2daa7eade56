#!/bin/sh
# Hostile files, ledgers and keys, end to end through the binary (the XML
# attacks are in hostile-t.sh): each is refused with `file[:line]: error:`,
# the documented exit status, in bounded time, and nothing booked -- the
# ledger stays byte for byte what it was.
. "${srcdir:-.}/tests/lib.sh"
scratch
AS_OF="--as-of 2026-11-26"
sh "$srcdir/samples/make-demo-key.sh" "$tmp/key" >/dev/null 2>&1 || bail "no demo key"
KEY="$tmp/key/demo-key.pem"
CERT="$tmp/key/demo-cert.pem"
SIGN="--key $KEY --cert $CERT"
L="$tmp/books.ledger"
"$MANDATE" -q apply --ledger "$L" $AS_OF "$srcdir/samples/day-01.xml" ||
	bail "cannot book day 1"
cp "$L" "$tmp/before"

# refused NAME STATUS FILE-IN-MESSAGE MESSAGE-PART COMMAND...
# Runs COMMAND (at most 20 s), checks its status, that a message reads
# `mandate: FILE[:LINE]: error: ...MESSAGE-PART...`, and that the ledger
# is unchanged.
refused() {
	name=$1 want=$2 file=$3 part=$4
	shift 4
	timeout 20 "$@" >"$tmp/out" 2>"$tmp/err"
	is "$want" $? "$name: exit $want"
	grep "^mandate: $file\(:[0-9]*\)\{0,1\}: error: " "$tmp/err" |
		grep -q -- "$part"
	said=$?
	ok $said "$name: says '$file[:line]: error: ...$part...'"
	[ $said -eq 0 ] || diag "$(cat "$tmp/err")"
	cmp -s "$L" "$tmp/before"
	ok $? "$name: the ledger is unchanged"
}
# The nightly job into $tmp/out-run (paths here have no blanks).
RUN="$MANDATE run --ledger $L --out $tmp/out-run --reject-dir $tmp/rejected $AS_OF $SIGN"

# ---- Order files that are no order files ----------------------------------
mkfifo "$tmp/fifo.xml"
refused "a FIFO given as a file (validate)" 4 "$tmp/fifo.xml" \
	"not a regular file" "$MANDATE" validate "$tmp/fifo.xml"
refused "a FIFO given as a file (run)" 4 "$tmp/fifo.xml" \
	"not a regular file" $RUN "$tmp/fifo.xml"
mkdir -p "$tmp/in-fifo"; mkfifo "$tmp/in-fifo/a.xml"
refused "a FIFO named *.xml in an input folder" 4 "$tmp/in-fifo/a.xml" \
	"not a regular file" $RUN "$tmp/in-fifo"
mkdir -p "$tmp/in-dir/b.xml"
refused "a folder named *.xml in an input folder" 4 "$tmp/in-dir/b.xml" \
	"not a regular file" $RUN "$tmp/in-dir"
test -d "$tmp/in-dir/b.xml" && test -p "$tmp/in-fifo/a.xml"
ok $? "unreadable inputs stay where they are"

: >"$tmp/empty.xml"
refused "an empty file" 1 "$tmp/empty.xml" "Document is empty" \
	$RUN "$tmp/empty.xml"
test -f "$tmp/rejected/empty.xml" && test -f "$tmp/rejected/empty.xml.errors.txt"
ok $? "an empty file is moved to the reject folder with its errors"
printf '<?xml version="1.0" encoding="UTF-8"?>\n<batch xmlns="urn:mandate:orders:1" id="N1" issued="2026-11-20T22:00:00Z">\0</batch>\n' \
	>"$tmp/nul.xml"
refused "a file with a NUL byte" 1 "$tmp/nul.xml" \
	"NUL byte in file: not UTF-8 text" $RUN "$tmp/nul.xml"

# A 2 GiB sparse file: refused by the 1 GiB size limit before it is read.
if truncate -s 2G "$tmp/huge.xml" 2>/dev/null; then
	start=$(date +%s)
	refused "a 2 GiB file (validate)" 4 "$tmp/huge.xml" \
		"over the limit of 1073741824 bytes (1 GiB) for a batch file" \
		/usr/bin/time -f '%M' -o "$tmp/rss" "$MANDATE" validate "$tmp/huge.xml"
	[ "$(tail -n 1 "$tmp/rss")" -lt 65536 ] && [ $(( $(date +%s) - start )) -lt 5 ]
	ok $? "a 2 GiB file: refused in under 5 s and 64 MiB"
	refused "a 2 GiB file (run)" 4 "$tmp/huge.xml" "over the limit" \
		$RUN "$tmp/huge.xml"
	rm -f "$tmp/huge.xml"
else
	skip "no sparse file"; skip "no sparse file"; skip "no sparse file"
	skip "no sparse file"; skip "no sparse file"; skip "no sparse file"
	skip "no sparse file"
fi

# ---- Ledgers a careful writer does not touch ------------------------------
ln -s "$L" "$tmp/link.ledger"
for cmd in apply verify; do
	refused "a ledger that is a symbolic link ($cmd)" 4 "$tmp/link.ledger" \
		"the ledger is a symbolic link" \
		"$MANDATE" $cmd --ledger "$tmp/link.ledger" \
		$( [ $cmd = apply ] && echo "$AS_OF $srcdir/samples/day-02.xml")
done
refused "a ledger that is a symbolic link (run)" 4 "$tmp/link.ledger" \
	"the ledger is a symbolic link" \
	"$MANDATE" run --ledger "$tmp/link.ledger" --out "$tmp/out-link" \
	$AS_OF $SIGN "$srcdir/samples/day-02.xml"

cp "$L" "$tmp/theirs.ledger"
if [ "$(id -u)" = 0 ] && chown 65534 "$tmp/theirs.ledger" 2>/dev/null; then
	cp "$tmp/theirs.ledger" "$tmp/theirs-before"
	for cmd in apply run; do
		extra=
		[ $cmd = run ] && extra="--out $tmp/out-theirs $SIGN"
		"$MANDATE" $cmd --ledger "$tmp/theirs.ledger" $extra $AS_OF \
			"$srcdir/samples/day-02.xml" >/dev/null 2>"$tmp/err"
		is 4 $? "a ledger owned by another user ($cmd): exit 4"
		grep -q "^mandate: $tmp/theirs.ledger: error: the ledger belongs to uid 65534, not to this process's user (uid 0): refusing to write it$" "$tmp/err"
		said=$?
		ok $said "a ledger owned by another user ($cmd): refused, saying whose"
		[ $said -eq 0 ] || diag "$(cat "$tmp/err")"
		cmp -s "$tmp/theirs.ledger" "$tmp/theirs-before"
		ok $? "a ledger owned by another user ($cmd): unchanged"
	done
	"$MANDATE" verify --ledger "$tmp/theirs.ledger" >/dev/null 2>&1
	is 0 $? "a reader may still verify another user's ledger"
else
	for i in 1 2 3 4 5 6 7; do skip "not root: cannot give a ledger away"; done
fi

cp "$L" "$tmp/linked.ledger"
ln "$tmp/linked.ledger" "$tmp/second-name"
"$MANDATE" apply --ledger "$tmp/linked.ledger" $AS_OF \
	"$srcdir/samples/day-02.xml" 2>"$tmp/err"
is 4 $? "a ledger with a second hard link: exit 4"
grep -q "^mandate: $tmp/linked.ledger: error: the ledger has 2 hard links: refusing to write it$" "$tmp/err"
ok $? "saying so"
cmp -s "$tmp/linked.ledger" "$L"
ok $? "and unchanged"

# ---- Signing keys: run refuses them before it books anything --------------
cp "$KEY" "$tmp/open-key.pem"; chmod 644 "$tmp/open-key.pem"
refused "a signing key readable by others" 4 "$tmp/open-key.pem" \
	"accessible by group or others (mode 0644)" \
	"$MANDATE" run --ledger "$L" --out "$tmp/out-key" $AS_OF \
	--key "$tmp/open-key.pem" --cert "$CERT" "$srcdir/samples/day-02.xml"
openssl pkcs12 -export -inkey "$KEY" -in "$CERT" -passout pass:right \
	-out "$tmp/demo.p12" 2>/dev/null && chmod 600 "$tmp/demo.p12"
WRONG_PW=wrong; export WRONG_PW
refused "a PKCS#12 file with the wrong password" 4 "$tmp/demo.p12" \
	"password" \
	"$MANDATE" run --ledger "$L" --out "$tmp/out-p12" $AS_OF \
	--pkcs12 "$tmp/demo.p12" --pass-env WRONG_PW "$srcdir/samples/day-02.xml"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$tmp/other-key.pem" 2>/dev/null && chmod 600 "$tmp/other-key.pem"
refused "a certificate that does not match the key" 4 "$CERT" \
	"does not match" \
	"$MANDATE" run --ledger "$L" --out "$tmp/out-other" $AS_OF \
	--key "$tmp/other-key.pem" --cert "$CERT" "$srcdir/samples/day-02.xml"
refused "a certificate expired at the as-of date" 4 "$CERT" "expired" \
	"$MANDATE" run --ledger "$L" --out "$tmp/out-late" --as-of 2100-01-01 \
	$SIGN "$srcdir/samples/day-02.xml"
test ! -e "$tmp/out-key/pdf" && test ! -e "$tmp/out-p12/pdf" &&
	test ! -e "$tmp/out-other/pdf" && test ! -e "$tmp/out-late/pdf"
ok $? "no document written by any refused run"

done_testing
