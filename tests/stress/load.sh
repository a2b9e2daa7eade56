#!/bin/sh
# The load test (not in make check): a day of OPS operations through the
# nightly job, twice -- as one batch file and as 1,000 batch files --
# recording wall time and peak RSS of every phase, and checking the result.
#
#   tests/stress/load.sh [OPS] [TMPDIR]      default 1000000 operations, /var/tmp
#
# OPS operations: about OPS/4 new orders and 3 follow-ups each (advance,
# progress, cost, payment, amend, cancel); about 1 order in 100 reaches
# fixation, so the day calls for about OPS/220 signed documents
# (agreements, amendments, acts).  All of it is valid: every phase must
# exit 0 and book everything.  TMPDIR should be on a disk, not in RAM
# (check `df`): a 1,000,000-operation day needs about 3 GB there.
#
# Phases, each under /usr/bin/time: validate; run (book, render, report:
# the nightly job, with the demo key); render again into a fresh folder
# and report again (for their own peak RSS; the outputs must equal run's
# byte for byte); verify.  Checks: verify exits 0 and reports the expected
# batches and records; the PDF count per kind; pdfsig on a sample of 12
# documents; both workbooks open in openpyxl with one Orders row per order.
#
# Environment: MANDATE (default ./mandate), MANDATE_DATADIR (default .),
# JOBS (--jobs, default: the number of CPUs), KEEP=1 keeps the folder.
set -u
OPS=${1:-1000000}
PARENT=${2:-/var/tmp}
MANDATE=${MANDATE:-./mandate}
export MANDATE_DATADIR=${MANDATE_DATADIR:-.}
JOBS=${JOBS:-$(nproc)}
AS_OF=2026-11-26
here=$(dirname "$0")
PY=/usr/bin/python3
tmp=$(mktemp -d "$PARENT/mandate-load.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

sh "$MANDATE_DATADIR/samples/make-demo-key.sh" "$tmp/key" >/dev/null 2>&1 ||
	{ echo "cannot make the demo key"; exit 1; }
SIGN="--key $tmp/key/demo-key.pem --cert $tmp/key/demo-cert.pem"
df -h "$tmp" | sed 's/^/# /'
echo "# $("$MANDATE" --version), $OPS operations, --jobs $JOBS, $(nproc) CPUs, as of $AS_OF"
printf '%-10s %-9s %9s %10s  %s\n' shape phase seconds "peak MiB" exit

# timed SHAPE PHASE EXPECTED-EXIT COMMAND...: runs it, prints its line.
timed() {
	shape=$1 phase=$2 want=$3
	shift 3
	/usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >"$tmp/$shape.$phase.out" \
		2>"$tmp/$shape.$phase.err"
	status=$?
	set -- $(tail -n 1 "$tmp/time")
	printf '%-10s %-9s %9s %10d  %s\n' "$shape" "$phase" "$1" \
		$(($2 / 1024)) "$status"
	[ "$status" = "$want" ] || { fail "$shape $phase exit $status"; \
		tail -n 5 "$tmp/$shape.$phase.err"; }
}

# shape NAME BATCHES
shape() {
	name=$1
	d="$tmp/$name"
	mkdir -p "$d"
	start=$(date +%s.%N)
	"$PY" "$here/gen-load.py" "$OPS" "$2" "$d/in" >"$d/expected" ||
		{ fail "$name: generator"; return; }
	printf '%-10s %-9s %9.2f %10s  %s\n' "$name" generate \
		"$(awk "BEGIN { print $(date +%s.%N) - $start }")" - \
		"$(du -sh "$d/in" | cut -f1)"
	. "$d/expected"
	L="$d/books.ledger"
	timed "$name" validate 0 "$MANDATE" -q validate --as-of "$AS_OF" \
		--jobs "$JOBS" "$d/in"
	timed "$name" run 0 "$MANDATE" run --ledger "$L" --out "$d/out" \
		--reject-dir "$d/rejected" --as-of "$AS_OF" --jobs "$JOBS" $SIGN "$d/in"
	sed -n '/"seconds"/,/}/p' "$d/out/run.json" | tr -d '\n ' |
		sed 's/^/# run.json /; s/$/\n/'
	timed "$name" render 0 "$MANDATE" render --ledger "$L" --out "$d/again" \
		--as-of "$AS_OF" --jobs "$JOBS" $SIGN
	timed "$name" report 0 "$MANDATE" report --ledger "$L" --out "$d/again" \
		--as-of "$AS_OF"
	timed "$name" verify 0 "$MANDATE" verify --ledger "$L"

	# The books: every batch, every record.
	grep -q "^verify: ok: $batches batches; head $records:" \
		"$tmp/$name.verify.out" ||
		fail "$name: verify says '$(cat "$tmp/$name.verify.out")'," \
		     "expected $batches batches, $records records"
	[ "$(wc -l <"$L")" -eq "$records" ] || fail "$name: ledger line count"
	grep -q "run: $batches booked, 0 already booked, 0 rejected, 0 unreadable; $pdfs documents written; exit 0" \
		"$tmp/$name.run.out" || fail "$name: run says '$(cat "$tmp/$name.run.out")'"
	# The documents: as many as the day calls for, per kind, signed.
	for kind in agreement amendment act; do
		eval want=\$$kind
		got=$(find "$d/out/pdf" -name "*-$kind.pdf" | wc -l)
		[ "$got" -eq "$want" ] || fail "$name: $got ${kind}s, expected $want"
	done
	diff -r -q "$d/out/pdf" "$d/again/pdf" >/dev/null ||
		fail "$name: render differs from run's documents"
	cmp -s "$d/out/status.xlsx" "$d/again/status.xlsx" &&
		cmp -s "$d/out/performance.xlsx" "$d/again/performance.xlsx" ||
		fail "$name: report differs from run's workbooks"
	if command -v pdfsig >/dev/null; then
		find "$d/out/pdf" -name '*.pdf' | LC_ALL=C sort >"$d/pdfs"
		n=$(wc -l <"$d/pdfs")
		sampled=0 valid=0
		for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
			f=$(sed -n "$(( (k * n + 12) / 13 ))p" "$d/pdfs")
			[ -n "$f" ] || continue
			sampled=$((sampled + 1))
			pdfsig "$f" 2>&1 | grep -q 'Signature is Valid' &&
				valid=$((valid + 1))
		done
		echo "# $name: pdfsig: $valid of $sampled sampled documents valid"
		[ "$valid" -eq "$sampled" ] || fail "$name: pdfsig"
	fi
	# The workbooks open, with one Orders row per order.
	"$PY" - "$d/out" "$orders" <<'PYEOF' || fail "$name: openpyxl"
import re, sys, openpyxl
out, orders = sys.argv[1], int(sys.argv[2])
wb = openpyxl.load_workbook(out + "/status.xlsx", read_only=True)
ids = re.compile(r"L[0-9]{7}$")
rows = sum(1 for (a,) in wb["Orders"].iter_rows(min_col=1, max_col=1, values_only=True)
           if isinstance(a, str) and ids.match(a))
wb.close()
perf = openpyxl.load_workbook(out + "/performance.xlsx", read_only=True)
sheets = len(perf.sheetnames)
perf.close()
print("# openpyxl: status.xlsx Orders has %d order rows (expected %d); "
      "performance.xlsx has %d sheets" % (rows, orders, sheets))
sys.exit(0 if rows == orders else 1)
PYEOF
	echo "# $name: $ops operations, $orders orders, $batches batches, $records ledger records ($(du -h "$L" | cut -f1)), $pdfs documents ($agreement agreements, $amendment amendments, $act acts)"
	rm -rf "$d/again"
}

shape one-batch 1
shape 1000-files 1000
if [ "$failed" -eq 0 ]; then
	echo "ok: both shapes booked, rendered, reported and verified"
else
	echo "FAIL: $failed checks failed${KEEP:+; kept $tmp}"
	exit 1
fi
