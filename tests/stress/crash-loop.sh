#!/bin/sh
# The long crash loop (the short one is in tests/cmd/ledger-t.sh):
# kill -9 `mandate apply` at random instants while it books BATCHES batch
# files, again and again, verifying the ledger after every kill; then let it
# finish and compare with an uninterrupted run, byte for byte.
#
#   tests/stress/crash-loop.sh [BATCHES] [KILLS]     default 500 batches, 1000 kills
#
# Environment: MANDATE (default ./mandate), MANDATE_DATADIR (default .).
set -u
BATCHES=${1:-500}
KILLS=${2:-1000}
MANDATE=${MANDATE:-./mandate}
export MANDATE_DATADIR=${MANDATE_DATADIR:-.}
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/mandate-crash.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/in"
i=1
while [ "$i" -le "$BATCHES" ]; do
	n=$(printf %05d "$i")
	cat >"$tmp/in/b$n.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<batch xmlns="urn:mandate:orders:1" id="CRASH-$n" issued="2026-11-20T22:00:00Z">
  <order id="CR-$n"><client id="CC-$((i % 97))" lang="en"><name>Client $i</name></client>
    <kind>other</kind><title>Crash $n</title><description>Order $n</description>
    <executor id="E1">Jane</executor><received>2026-11-02</received>
    <due>2026-11-20</due><price currency="EUR">$i.50</price></order>
  <advance order="CR-$n" stage="planning" on="2026-11-03"/>
  <payment order="CR-$n" on="2026-11-04" amount="1.25" currency="EUR" reference="R$n"/>
  <cost order="CR-$n" on="2026-11-04" kind="staff" amount="0.75" currency="EUR"/>
</batch>
XML
	i=$((i + 1))
done
"$MANDATE" -q apply --ledger "$tmp/clean.ledger" --as-of 2026-11-26 "$tmp/in" ||
	{ echo "uninterrupted run failed"; exit 1; }
kills=0
rounds=0
# Each round books all batches from an empty ledger under repeated kills
# until the ledger equals the uninterrupted one; rounds go on until KILLS.
while [ "$kills" -lt "$KILLS" ]; do
	rounds=$((rounds + 1))
	rm -f "$tmp/crash.ledger"
	while :; do
		"$MANDATE" apply --ledger "$tmp/crash.ledger" --as-of 2026-11-26 \
			"$tmp/in" >/dev/null 2>>"$tmp/stderr" &
		pid=$!
		r=$(od -An -N2 -tu2 /dev/urandom | tr -d " ")
		sleep "0.0$((r % 3))$((r % 10))"
		kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
		wait "$pid" 2>/dev/null
		# killed before it created the file: nothing to check
		[ -e "$tmp/crash.ledger" ] || continue
		if ! "$MANDATE" -q verify --ledger "$tmp/crash.ledger"; then
			echo "FAIL: ledger does not verify after kill $kills"
			exit 1
		fi
		cmp -s "$tmp/crash.ledger" "$tmp/clean.ledger" && break
	done
done
rollbacks=$(grep -c 'rolled back' "$tmp/stderr")
if cmp -s "$tmp/crash.ledger" "$tmp/clean.ledger"; then
	echo "ok: $kills kills in $rounds rounds, $rollbacks tail rollbacks, $BATCHES batches; ledger identical to an uninterrupted run"
else
	echo "FAIL: ledger differs from an uninterrupted run"
	exit 1
fi
