#!/bin/sh
# Hostile XML is refused with a clear message, in bounded time and memory,
# without reading local files, touching the network or echoing content.
#
# Hostile inputs across the suite, counted by hand (58; 51 distinct, as
# 3 ledgers and 4 keys are tried both in a unit test and through the
# binary).  Ordinary rule errors (37 more files in samples/invalid) and
# the ledger tampering cases (every byte changed) are not counted here.
#   11  this file: XXE, billion laughs, quadratic blow-up, external DTD and
#       external parameter entity (local listener: no connection),
#       XInclude, invalid UTF-8, UTF-16 without declaration, 64 MiB text
#       node, 100,000-deep nesting, batch id with path separators
#    8  samples/invalid (tests/cmd/validate-t.sh): doctype,
#       doctype-external-entity, invalid-utf8, not-well-formed,
#       bad-id-path, bad-id-too-long, amount-overflow, bad-date-feb30
#   13  tests/cmd/hostile-files-t.sh: a FIFO as a file and in a folder, a
#       folder named *.xml, an empty file, NUL bytes, a 2 GiB sparse file;
#       a ledger that is a symlink, owned by another user, hard-linked;
#       through `mandate run`: key mode 0644, wrong PKCS#12 password,
#       certificate not matching the key, expired certificate
#   14  tests/doc_sign-t.c: key and PKCS#12 readable by others, mismatched
#       certificate, wrong and unset PKCS#12 password, expired and not yet
#       valid certificates, missing key, certificate, chain and PKCS#12,
#       encrypted PEM, a file without a certificate, an Ed25519 key
#    6  tests/ledger_store-t.c: a ledger that is a symlink, a directory, a
#       FIFO, missing (for a reader), hard-linked, owned by another user
#    6  tests/xml_safe-t.c: wide-tree bombs against the node budget --
#       tiny elements, elements with text, comments, processing
#       instructions, attributes, namespace declarations (at full size,
#       2^24 nodes: tests/stress/node-bomb.sh, not in make check)
. "${srcdir:-.}/tests/lib.sh"
scratch
PY=/usr/bin/python3
MARKER="SECRET-MARKER-7f3a9c"
echo "$MARKER" >"$tmp/secret.txt"

head='<?xml version="1.0" encoding="UTF-8"?>'
open='<batch xmlns="urn:mandate:orders:1" id="H1" issued="2026-11-20T22:00:00Z">'
order_with_title() {  # the title element's content
	cat <<XML
  <order id="O1"><client id="C1" lang="en"><name>Acme</name></client>
    <kind>legal</kind><title>$1</title><description>d</description>
    <received>2026-11-02</received></order>
XML
}

# refused NAME FILE EXPECTED-MESSAGE-SUBSTRING
refused() {
	rss_kb=0
	if [ -x /usr/bin/time ]; then
		timeout 60 /usr/bin/time -f '%M' -o "$tmp/rss" "$MANDATE" \
			validate "$2" >"$tmp/out" 2>"$tmp/err"
		status=$?
		rss_kb=$(tail -n 1 "$tmp/rss")
	else
		timeout 60 "$MANDATE" validate "$2" >"$tmp/out" 2>"$tmp/err"
		status=$?
	fi
	is 1 "$status" "$1: refused with exit 1 (in under 60 s)"
	grep -q -- "$3" "$tmp/err"
	ok $? "$1: says '$3'"
	grep -q "^mandate: $2:[0-9]*: error: " "$tmp/err"
	ok $? "$1: message is file:line: error:"
	! grep -q "$MARKER" "$tmp/out" "$tmp/err"
	ok $? "$1: the secret file's content is not echoed"
	[ "${rss_kb:-0}" -lt 131072 ]
	ok $? "$1: peak memory ${rss_kb} KiB < 128 MiB"
}

# XXE: an external entity that would read a local file.
{ echo "$head"
  echo "<!DOCTYPE batch [<!ENTITY x SYSTEM \"file://$tmp/secret.txt\">]>"
  echo "$open"; order_with_title '&x;'; echo '</batch>'; } >"$tmp/xxe.xml"
refused "XXE" "$tmp/xxe.xml" "DOCTYPE is not allowed"

# Billion laughs.
{ echo "$head"
  echo '<!DOCTYPE batch ['
  echo '<!ENTITY a "lollollollollollollollollollol">'
  prev=a
  for e in b c d e f g h i j; do
	echo "<!ENTITY $e \"&$prev;&$prev;&$prev;&$prev;&$prev;&$prev;&$prev;&$prev;&$prev;&$prev;\">"
	prev=$e
  done
  echo ']>'
  echo "$open"; order_with_title '&j;'; echo '</batch>'; } >"$tmp/laughs.xml"
refused "billion laughs" "$tmp/laughs.xml" "DOCTYPE is not allowed"

# Quadratic blow-up: one large entity referenced many times.
{ echo "$head"
  printf '<!DOCTYPE batch [<!ENTITY q "%s">]>\n' \
	"$(head -c 100000 /dev/zero | tr '\0' 'q')"
  echo "$open"
  order_with_title "$(for i in $(seq 1 2000); do printf '&q;'; done)"
  echo '</batch>'; } >"$tmp/quadratic.xml"
refused "quadratic blow-up" "$tmp/quadratic.xml" "DOCTYPE is not allowed"

# An external DTD on a local listener: no connection may be made.
port_file="$tmp/port"
conn_file="$tmp/connections"
if [ -x "$PY" ]; then
	"$PY" - "$port_file" "$conn_file" <<'PYEOF' &
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5); s.settimeout(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
count = 0
try:
    while True:
        c, _ = s.accept(); count += 1; c.close()
except OSError:
    pass
open(sys.argv[2], "w").write(str(count))
PYEOF
	listener=$!
	for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$port_file" ] && break; sleep 0.2; done
	port=$(cat "$port_file")
	{ echo "$head"
	  echo "<!DOCTYPE batch SYSTEM \"http://127.0.0.1:$port/evil.dtd\">"
	  echo "$open"; order_with_title 't'; echo '</batch>'; } >"$tmp/extdtd.xml"
	refused "external DTD" "$tmp/extdtd.xml" "DOCTYPE is not allowed"
	{ echo "$head"
	  echo "<!DOCTYPE batch [<!ENTITY % p SYSTEM \"http://127.0.0.1:$port/p.dtd\"> %p;]>"
	  echo "$open"; order_with_title 't'; echo '</batch>'; } >"$tmp/param.xml"
	refused "external parameter entity" "$tmp/param.xml" "DOCTYPE is not allowed"
	wait $listener
	is 0 "$(cat "$conn_file")" "no connection reached the local listener"
else
	skip "python3 not installed: no listener"
fi

# XInclude is not processed: the element is simply not in our vocabulary.
{ echo "$head"; echo "$open"
  order_with_title "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"$tmp/secret.txt\" parse=\"text\"/>"
  echo '</batch>'; } >"$tmp/xinclude.xml"
refused "XInclude" "$tmp/xinclude.xml" "Element content is not allowed"

# Invalid UTF-8 and UTF-16 without a declaration.
{ echo "$head"; echo "$open"; order_with_title "$(printf 'bad \377\376 bytes')"
  echo '</batch>'; } >"$tmp/badutf8.xml"
refused "invalid UTF-8" "$tmp/badutf8.xml" "invalid UTF-8"
if command -v iconv >/dev/null; then
	{ echo "$open"; order_with_title 't'; echo '</batch>'; } |
		iconv -f UTF-8 -t UTF-16LE >"$tmp/utf16.xml"
	refused "UTF-16 without declaration" "$tmp/utf16.xml" "not UTF-8"
else
	skip "iconv not installed"
fi

# A 64 MiB text node.
{ echo "$head"; echo "$open"
  printf '  <order id="O1"><client id="C1" lang="en"><name>Acme</name></client><kind>legal</kind><title>'
  head -c 67108864 /dev/zero | tr '\0' 'x'
  printf '</title><description>d</description><received>2026-11-02</received></order>\n</batch>\n'
} >"$tmp/huge.xml"
refused "64 MiB text node" "$tmp/huge.xml" "error"
rm -f "$tmp/huge.xml"

# 100,000-deep nesting.
{ echo "$head"; echo "$open"
  head -c 100000 /dev/zero | sed 's/\x0/<a>/g'
  head -c 100000 /dev/zero | sed 's/\x0/<\/a>/g'
  echo '</batch>'; } >"$tmp/deep.xml"
refused "100,000-deep nesting" "$tmp/deep.xml" "error"

# Ids that would escape the output folder are refused by the schema.
{ echo "$head"; echo "$open" | sed 's/id="H1"/id="..\/..\/etc"/'
  echo '</batch>'; } >"$tmp/pathid.xml"
refused "batch id with path separators" "$tmp/pathid.xml" "pattern"

done_testing
