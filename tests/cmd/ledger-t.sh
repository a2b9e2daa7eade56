#!/bin/sh
# The ledger's promises (SPEC §3) through the commands: exactly once,
# atomic batches, tamper evidence, torn tails, crash safety, one writer,
# write errors, and interop with ledger-cli and hledger.
. "${srcdir:-.}/tests/lib.sh"
scratch
PY=/usr/bin/python3
DATA="$srcdir/tests/data/ledger"
AS_OF="--as-of 2026-11-26"
L="$tmp/books.ledger"

"$MANDATE" apply --ledger "$L" $AS_OF "$srcdir/samples" >"$tmp/out" 2>"$tmp/err"
is 0 $? "apply the sample days"
grep -q '^apply: 5 booked, 0 already booked, 0 rejected; ledger head [0-9]*:[0-9a-f]\{64\}$' "$tmp/out"
ok $? "apply prints the counts and the new head"
head=$(sed -n 's/.*ledger head //p' "$tmp/out")
"$MANDATE" verify --ledger "$L" >"$tmp/out" 2>&1
is 0 $? "the booked ledger verifies"
"$MANDATE" verify --ledger "$L" --head "$head" >/dev/null 2>&1
is 0 $? "verify --head with the printed head"
cp "$L" "$tmp/after-samples"

# Exactly once.
"$MANDATE" apply --ledger "$L" $AS_OF "$srcdir/samples" >"$tmp/out" 2>"$tmp/err"
is 0 $? "re-applying the same files exits 0"
cmp -s "$L" "$tmp/after-samples"
ok $? "re-applying books nothing"
is 5 "$(grep -c 'is already booked: skipped' "$tmp/err")" \
	"each skipped batch is reported"

# Atomicity: the fifth of six operations is refused → nothing is booked.
"$MANDATE" apply --ledger "$L" $AS_OF "$DATA/atomic.xml" 2>"$tmp/err"
is 1 $? "a batch with one bad operation is rejected"
is "mandate: $DATA/atomic.xml:17: error: order 'AT-1' is in stage planning: cannot skip to fixation (next is agreement)" \
	"$(cat "$tmp/err")" "the bad operation is named"
cmp -s "$L" "$tmp/after-samples"
ok $? "a rejected batch leaves the ledger byte for byte as it was"

# Rules that need the ledger.
"$MANDATE" apply --ledger "$L" $AS_OF "$DATA/duplicate-across.xml" 2>"$tmp/err"
is 1 $? "an order id already in the ledger is rejected"
grep -q "duplicate-across.xml:4: error: order 'FIN-0101' already exists in the ledger" "$tmp/err"
ok $? "and named"
"$MANDATE" validate --ledger "$L" $AS_OF "$DATA/duplicate-across.xml" 2>/dev/null
is 1 $? "validate --ledger judges it the same way"
"$MANDATE" validate --ledger "$L" $AS_OF "$srcdir/samples/invalid/unknown-order.xml" 2>/dev/null
is 1 $? "validate --ledger refuses an unknown order"
cmp -s "$L" "$tmp/after-samples"
ok $? "validate writes nothing"

# Usage and environment.
"$MANDATE" apply $AS_OF "$DATA/tiny-1.xml" 2>/dev/null
is 2 $? "apply without --ledger: usage error"
"$MANDATE" verify --ledger "$tmp/absent" 2>/dev/null
is 4 $? "verify of a missing ledger: environment error"
ln -s "$L" "$tmp/link.ledger"
"$MANDATE" apply --ledger "$tmp/link.ledger" $AS_OF "$DATA/tiny-1.xml" 2>/dev/null
is 4 $? "a ledger that is a symbolic link is refused"
"$MANDATE" verify --ledger "$L" --head "1:00" 2>/dev/null
is 2 $? "a malformed --head is a usage error"

# One writer: while another process holds the lock, a writer exits 4 at once.
if command -v flock >/dev/null; then
	flock -o "$L" sleep 5 &
	holder=$!
	sleep 0.5
	start=$(date +%s)
	"$MANDATE" apply --ledger "$L" $AS_OF "$DATA/tiny-1.xml" 2>"$tmp/err"
	is 4 $? "a second writer exits 4"
	grep -q "ledger $L is locked by another writer" "$tmp/err"
	ok $? "and names the ledger"
	[ $(( $(date +%s) - start )) -lt 3 ]
	ok $? "without waiting for the lock"
	kill $holder 2>/dev/null; wait $holder 2>/dev/null
	cmp -s "$L" "$tmp/after-samples"
	ok $? "the locked ledger is untouched"
else
	for i in 1 2 3 4; do skip "flock(1) not installed"; done
fi

# Write errors: a file size limit (EFBIG) leaves the ledger unchanged.
size=$(wc -c <"$L")
blocks=$(( size / 1024 ))  # at most the size, whether blocks are 512 or 1024 bytes
(ulimit -f "$blocks"; "$MANDATE" apply --ledger "$L" $AS_OF "$DATA/jpy.xml" 2>"$tmp/err")
is 4 $? "EFBIG while writing: exit 4"
grep -q "cannot write batch JPY-1 to the ledger" "$tmp/err"
ok $? "the write error is reported"
cmp -s "$L" "$tmp/after-samples"
ok $? "the ledger is exactly as before the batch"
"$MANDATE" verify --ledger "$L" >/dev/null 2>&1
is 0 $? "and still verifies"

# Interop: our balances equal ledger-cli's and hledger's.
"$MANDATE" apply --ledger "$L" $AS_OF "$DATA/jpy.xml" >/dev/null 2>&1
is 0 $? "a JPY batch (no minor unit) books"
"$MANDATE" export --ledger "$L" --format ledger -o "$tmp/j.ledger"
is 0 $? "export --format ledger"
"$MANDATE" export --ledger "$L" --format ledger -o "$tmp/j2.ledger"
cmp -s "$tmp/j.ledger" "$tmp/j2.ledger"
ok $? "the export is reproducible byte for byte"
grep -q '^commodity JPY$' "$tmp/j.ledger"
ok $? "JPY is declared (without a sample: it has no decimals)"
grep -q 'expenses:penalties  *0 JPY = 15000 JPY' "$tmp/j.ledger"
ok $? "the JPY penalty is 15000 (1,000,000 x 0.5% x 3 days)"
"$MANDATE" export --ledger "$L" --format csv -o "$tmp/p.csv"
is 0 $? "export --format csv"
# Our trial balance from the CSV: account<TAB>amount currency, sorted.
awk -F, 'NR > 1 { key = $6 "\t" $8; sum[key] += $7 * 100 }
	END { for (k in sum) if (sum[k] != 0) { split(k, a, "\t");
	      printf "%s\t%.2f %s\n", a[1], sum[k] / 100, a[2] } }' \
	"$tmp/p.csv" | sed 's/\.00 JPY$/ JPY/' |
	LC_ALL=C sort >"$tmp/ours"
if command -v ledger >/dev/null; then
	ledger -f "$tmp/j.ledger" --pedantic bal >/dev/null 2>"$tmp/err"
	is 0 $? "ledger-cli reads the export (pedantic) and its assertions hold"
	for cur in $(cut -d' ' -f2 "$tmp/ours" | sort -u); do
		ledger -f "$tmp/j.ledger" bal --flat --no-total \
			-l "commodity == \"$cur\"" \
			--balance-format '%(account)\t%(scrub(display_total))\n'
	done | LC_ALL=C sort >"$tmp/ledger-bal"
	is "$(cat "$tmp/ours")" "$(cat "$tmp/ledger-bal")" \
		"ledger-cli's balances equal ours, account by account"
else
	skip "ledger not installed"; skip "ledger not installed"
fi
if command -v hledger >/dev/null; then
	LC_ALL=C.UTF-8 hledger -f "$tmp/j.ledger" -s bal >/dev/null 2>"$tmp/err"
	is 0 $? "hledger reads the export in strict mode and its assertions hold"
	LC_ALL=C.UTF-8 hledger -f "$tmp/j.ledger" bal --flat --no-total --layout=bare -O csv |
		tail -n +2 | tr -d '"' |
		awk -F, '{ printf "%s\t%s %s\n", $1, $3, $2 }' |
		LC_ALL=C sort >"$tmp/hledger-bal"
	is "$(cat "$tmp/ours")" "$(cat "$tmp/hledger-bal")" \
		"hledger's balances equal ours, account by account"
else
	skip "hledger not installed"; skip "hledger not installed"
fi
# A balance that disagrees makes both tools fail.
sed 's/= 15000 JPY/= 15001 JPY/' "$tmp/j.ledger" >"$tmp/bad.ledger"
if command -v hledger >/dev/null; then
	LC_ALL=C.UTF-8 hledger -f "$tmp/bad.ledger" bal >/dev/null 2>&1
	is 1 $? "hledger refuses a journal whose assertion is off"
else
	skip "hledger not installed"
fi

# Tamper: every single changed byte of a small ledger is found, at its line.
T="$tmp/tiny.ledger"
"$MANDATE" apply --ledger "$T" $AS_OF "$DATA/tiny-1.xml" "$DATA/tiny-2.xml" >/dev/null 2>&1
is 0 $? "a small two-batch ledger"
if [ -x "$PY" ]; then
	"$PY" - "$MANDATE" "$T" "$tmp/tampered" <<'PYEOF' >"$tmp/tamper"
import subprocess, sys
mandate, path, copy = sys.argv[1:4]
data = open(path, "rb").read()
bad = []
for offset in range(len(data)):
    changed = bytearray(data)
    changed[offset] ^= 0x01 if data[offset] != 0x0b else 0x02
    open(copy, "wb").write(changed)
    run = subprocess.run([mandate, "verify", "--ledger", copy],
                         capture_output=True, text=True, errors="replace")
    line = data[:offset].count(b"\n") + 1
    want = "%s:%d: error:" % (copy, line)
    if run.returncode != 3 or want not in run.stderr:
        bad.append((offset, run.returncode, run.stderr.strip()[:200]))
print(len(data), len(bad))
for b in bad[:5]:
    print("#", b)
PYEOF
	read total failures <"$tmp/tamper"
	is 0 "$failures" "each of the $total bytes, changed, gives exit 3 naming its line"
	[ "$failures" = 0 ] || sed -n '2,6p' "$tmp/tamper"
else
	skip "python3 not installed"
fi

# Torn tail: the ledger cut at every offset inside its last batch opens,
# verifies (exit 0, the tail reported), and the re-run books it once.
cut_at=$(grep -n ' commit ' "$T" | head -1 | cut -d: -f1)
first_end=$(head -n "$cut_at" "$T" | wc -c)
full=$(wc -c <"$T")
torn_bad=0
offset=$first_end
while [ $offset -lt $full ]; do
	head -c $offset "$T" >"$tmp/torn.ledger"
	"$MANDATE" verify --ledger "$tmp/torn.ledger" >/dev/null 2>&1 ||
		{ torn_bad=$((torn_bad + 1)); diag "verify failed at $offset"; }
	"$MANDATE" apply --ledger "$tmp/torn.ledger" $AS_OF "$DATA/tiny-1.xml" \
		"$DATA/tiny-2.xml" >/dev/null 2>&1 ||
		{ torn_bad=$((torn_bad + 1)); diag "re-apply failed at $offset"; }
	cmp -s "$tmp/torn.ledger" "$T" ||
		{ torn_bad=$((torn_bad + 1)); diag "not identical at $offset"; }
	offset=$((offset + 1))
done
is 0 $torn_bad "cut at each of $((full - first_end)) offsets: verifies, rolls back, re-books identically"
head -c $((full - 10)) "$T" >"$tmp/torn.ledger"
"$MANDATE" verify --ledger "$tmp/torn.ledger" >/dev/null 2>"$tmp/err"
grep -q "bytes of an uncommitted batch after the last commit" "$tmp/err"
ok $? "verify reports the size of an uncommitted tail"
tiny_head=$("$MANDATE" verify --ledger "$T" | sed 's/.*head //')
head -c $first_end "$T" >"$tmp/cut.ledger"
"$MANDATE" verify --ledger "$tmp/cut.ledger" --head "$tiny_head" 2>"$tmp/err"
is 3 $? "verify --head finds a cut-off ledger"
grep -q "is not in the ledger: it was cut off or rewritten" "$tmp/err"
ok $? "and says so"

# Crash loop: kill -9 apply at random instants over many batches, then
# finish; the result equals an uninterrupted run's, byte for byte.
mkdir "$tmp/many"
i=1
while [ $i -le 40 ]; do
	n=$(printf %02d $i)
	cat >"$tmp/many/b$n.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<batch xmlns="urn:mandate:orders:1" id="CRASH-$n" issued="2026-11-20T22:00:00Z">
  <order id="CR-$n"><client id="CC-$n" lang="en"><name>Client $n</name></client>
    <kind>other</kind><title>Crash $n</title><description>Order $n</description>
    <executor id="E1">Jane</executor><received>2026-11-02</received>
    <due>2026-11-20</due><price currency="EUR">$n.50</price></order>
  <advance order="CR-$n" stage="planning" on="2026-11-03"/>
  <payment order="CR-$n" on="2026-11-04" amount="1.25" currency="EUR" reference="R$n"/>
  <cost order="CR-$n" on="2026-11-04" kind="staff" amount="0.75" currency="EUR"/>
</batch>
XML
	i=$((i + 1))
done
"$MANDATE" apply --ledger "$tmp/clean.ledger" $AS_OF "$tmp/many" >/dev/null 2>&1
is 0 $? "40 batches booked without interruption"
kills=0
rounds=0
while [ $rounds -lt 200 ]; do
	rounds=$((rounds + 1))
	"$MANDATE" apply --ledger "$tmp/crash.ledger" $AS_OF "$tmp/many" \
		>/dev/null 2>&1 &
	pid=$!
	sleep "0.00$(( (rounds * 7919) % 97 ))"
	if kill -9 $pid 2>/dev/null; then
		kills=$((kills + 1))
	fi
	wait $pid 2>/dev/null
	"$MANDATE" verify --ledger "$tmp/crash.ledger" >/dev/null 2>&1 ||
		{ diag "verify failed after kill $kills"; break; }
	cmp -s "$tmp/crash.ledger" "$tmp/clean.ledger" && break
done
"$MANDATE" apply --ledger "$tmp/crash.ledger" $AS_OF "$tmp/many" >/dev/null 2>&1
is 0 $? "after $kills kill -9s the re-run succeeds"
cmp -s "$tmp/crash.ledger" "$tmp/clean.ledger"
ok $? "and the ledger equals the uninterrupted one byte for byte"

# Two writers at once: one books, the other exits 4 at once (or finds the
# batches booked); never both write.
rm -f "$tmp/two.ledger"
"$MANDATE" apply --ledger "$tmp/two.ledger" $AS_OF "$tmp/many" >/dev/null 2>"$tmp/err1" &
p1=$!
"$MANDATE" apply --ledger "$tmp/two.ledger" $AS_OF "$tmp/many" >/dev/null 2>"$tmp/err2" &
p2=$!
wait $p1; s1=$?
wait $p2; s2=$?
case "$s1$s2" in
04|40|00) ok 0 "two concurrent applies exit $s1 and $s2" ;;
*) ok 1 "two concurrent applies exit $s1 and $s2" ;;
esac
cmp -s "$tmp/two.ledger" "$tmp/clean.ledger"
ok $? "the ledger holds every batch exactly once"

done_testing
