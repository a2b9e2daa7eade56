#!/bin/sh
# The nightly job on the sample days, from a fresh checkout: installs what
# is missing (as root), builds, makes a throw-away demo signing key, then
# runs `mandate run` over a copy of samples/day-*.xml: demo/books.ledger,
# the signed PDFs in demo/out/pdf/, status.xlsx and performance.xlsx,
# demo/out/run.json; verifies the ledger and exports it for ledger/hledger.
# Safe to run again: already booked batches are skipped, nothing is
# written twice.
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
mkdir -p demo/incoming
sh samples/make-demo-key.sh demo >/dev/null
cp samples/day-0*.xml demo/incoming/
as_of="--as-of 2026-11-26"     # the sample story ends on this day
status=0
mandate run --ledger demo/books.ledger --out demo/out $as_of \
	--key demo/demo-key.pem --cert demo/demo-cert.pem demo/incoming || status=$?
mandate verify --ledger demo/books.ledger
mandate export --ledger demo/books.ledger --format ledger -o demo/books.journal
if command -v hledger >/dev/null; then
	LC_ALL=C.UTF-8 hledger -f demo/books.journal -s bal
fi
echo "demo: the ledger is demo/books.ledger; documents, workbooks and run.json are in demo/out/"
exit $status
