#!/bin/sh
# mandate report: status.xlsx and performance.xlsx from the samples' ledger
# (plus tests/data/report/extra.xml: older months, JPY, "=" text), checked
# with openpyxl against KPIs computed independently from the XML
# (tests/report-check.py), against ledger-cli's balances, and against
# LibreOffice recalculating every formula.  Exit codes, atomic output,
# byte-identical reruns.
. "${srcdir:-.}/tests/lib.sh"
scratch

PY=/usr/bin/python3
CHECK="$srcdir/tests/report-check.py"
AS_OF=2026-11-26
L=$tmp/books.ledger
batches="$srcdir/samples/day-01.xml $srcdir/samples/day-02.xml
$srcdir/samples/day-03.xml $srcdir/samples/day-04.xml
$srcdir/samples/day-05.xml $srcdir/tests/data/report/extra.xml"

have_openpyxl() { $PY -c 'import openpyxl' 2>/dev/null; }

# Runs report-check.py and turns its "ok<TAB>what" lines into TAP.
check() {
	name=$1
	shift
	if ! have_openpyxl; then
		skip "$name: no openpyxl for $PY"
		return
	fi
	$PY "$CHECK" "$@" >"$tmp/check.out" 2>&1
	rc=$?
	n=0
	while IFS= read -r line; do
		case $line in
		"ok	"*) ok 0 "${line#ok	}"; n=$((n + 1)) ;;
		"not ok	"*) ok 1 "${line#not ok	}"; n=$((n + 1)) ;;
		"#"*) printf '%s\n' "$line" ;;
		*) printf '# %s\n' "$line" ;;
		esac
	done <"$tmp/check.out"
	if [ "$n" -eq 0 ] || [ "$rc" -ne 0 ]; then
		ok 1 "$name: report-check.py ran to the end (exit $rc)"
	fi
}

# ---- build the books and the reports ----------------------------------------

# shellcheck disable=SC2086
"$MANDATE" -q apply --ledger "$L" --as-of $AS_OF $batches >"$tmp/out" 2>&1
ok $? "the samples and the report test batch are booked"

"$MANDATE" report --ledger "$L" --out "$tmp/r1" --as-of $AS_OF \
	>"$tmp/out" 2>"$tmp/err"
ok $? "report exits 0"
is "report: 12 orders as of 2026-11-26 (0 operations dated later ignored): $tmp/r1/status.xlsx, $tmp/r1/performance.xlsx" \
	"$(cat "$tmp/out")" "report prints a one-line summary"
is "" "$(cat "$tmp/err")" "report writes nothing on stderr"
is "performance.xlsx status.xlsx" "$(cd "$tmp/r1" && echo *)" \
	"the out directory holds the two workbooks and no temporary file"

# Reproducible: the same ledger and date give the same bytes, whatever the
# time zone, the time of day or the locale in the environment.
sleep 1
TZ=Pacific/Kiritimati LC_ALL=C.UTF-8 LC_NUMERIC=C.UTF-8 "$MANDATE" -q report \
	--ledger "$L" --out "$tmp/r2" --as-of $AS_OF
cmp -s "$tmp/r1/status.xlsx" "$tmp/r2/status.xlsx" &&
	cmp -s "$tmp/r1/performance.xlsx" "$tmp/r2/performance.xlsx"
ok $? "a second run writes byte-identical workbooks"
# Comma-decimal locales (compiled here when the system has none): numbers
# must still be written with a point.  (main keeps the C locale today;
# report sets LC_NUMERIC to "C" while writing in any case.)
mkdir -p "$tmp/locale"
for loc in ru_RU de_DE; do
	if command -v localedef >/dev/null &&
		localedef -i $loc -f UTF-8 "$tmp/locale/$loc.UTF-8" 2>/dev/null; then
		LOCPATH=$tmp/locale LC_ALL=$loc.UTF-8 "$MANDATE" -q report \
			--ledger "$L" --out "$tmp/r-$loc" --as-of $AS_OF &&
			cmp -s "$tmp/r1/status.xlsx" "$tmp/r-$loc/status.xlsx" &&
			cmp -s "$tmp/r1/performance.xlsx" "$tmp/r-$loc/performance.xlsx"
		ok $? "under LC_ALL=$loc.UTF-8 the bytes are the same"
	else
		skip "cannot make the $loc.UTF-8 locale"
	fi
done

# ---- ledger-cli's balances, for the Trial balance --------------------------------

bal=""
if command -v ledger >/dev/null; then
	"$MANDATE" export --ledger "$L" --format ledger -o "$tmp/j.ledger"
	ok $? "the books are exported for ledger-cli"
	# ledger_bal END FILE: "account<TAB>amount currency" before END.
	ledger_bal() {
		for cur in EUR JPY RUB USD; do
			ledger -f "$tmp/j.ledger" bal --flat --no-total -e "$1" \
				-l "commodity == \"$cur\"" \
				--balance-format '%(account)\t%(scrub(display_total))\n'
		done | LC_ALL=C sort >"$2"
	}
	ledger_bal 2026-11-27 "$tmp/bal-26"
	ledger_bal 2026-11-21 "$tmp/bal-20"
	bal=yes
else
	skip "ledger-cli is not installed"
fi

# ---- openpyxl: the workbooks against the XML ----------------------------------------

# shellcheck disable=SC2086
check "status and performance as of $AS_OF" check \
	--status "$tmp/r1/status.xlsx" --performance "$tmp/r1/performance.xlsx" \
	--as-of $AS_OF ${bal:+--ledger-bal "$tmp/bal-26"} $batches

# As of an earlier date, what was booked for later dates does not count.
"$MANDATE" -q report --ledger "$L" --out "$tmp/r20" --as-of 2026-11-20
ok $? "report --as-of 2026-11-20 exits 0"
# shellcheck disable=SC2086
check "status and performance as of 2026-11-20" check \
	--status "$tmp/r20/status.xlsx" --performance "$tmp/r20/performance.xlsx" \
	--as-of 2026-11-20 ${bal:+--ledger-bal "$tmp/bal-20"} $batches

# ---- LibreOffice, recalculating every formula ---------------------------------------

# A fresh profile with OOXMLRecalcMode=0 ("always"): LibreOffice 7.4 never
# recalculates an .xlsx by default and would just show the cached values.
lo_csv() {  # lo_csv OUTDIR FILE...
	out=$1
	shift
	mkdir -p "$tmp/lo-profile/user" "$out"
	cat >"$tmp/lo-profile/user/registrymodifications.xcu" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
EOF
	# raw values (not as shown), every sheet, UTF-8
	HOME=$tmp soffice "-env:UserInstallation=file://$tmp/lo-profile" \
		--headless --convert-to \
		'csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,true,true,false,false,false,-1' \
		--outdir "$out" "$@" >"$tmp/lo.out" 2>&1
}

if command -v soffice >/dev/null && have_openpyxl; then
	$PY "$CHECK" canary --status "$tmp/r1/status.xlsx" \
		--out "$tmp/canary.xlsx" >/dev/null
	lo_csv "$tmp/lo" "$tmp/r1/status.xlsx" "$tmp/r1/performance.xlsx" \
		"$tmp/canary.xlsx"
	ok $? "LibreOffice converts the workbooks to CSV"
	check "canary" canary-check --lo-dir "$tmp/lo"
	check "LibreOffice" recalc --status "$tmp/r1/status.xlsx" \
		--performance "$tmp/r1/performance.xlsx" --lo-dir "$tmp/lo"
else
	skip "LibreOffice (soffice) or openpyxl is not installed"
fi

# ---- exit codes -------------------------------------------------------------------------

"$MANDATE" report --ledger "$L" >/dev/null 2>"$tmp/err"
is 2 $? "no --out: usage error (2)"
"$MANDATE" report --ledger "$L" --out "$tmp/x" --as-of 2026-02-30 \
	>/dev/null 2>"$tmp/err"
is 2 $? "a date that does not exist: usage error (2)"
is "mandate: error: --as-of '2026-02-30' is not a date YYYY-MM-DD" \
	"$(cat "$tmp/err")" "... with the usual message"
"$MANDATE" report --ledger "$tmp/none.ledger" --out "$tmp/x" >/dev/null 2>&1
is 4 $? "a ledger that does not exist: environment error (4)"
: >"$tmp/file"
"$MANDATE" report --ledger "$L" --out "$tmp/file" >/dev/null 2>"$tmp/err"
is 4 $? "an out path that is a file: environment error (4)"
is "mandate: $tmp/file: error: not a directory" "$(cat "$tmp/err")" \
	"... naming it"

# A ledger whose first batch books no money (no posting at all when its
# events are delivered), and a DIR made for a ledger that fails to load is
# removed again.
cat >"$tmp/nomoney.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<batch xmlns="urn:mandate:orders:1" id="B-NO-MONEY" issued="2026-11-16T21:00:00Z">
  <order id="NM-1">
    <client id="NM" lang="en"><name>No Money Ltd</name></client>
    <kind>other</kind>
    <title>An order without a price</title>
    <description>Nothing booked in money yet.</description>
    <received>2026-11-05</received>
  </order>
</batch>
EOF
"$MANDATE" -q apply --ledger "$tmp/nomoney.ledger" --as-of $AS_OF \
	"$tmp/nomoney.xml" &&
	"$MANDATE" -q report --ledger "$tmp/nomoney.ledger" --out "$tmp/nm" \
		--as-of $AS_OF && [ -s "$tmp/nm/status.xlsx" ]
ok $? "a ledger without any posting: report exits 0"
"$MANDATE" -q report --ledger "$tmp/no-such.ledger" --out "$tmp/nodir" \
	2>/dev/null
is 4 $? "a missing ledger: environment error (4)"
[ ! -e "$tmp/nodir" ]
ok $? "... and the out folder made for it is gone again"

cp "$L" "$tmp/bad.ledger"
sed -i 's/B-2026-11-18/B-2026-11-19/' "$tmp/bad.ledger"
"$MANDATE" report --ledger "$tmp/bad.ledger" --out "$tmp/bad" >/dev/null \
	2>"$tmp/err"
is 3 $? "a tampered ledger: integrity failure (3)"
[ ! -e "$tmp/bad/status.xlsx" ]
ok $? "... and no workbook is written"

if command -v flock >/dev/null; then
	flock -x "$L" sh -c "'$MANDATE' report --ledger '$L' --out '$tmp/locked'" \
		>/dev/null 2>"$tmp/err"
	is 4 $? "a ledger being written: environment error (4)"
	grep -q "is being written by another run" "$tmp/err"
	ok $? "... saying so"
else
	skip "no flock(1)"
fi

# An existing report is replaced whole: a failed run leaves the old one.
cp "$tmp/r1/status.xlsx" "$tmp/old.xlsx"
"$MANDATE" -q report --ledger "$tmp/bad.ledger" --out "$tmp/r1" 2>/dev/null
cmp -s "$tmp/old.xlsx" "$tmp/r1/status.xlsx" &&
	[ ! -e "$tmp/r1/status.xlsx.tmp" ]
ok $? "a failed run leaves the previous report untouched"

# One writer per output folder: a report into a folder another run is
# writing fails at once (two would rename each other's NAME.tmp files).
if command -v flock >/dev/null; then
	flock -x "$tmp/r1" sh -c "'$MANDATE' report --ledger '$L' \
		--out '$tmp/r1' --as-of $AS_OF" >/dev/null 2>"$tmp/err"
	is 4 $? "an output folder being written by another run: exit 4"
	is "mandate: $tmp/r1: error: output folder is being written by another run" \
		"$(cat "$tmp/err")" "... saying so"
	cmp -s "$tmp/old.xlsx" "$tmp/r1/status.xlsx" &&
		[ "$(cd "$tmp/r1" && echo *)" = "performance.xlsx status.xlsx" ]
	ok $? "... leaving the workbooks there untouched"
else
	skip "no flock(1)"; skip "no flock(1)"; skip "no flock(1)"
fi

done_testing
