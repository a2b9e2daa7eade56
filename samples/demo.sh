#!/bin/sh
# The nightly job on the sample days, from a fresh checkout: installs what
# is missing (as root), builds, then validates and books samples/day-*.xml
# into demo/books.ledger, verifies it and exports it for ledger/hledger.
# Safe to run again: already booked batches are skipped.
set -e
cd "$(dirname "$0")/.."
sh .ci/deps
[ -x configure ] || ./autogen.sh >/dev/null
# Built out of tree, so the source tree stays clean for .ci/run.
mkdir -p _build-demo
(cd _build-demo && { [ -f Makefile ] || ../configure >/dev/null; } &&
	make -j2 >/dev/null)
export MANDATE_DATADIR="$PWD"
mandate() { ./_build-demo/mandate "$@"; }
mkdir -p demo
as_of="--as-of 2026-11-26"     # the sample story ends on this day
mandate validate $as_of samples/
mandate apply --ledger demo/books.ledger $as_of samples/
mandate verify --ledger demo/books.ledger
mandate export --ledger demo/books.ledger --format ledger -o demo/books.journal
mandate export --ledger demo/books.ledger --format csv -o demo/postings.csv
if command -v hledger >/dev/null; then
	LC_ALL=C.UTF-8 hledger -f demo/books.journal -s bal
fi
echo "demo: ledger, journal and postings are in demo/"
