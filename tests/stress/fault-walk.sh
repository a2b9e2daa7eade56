#!/bin/sh
# The long fault and crash walks (the short ones, over the five sample days,
# are tests/cmd/faults-t.sh and tests/cmd/crashes-t.sh in make check): the
# sample days copied COPIES times under fresh batch and order ids, so one
# `mandate run` books 5 x COPIES batches and writes their documents and
# workbooks; then every one of its I/O calls is failed (ENOSPC, EIO, EFBIG
# in turn) and, separately, killed at, with every check of the short walks.
#
#   tests/stress/fault-walk.sh [COPIES]     default 4 (20 batches)
#
# Run from a configured build tree (it needs tests/faultshim.so: make check
# builds it, or `make tests/faultshim.so`).  Environment: MANDATE (default
# ./mandate), srcdir (default .), builddir (default .).
set -u
COPIES=${1:-4}
srcdir=${srcdir:-.}
builddir=${builddir:-.}
MANDATE=${MANDATE:-$builddir/mandate}
case $MANDATE in /*) ;; *) MANDATE="$(pwd)/$MANDATE" ;; esac
export srcdir builddir MANDATE
export MANDATE_DATADIR=${MANDATE_DATADIR:-$srcdir}
export LC_ALL=C
[ -f "$builddir/tests/faultshim.so" ] ||
	{ echo "build tests/faultshim.so first: make tests/faultshim.so" >&2; exit 2; }
input=$(mktemp -d "${TMPDIR:-/var/tmp}/mandate-walk.XXXXXX")
trap 'rm -rf "$input"' EXIT
k=1
while [ "$k" -le "$COPIES" ]; do
	for day in "$srcdir"/samples/day-0*.xml; do
		# FIN-0101 -> FIN-K101, batch B-2026-11-16 -> B-2026-11-16-K
		sed -e "s/\([A-Z][A-Z][A-Z]\)-0\([0-9][0-9][0-9]\)/\1-$k\2/g" \
		    -e "s/id=\"\(B-2026-11-[0-9][0-9]\)\"/id=\"\1-$k\"/" \
		    "$day" >"$input/c$k-$(basename "$day")"
	done
	k=$((k + 1))
done
echo "input: $(ls "$input" | wc -l) batches"
status=0
for action in fail kill; do
	echo "== FAULT_ACTION=$action"
	started=$(date +%s)
	FAULT_INPUT=$input FAULT_FULL=1 FAULT_ACTION=$action \
		sh "$srcdir/tests/cmd/faults-t.sh" >"$input/$action.tap" 2>&1
	grep -E '^(not ok|# (fault|crash) points|# [0-9]+ (tolerated|left)|# .*tolerated;)' \
		"$input/$action.tap"
	grep -c '^ok' "$input/$action.tap" | sed 's/^/checks passed: /'
	echo "elapsed: $(( $(date +%s) - started )) s"
	grep -q '^not ok' "$input/$action.tap" && status=1
	grep -q '^ok' "$input/$action.tap" || status=1
done
exit $status
