#!/bin/sh
# I/O fault injection: mandate run over the sample days with the N-th
# file-system write call (open for writing, write, fsync, rename, ftruncate
# under the run's folder; see tests/faultshim.c) failing, for each N.
# Each time: exit 4, a ledger that verifies and holds whole batches only (a
# committed prefix of the clean run's ledger), no final-named file that is
# not exactly the clean run's, no temporary left behind; then a clean re-run
# exits 0 and ends byte for byte where a run that never failed ends.
#
# With FAULT_ACTION=kill (tests/cmd/crashes-t.sh) the process is killed
# with SIGKILL just before the N-th call instead: a crash after each call.
# Then the run dies (137), the ledger may keep an uncommitted tail (verify
# exits 0 and reports it) and temporaries may be left; everything else is
# checked the same, and the re-run must roll back, clean up and end
# identical to a run that never crashed.
#
# make check walks every call up to FAULT_CAP (400), then a stride so that
# about FAULT_CAP more points are exercised; FAULT_FULL=1 walks them all:
#   make check TESTS=tests/cmd/faults-t.sh FAULT_FULL=1
. "${srcdir:-.}/tests/lib.sh"

ACTION=${FAULT_ACTION:-fail}
case $ACTION in
fail) what="fault"; expected_rc=4 ;;
kill) what="crash"; expected_rc=137 ;;
*) bail "FAULT_ACTION must be fail or kill" ;;
esac

SHIM="$builddir/tests/faultshim.so"
if [ ! -f "$SHIM" ]; then
	echo "1..0 # SKIP tests/faultshim.so not built"
	exit 0
fi
case $SHIM in /*) ;; *) SHIM="$(pwd)/$SHIM" ;; esac
# A sanitizer build (--enable-sanitizers) needs ASan's runtime first in the
# preload list; the shim then sits between ASan's interceptors and libc.
asan=$(ldd "$MANDATE" 2>/dev/null | awk '/libasan/ {print $3; exit}')
[ -z "$asan" ] || SHIM="$asan $SHIM"
scratch
tmp=$(cd "$tmp" && pwd -P)
PY=/usr/bin/python3
AS_OF="--as-of 2026-11-26"
CAP=${FAULT_CAP:-400}
sh "$srcdir/samples/make-demo-key.sh" "$tmp/key" >/dev/null 2>&1 || bail "no demo key"
SIGN="--key $tmp/key/demo-key.pem --cert $tmp/key/demo-cert.pem"

# FAULT_INPUT=DIR walks a run over DIR's *.xml instead of the sample days
# (tests/stress/fault-walk.sh); the as-of date stays 2026-11-26.
fresh() {  # fresh DIR: the batches in DIR/in
	rm -rf "$1"; mkdir -p "$1/in"
	if [ -n "${FAULT_INPUT:-}" ]; then
		cp "$FAULT_INPUT"/*.xml "$1/in/"
	else
		cp "$srcdir"/samples/day-0*.xml "$1/in/"
	fi
}
# run DIR [VAR=VALUE...]: the nightly job over DIR/in, -j 1 (no worker
# processes, so the order of the I/O calls is the same every time)
run() {
	d=$1; shift
	env "$@" "$MANDATE" -q run --ledger "$d/books" --out "$d/out" $AS_OF \
		$SIGN -j 1 "$d/in" >"$d.stdout" 2>"$d.stderr"
}
shimmed() {  # shimmed DIR VAR=VALUE...: run DIR under the shim, root DIR
	d=$1; shift
	run "$d" LD_PRELOAD="$SHIM" FAULT_ROOT="$d" "$@"
}
finals() {  # the final-named files under DIR/out, sorted
	(cd "$1/out" 2>/dev/null && find . -type f ! -name '*.tmp' \
		! -name '*.tmp[0-9]*' ! -path './.xlsx-tmp/*' | LC_ALL=C sort)
}
temps() {  # temporaries left under DIR/out
	(cd "$1/out" 2>/dev/null && find . \( -name '*.tmp' -o -name '*.tmp[0-9]*' \
		-o -path './.xlsx-tmp/*' \) -print | LC_ALL=C sort)
}

# The reference: a clean run, counting its I/O calls.
ref=$tmp/ref
fresh "$ref"
shimmed "$ref" FAULT_COUNT_FILE="$tmp/count" FAULT_TRACE="$tmp/trace"
is 0 $? "a clean run under the shim: exit 0"
total=$(cat "$tmp/count" 2>/dev/null)
[ -n "$total" ] && [ "$total" -gt 0 ]
ok $? "the shim counted its I/O calls"
[ -n "$total" ] && [ "$total" -gt 0 ] || done_testing
diag "a run of the sample days makes $total I/O calls:" \
	"$(awk '{print $2}' "$tmp/trace" | sort | uniq -c | tr -s ' ' | tr '\n' ',' | sed 's/,$//')"
fresh "$tmp/plain"
run "$tmp/plain"
cmp -s "$tmp/plain/books" "$ref/books" &&
	diff -r -x run.json "$tmp/plain/out" "$ref/out" >/dev/null
ok $? "the shim changes nothing: the same ledger and output as without it"
fresh "$tmp/again"
shimmed "$tmp/again" FAULT_COUNT_FILE="$tmp/count2"
is "$total" "$(cat "$tmp/count2")" "a second clean run makes the same number of calls"

# The points to walk.
if [ "${FAULT_FULL:-0}" = 1 ] || [ "$total" -le "$CAP" ]; then
	points=$(seq 1 "$total")
else
	stride=$(( (total - CAP + CAP - 1) / CAP ))
	[ "$stride" -ge 1 ] || stride=1
	points=$( { seq 1 "$CAP"; seq $((CAP + stride)) "$stride" "$total"; echo "$total"; } | sort -nu)
fi

walked=0; tolerated=0; tails=0; temps_after_kill=0; scratch_points=0; bad_scratch=0; bad_exit=0; bad_hit=0; bad_verify=0; bad_prefix=0; bad_final=0
bad_temp=0; bad_json=0; bad_rerun=0; bad_same=0
p=$tmp/p
started=$(date +%s)
note() {  # note COUNTER MESSAGE: count a failure at this point, say why
	# A fault in libxlsxwriter's scratch files is counted apart as well
	# (the last check), to show that case was exercised and handled.
	if [ "$in_scratch" = 1 ]; then
		[ "$scratch_bad_here" = 1 ] || bad_scratch=$((bad_scratch + 1))
		scratch_bad_here=1
	else
		eval "$1=\$(($1 + 1))"
	fi
	diag "fault $n ($(cat "$tmp/fault.log" 2>/dev/null | cut -d' ' -f2- | sed "s|$p/||")): $2"
}
for n in $points; do
	walked=$((walked + 1))
	case $((n % 3)) in 0) e=EIO ;; 1) e=ENOSPC ;; *) e=EFBIG ;; esac
	fresh "$p"
	rm -f "$tmp/fault.log"
	shimmed "$p" FAULT_AT="$n" FAULT_ERRNO="$e" FAULT_LOG="$tmp/fault.log" \
		FAULT_ACTION="$ACTION"
	rc=$?
	in_scratch=0; scratch_bad_here=0
	if [ "$ACTION" = fail ] &&
	   grep -q '/out/\.xlsx-tmp/' "$tmp/fault.log" 2>/dev/null; then
		in_scratch=1; scratch_points=$((scratch_points + 1))
	fi
	[ -s "$tmp/fault.log" ] || note bad_hit "the fault was never reached"
	if [ "$rc" -eq 0 ] && [ "$ACTION" = fail ]; then
		# Tolerated only if the run did all it should have: the clean
		# run's ledger and output, byte for byte.
		if cmp -s "$p/books" "$ref/books" &&
		   diff -r -x run.json "$p/out" "$ref/out" >/dev/null; then
			tolerated=$((tolerated + 1))
			diag "fault $n ($(cut -d' ' -f2- "$tmp/fault.log" | sed "s|$p/||")): tolerated, exit 0 with the clean run's output"
		else
			note bad_exit "exit 0, yet the ledger or output is not the clean run's"
		fi
	elif [ "$rc" -ne "$expected_rc" ]; then
		note bad_exit "exit $rc, not $expected_rc: $(head -c 300 "$p.stderr")"
	fi
	if [ -e "$p/books" ]; then
		"$MANDATE" verify --ledger "$p/books" >"$tmp/v.out" 2>&1 ||
			note bad_verify "the ledger does not verify: $(head -c 300 "$tmp/v.out")"
		if grep -q uncommitted "$tmp/v.out"; then
			if [ "$ACTION" = kill ]; then
				tails=$((tails + 1))
			else
				note bad_verify "an uncommitted tail is left: $(head -c 300 "$tmp/v.out")"
			fi
		fi
		size=$(wc -c <"$p/books")
		cmp -s -n "$size" "$p/books" "$ref/books" ||
			note bad_prefix "the ledger is not a prefix of the clean run's"
	fi
	for f in $(finals "$p"); do
		case $f in
		./run.json)
			if [ -x "$PY" ]; then
				"$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' \
					"$p/out/$f" 2>/dev/null ||
					note bad_json "run.json is not whole JSON"
			fi ;;
		*)
			cmp -s "$p/out/$f" "$ref/out/$f" ||
				note bad_final "$f is not the clean run's file (partial?)" ;;
		esac
	done
	left=$(temps "$p")
	if [ -n "$left" ]; then
		if [ "$ACTION" = kill ]; then
			temps_after_kill=$((temps_after_kill + 1))
		else
			note bad_temp "temporaries left: $(echo $left)"
		fi
	fi
	run "$p"
	rc=$?
	left=$(temps "$p")
	[ -z "$left" ] || note bad_temp "temporaries left after the re-run: $(echo $left)"
	[ "$rc" -eq 0 ] || note bad_rerun "the clean re-run exits $rc: $(head -c 300 "$p.stderr")"
	cmp -s "$p/books" "$ref/books" &&
		diff -r -x run.json "$p/out" "$ref/out" >/dev/null ||
		note bad_same "after the re-run the ledger or output differs from a clean run"
done
elapsed=$(( $(date +%s) - started ))

if [ "$ACTION" = fail ]; then
	diag "fault points exercised: $walked of $total I/O calls ($elapsed s);" \
		"$tolerated tolerated (exit 0, output whole);" \
		"$scratch_points in libxlsxwriter's scratch files, $bad_scratch of them mishandled"
	is 0 $bad_hit "every injected fault was reached"
	is 0 $bad_exit "every run with a failing I/O call exits 4 (or 0 with all its output whole)"
	is 0 $bad_verify "every ledger left behind verifies, with no uncommitted tail"
	is 0 $bad_prefix "every ledger left behind holds whole batches of the clean run"
	is 0 $bad_temp "no temporary file is left behind"
else
	diag "crash points exercised: $walked of $total I/O calls ($elapsed s);" \
		"$tails left an uncommitted ledger tail, $temps_after_kill left temporaries" \
		"(both cleaned up by the re-run)"
	is 0 $bad_hit "every crash point was reached"
	is 0 $bad_exit "every run killed at an I/O call died of SIGKILL"
	is 0 $bad_verify "every ledger left behind verifies (an uncommitted tail allowed)"
	is 0 $bad_prefix "every ledger left behind is a prefix of the clean run's"
	is 0 $bad_temp "the re-run leaves no temporary file behind"
fi
is 0 $bad_final "no final-named document or workbook is partial"
is 0 $bad_json "no run.json is partial"
is 0 $bad_rerun "every clean re-run exits 0"
is 0 $bad_same "and ends with exactly the clean run's ledger, documents and workbooks"
[ "$ACTION" = fail ] || done_testing
# libxlsxwriter 1.1.4 does not check its writes to the scratch files in
# OUT/.xlsx-tmp; report_output.c reads each workbook back (xlsx_check.c)
# before it is renamed, so such a fault must end like any other: exit 4.
is 0 "$bad_scratch" "a failing write to libxlsxwriter's scratch files is caught ($scratch_points points)"
done_testing
