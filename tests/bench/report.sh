#!/bin/bash
# Benchmark (SPEC §7): status.xlsx (and performance.xlsx) for ORDERS orders,
# side by side with a bare libxlsxwriter program writing the same cells in
# constant_memory mode.
#
#   tests/bench/report.sh [ORDERS]        default 1000000
#
# Makes the books with the generator of tests/bench/ledger.sh (taken from
# it, not copied: a realistic life per order, ~15 ledger records an order,
# all of 2026, so at 2026-12-31 most orders are completed, many evaluated,
# a few cancelled, the youngest ~3% still open, ~10% amended), books them
# with one `mandate apply`, runs `mandate report --as-of 2026-12-31` once,
# samples its status.xlsx (tests/bench/xlsx_sample.py: every sheet's
# header, row count, widths, frozen row, autofilter, first SAMPLES data
# rows and totals block, with formats), builds tests/bench/bare_xlsx.c,
# which writes those sheets cycling through the sampled rows (the same
# number of rows and cells, the same types and formats, constant_memory,
# scratch files on the same disk), and times, in one run, interleaved,
# best of REPEAT (/usr/bin/time: wall seconds, user+system CPU, peak RSS):
#     mandate report -v (whole command: replay, KPIs, both workbooks) | bare_xlsx
# Targets: mandate within 1.5x of bare_xlsx, mandate peak RSS < 100 MiB.
# The ratio is given for the whole command and for writing status.xlsx
# alone (the phase `report -v` times), as the README reported it before.
# The CPU ratio is printed too: on a machine shared with other work it is
# the steadier figure.
#
# Environment:
#   MANDATE          the binary (default: <top>/mandate)
#   MANDATE_DATADIR  where schemas/ lives (default: <top>)
#   LEDGER           an existing ledger to report on instead (no generation;
#                    AS_OF should suit it)
#   AS_OF            the report date (default 2026-12-31)
#   CC, CFLAGS       to build the bare program (default: cc, -O2 -g)
#   BENCH_TMPDIR     parent of the scratch directory (default /var/tmp; the
#                    workbooks' scratch files go there too: ~2 GB for 1M)
#   BENCH_KEEP=1     keep the scratch directory (its path is printed)
#   SAMPLES          data rows sampled per sheet (default 1000)
#   SEED             generator seed (default 1)
#   REPEAT           runs of each contender, the fastest counts (default 1)
# Needs python3, GNU time, bc, libxlsxwriter's headers and pkg-config file.
# Not part of `make check`.  Exit 0 when every command succeeded (targets
# missed are reported, not fatal), 1 when one failed, 2 on usage errors.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
MANDATE=${MANDATE:-$top/mandate}
export MANDATE_DATADIR=${MANDATE_DATADIR:-$top}
ORDERS=${1:-1000000}
AS_OF=${AS_OF:-2026-12-31}
SAMPLES=${SAMPLES:-1000}
SEED=${SEED:-1}
REPEAT=${REPEAT:-1}
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -g}
TIME=/usr/bin/time

case $ORDERS in ''|*[!0-9]*|0) echo "usage: $0 [ORDERS]" >&2; exit 2;; esac
case $SAMPLES in ''|*[!0-9]*|0) echo "$0: SAMPLES must be a positive integer" >&2; exit 2;; esac
case $REPEAT in ''|*[!0-9]*|0) echo "$0: REPEAT must be a positive integer" >&2; exit 2;; esac
[ -x "$MANDATE" ] || { echo "$0: no mandate binary at $MANDATE (make mandate)" >&2; exit 2; }
[ -x "$TIME" ] || { echo "$0: needs GNU time at $TIME" >&2; exit 2; }
for tool in python3 bc pkg-config; do
	command -v $tool >/dev/null || { echo "$0: needs $tool" >&2; exit 2; }
done
pkg-config --exists xlsxwriter || { echo "$0: no pkg-config file for xlsxwriter" >&2; exit 2; }
if [ -n "${LEDGER:-}" ] && [ ! -r "$LEDGER" ]; then
	echo "$0: cannot read LEDGER=$LEDGER" >&2; exit 2
fi

. "$(dirname "$0")/timed.bash"
bench_begin report

# ---------------------------------------------------------------- books
if [ -n "${LEDGER:-}" ]; then
	L=$LEDGER
	echo "mandate report benchmark: ledger $L as of $AS_OF; scratch $work"
else
	L=$work/books.ledger
	echo "mandate report benchmark: ~$ORDERS orders as of $AS_OF; scratch $work"
	# the generator of ledger.sh, which plans orders for a record count
	awk '/<<'"'"'PY'"'"'/ { on = 1; next } /^PY$/ { on = 0 } on' \
		"$here/ledger.sh" > "$work/gen.py"
	grep -q 'def plan(' "$work/gen.py" || { echo "$0: no generator found in ledger.sh" >&2; exit 2; }
	gen_start=$(date +%s.%N)
	python3 "$work/gen.py" "$work/batches" $((ORDERS * 15)) 1000 "$SEED" > "$work/gen.out" ||
		{ echo "generator failed" >&2; exit 1; }
	read -r n_orders n_records n_files n_ops < "$work/gen.out"
	printf 'generated %d orders, %d operations in %d files (%d ledger records) in %.1f s\n' \
		"$n_orders" "$n_ops" "$n_files" "$n_records" \
		"$(echo "$(date +%s.%N) - $gen_start" | bc -l)"
	timed apply "$MANDATE" -q apply --ledger "$L" --as-of "$AS_OF" "$work/batches"
	[ "${RC[apply]}" = 0 ] || exit 1
	rm -rf "$work/batches"
	printf 'booked in %.1f s: %d ledger records (%d MB)\n' "${SECS[apply]}" \
		"$(wc -l < "$L")" $(( $(stat -c %s "$L") / 1048576 ))
fi

# ---------------------------------------------------------------- the bare program
timed report0 "$MANDATE" report --ledger "$L" --out "$work/r0" --as-of "$AS_OF"
[ "${RC[report0]}" = 0 ] || exit 1
cat "$work/report0.out"
python3 "$here/xlsx_sample.py" "$work/r0/status.xlsx" "$SAMPLES" > "$work/sample.txt" ||
	{ echo "sampling status.xlsx failed" >&2; exit 1; }
# shellcheck disable=SC2046,SC2086
$CC $CFLAGS -o "$work/bare_xlsx" "$here/bare_xlsx.c" $(pkg-config --cflags --libs xlsxwriter) ||
	{ echo "cannot build bare_xlsx" >&2; exit 1; }
rm -rf "$work/r0"

# ---------------------------------------------------------------- the race
cat "$L" > /dev/null               # the same page cache for every run
for ((i = 0; i < REPEAT; i++)); do
	rm -rf "$work/r" "$work/bare"
	timed mandate "$MANDATE" report -v --ledger "$L" --out "$work/r" --as-of "$AS_OF"
	phase=$(sed -n 's/.*report: status\.xlsx in \([0-9.]*\) s.*/\1/p' "$work/mandate.err")
	if [ -n "$phase" ] && { [ -z "${STATUS_SECS:-}" ] || [ "$(echo "$phase < $STATUS_SECS" | bc -l)" = 1 ]; }; then
		STATUS_SECS=$phase
		PHASES=$(sed -n 's/.*note: report: //p' "$work/mandate.err" | tr '\n' ';' | sed 's/;$//; s/;/; /g')
	fi
	left=$(ls -A "$work/r" | grep -vxE 'status\.xlsx|performance\.xlsx' | tr '\n' ' ')
	if [ -n "$left" ]; then
		echo "!! mandate left $left in its output folder" >&2
		failed=1
	fi
	mkdir -p "$work/bare/tmp"
	timed bare "$work/bare_xlsx" "$work/sample.txt" "$work/bare/status.xlsx" "$work/bare/tmp"
done

# ---------------------------------------------------------------- report
mib() { echo "scale=1; $1 / 1024" | bc -l; }
size_mb() { printf '%.1f' "$(echo "$(stat -c %s "$1" 2>/dev/null || echo 0) / 1048576" | bc -l)"; }
echo
printf '%-48s %8s %8s %9s %5s\n' "step (race: best of $REPEAT)" "wall s" "cpu s" "peak MiB" "exit"
printf '%-48s %8s %8s %9s %5s\n' "----" "------" "-----" "--------" "----"
row() { printf '%-48s %8.2f %8.2f %9.1f %5d\n' "$2" "${SECS[$1]}" "${CPU[$1]}" "$(mib "${KIB[$1]}")" "${RC[$1]}"; }
[ -n "${SECS[apply]:-}" ] && row apply "mandate apply (not raced)"
row mandate "mandate report (replay + both workbooks)"
row bare "bare_xlsx (status.xlsx cells, constant_memory)"
echo
printf 'status.xlsx %s MB, performance.xlsx %s MB; bare status.xlsx %s MB\n' \
	"$(size_mb "$work/r/status.xlsx")" "$(size_mb "$work/r/performance.xlsx")" \
	"$(size_mb "$work/bare/status.xlsx")"
verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
bs=${SECS[bare]}; [ "$(echo "$bs < 0.01" | bc -l)" = 1 ] && bs=0.01
bc_=${CPU[bare]}; [ "$(echo "$bc_ < 0.01" | bc -l)" = 1 ] && bc_=0.01
r=$(echo "${SECS[mandate]} / $bs" | bc -l)
printf '%-32s = %5.2fx (target <= 1.5x: %s)\n' 'mandate / bare (wall)' "$r" "$(verdict "$r <= 1.5")"
r=$(echo "${CPU[mandate]} / $bc_" | bc -l)
printf '%-32s = %5.2fx\n' 'mandate / bare (cpu)' "$r"
if [ -n "${STATUS_SECS:-}" ]; then
	echo "mandate report -v phases: $PHASES"
	r=$(echo "$STATUS_SECS / $bs" | bc -l)
	printf '%-32s = %5.2fx (writing status.xlsx alone, %.2f s)\n' 'status.xlsx / bare (wall)' "$r" "$STATUS_SECS"
fi
printf '%-32s = %5.1f MiB (target < 100 MiB: %s)\n' 'mandate report peak RSS' \
	"$(mib "${KIB[mandate]}")" "$(verdict "${KIB[mandate]} < 102400")"
printf '%-32s = %5.1f MiB\n' 'bare_xlsx peak RSS' "$(mib "${KIB[bare]}")"
exit $failed
