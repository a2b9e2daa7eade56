#!/bin/sh
# Wide-tree bombs at full size (the short version, under a budget of 1,000
# nodes, is tests/xml_safe-t.c): files of millions of tiny nodes, each
# refused by the node budget (2^24) with exit 1, in bounded memory.
#
#   tests/stress/node-bomb.sh [TMPDIR]       default /var/tmp; ~600 MB of disk
#
# Environment: MANDATE (default ./mandate), MANDATE_DATADIR (default .),
# MAX_MIB (the peak RSS allowed, default 4096).
set -u
PARENT=${1:-/var/tmp}
MANDATE=${MANDATE:-./mandate}
export MANDATE_DATADIR=${MANDATE_DATADIR:-.}
MAX_MIB=${MAX_MIB:-4096}
tmp=$(mktemp -d "$PARENT/mandate-bomb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0

# bomb NAME UNIT BYTES: a batch whose one title holds BYTES of UNIT.
bomb() {
	/usr/bin/python3 - "$tmp/$1.xml" "$2" "$3" <<'PYEOF'
import sys
path, unit, size = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
with open(path, "wb") as f:
    f.write(b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<batch xmlns="urn:mandate:orders:1" id="B1" '
            b'issued="2026-11-20T22:00:00Z">\n<order id="O1"><client id="C1" '
            b'lang="en"><name>Acme</name></client><kind>legal</kind><title>')
    block = unit * (1048576 // len(unit))
    for _ in range(size // len(block)):
        f.write(block)
    f.write(b'</title><description>d</description>'
            b'<received>2026-11-02</received></order>\n</batch>\n')
PYEOF
	/usr/bin/time -f '%e %M' -o "$tmp/time" "$MANDATE" validate \
		"$tmp/$1.xml" >/dev/null 2>"$tmp/err"
	status=$?
	set -- "$1" "$(stat -c %s "$tmp/$1.xml")" $(tail -n 1 "$tmp/time")
	printf '%-12s %5d MiB file  %6s s  %5d MiB peak  exit %s\n' "$1" \
		$(($2 / 1048576)) "$3" $(($4 / 1024)) "$status"
	[ "$status" = 1 ] && [ $(($4 / 1024)) -lt "$MAX_MIB" ] &&
		grep -q "error: more than 16777216 XML nodes" "$tmp/err" ||
		{ failed=$((failed + 1)); echo "FAIL: $1"; head -3 "$tmp/err"; }
	rm -f "$tmp/$1.xml"
}

bomb elements '<a/>' $((68 * 1048576))
bomb text '<a/>x' $((128 * 1048576))
bomb comments '<!---->' $((128 * 1048576))
bomb attributes '<a b="" c="" d="" e=""/>' $((128 * 1048576))
[ "$failed" -eq 0 ] && echo "ok: every bomb refused by the node budget under $MAX_MIB MiB"
