#!/bin/bash
# Benchmark (SPEC §7): replay + verify a RECORDS-record ledger, side by side
# with ledger-cli (and hledger) reading the export of the same books.
#
#   tests/bench/ledger.sh [RECORDS]        default 1000000
#
# Generates BATCHES (default 1000) batch files with a realistic life for
# each order (order with price/due/executor, planning → execution, amends,
# advance payments, costs, progress, complete — with penalty postings when
# late — evaluations, final payments, a few cancellations; ~2,000 clients,
# RUB/EUR/USD, all dates in 2026), books them with one `mandate apply`,
# checks the ledger holds exactly the records the generator planned, exports
# the journal and times, in one run (best of REPEAT):
#     mandate verify --ledger L   |   ledger -f J bal   |   hledger -f J bal
# and also the replay of every order through the rules that apply and
# validate do when they open the ledger (validate of an empty batch).
# with /usr/bin/time (wall seconds, peak RSS).  Targets: ledger/mandate
# >= 10x, mandate verify peak RSS < 64 MiB.  The journal carries a closing
# balance assertion per account and currency, so ledger and hledger exiting
# 0 also means their balances equal mandate's trial balance.
#
# Environment:
#   MANDATE          the binary (default: <top>/mandate)
#   MANDATE_DATADIR  where schemas/ lives (default: <top>)
#   BENCH_TMPDIR     parent of the scratch directory (default /var/tmp)
#   BENCH_KEEP=1     keep the scratch directory (its path is printed)
#   BATCHES          number of batch files (default 1000)
#   SEED             generator seed (default 1)
#   REPEAT           runs of verify/ledger/hledger, the fastest counts (default 3)
#   SKIP_HLEDGER=1   do not run hledger (~77 s and ~8 GiB for 1M txns)
#   SKIP_LEDGER=1    do not run ledger-cli
# Not part of `make check`.  Exit 0 when every command succeeded (targets
# missed are reported, not fatal), 1 when one failed, 2 on usage errors.
set -u
export LC_ALL=C

top=$(cd "$(dirname "$0")/../.." && pwd)
MANDATE=${MANDATE:-$top/mandate}
export MANDATE_DATADIR=${MANDATE_DATADIR:-$top}
RECORDS=${1:-1000000}
BATCHES=${BATCHES:-1000}
SEED=${SEED:-1}
REPEAT=${REPEAT:-3}
TIME=/usr/bin/time

case $RECORDS in ''|*[!0-9]*) echo "usage: $0 [RECORDS]" >&2; exit 2;; esac
case $BATCHES in ''|*[!0-9]*|0) echo "$0: BATCHES must be a positive integer" >&2; exit 2;; esac
case $REPEAT in ''|*[!0-9]*|0) echo "$0: REPEAT must be a positive integer" >&2; exit 2;; esac
[ -x "$MANDATE" ] || { echo "$0: no mandate binary at $MANDATE (make mandate)" >&2; exit 2; }
[ -x "$TIME" ] || { echo "$0: needs GNU time at $TIME" >&2; exit 2; }
command -v python3 >/dev/null || { echo "$0: needs python3" >&2; exit 2; }

work=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/mandate-bench-ledger.XXXXXX") || exit 2
cleanup() {
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failed=0
declare -A SECS KIB RC

# timed NAME RUNS CMD...: run CMD RUNS times with stdout/stderr to
# $work/NAME.{out,err}; keep the fastest wall time, the largest peak RSS
# (KiB) and the worst exit status.
timed() {
	local name=$1 runs=$2 i s k rc; shift 2
	SECS[$name]=; KIB[$name]=0; RC[$name]=0
	for ((i = 0; i < runs; i++)); do
		"$TIME" -f '%e %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err"
		rc=$?
		read -r s k < <(tail -n 1 "$work/$name.time")
		[ "$rc" -gt "${RC[$name]}" ] && RC[$name]=$rc
		[ "$k" -gt "${KIB[$name]}" ] && KIB[$name]=$k
		if [ -z "${SECS[$name]}" ] || [ "$(echo "$s < ${SECS[$name]}" | bc -l)" = 1 ]; then
			SECS[$name]=$s
		fi
	done
	if [ "${RC[$name]}" -ne 0 ]; then
		failed=1
		echo "!! $name exited ${RC[$name]}; stderr:" >&2
		head -20 "$work/$name.err" >&2
	fi
}

echo "mandate ledger benchmark: $RECORDS records in $BATCHES batch files; scratch $work"

# ---------------------------------------------------------------- generate
gen_start=$(date +%s.%N)
python3 - "$work/batches" "$RECORDS" "$BATCHES" "$SEED" > "$work/gen.out" <<'PY' || { echo "generator failed" >&2; exit 1; }
import sys, os, random, datetime

outdir, target, nbatch, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(outdir, exist_ok=True)

D0 = datetime.date(2026, 1, 1)
ORD0 = D0.toordinal()
# batch b is the night of day b*364//nbatch of 2026 (all dates <= 2026-12-31)
bday = [b * 364 // nbatch for b in range(nbatch)]
def ds(day):                      # day number from 2026-01-01 -> 'YYYY-MM-DD'
    return datetime.date.fromordinal(ORD0 + day).isoformat()
DS = {}
def dstr(day):
    s = DS.get(day)
    if s is None:
        s = DS[day] = ds(day)
    return s

NCLIENT, NEXEC = 2000, 60
KINDS = ["financial", "legal", "construction", "marketing", "logistics", "other"]
CUR = ["RUB"] * 6 + ["EUR"] * 3 + ["USD"] * 2
TITLES = {
    "financial": ("Purchase of federal loan bonds", "Покупка облигаций федерального займа"),
    "legal": ("Representation in the commercial court", "Представительство в арбитражном суде"),
    "construction": ("Design documentation for an office fit-out", "Проектная документация на отделку офиса"),
    "marketing": ("Digital launch campaign", "Рекламная кампания запуска продукта"),
    "logistics": ("Delivery of industrial equipment", "Доставка промышленного оборудования"),
    "other": ("Translation of technical documentation", "Перевод технической документации"),
}
COSTK = ["staff", "material", "technology", "other"]
PRIO = ["normal"] * 6 + ["low", "high", "high", "urgent"]

rng0 = random.Random(seed)
clients = []
for i in range(NCLIENT):
    cid = "C%04d" % (i + 1)
    lang = "ru" if rng0.random() < 0.6 else "en"
    name = ("ООО «Клиент %d»" % (i + 1)) if lang == "ru" else ("Client %d Ltd" % (i + 1))
    clients.append('<client id="%s" lang="%s"><name>%s</name><taxId>77%08d</taxId>'
                   '<email>office@c%04d.example</email></client>' % (cid, lang, name, i + 1, i + 1))
clang = [('lang="ru"' in c) for c in clients]
execs = ['<executor id="EMP-%03d">Employee %d</executor>' % (i + 1, i + 1) for i in range(NEXEC)]

def money(minor):
    return "%d.%02d" % divmod(minor, 100)

def plan(norders, write):
    """Plan norders orders over nbatch batches; return the number of ledger
    records they book; with write, also write the batch files."""
    rng = random.Random(seed * 7919 + 1)
    ops = [[] for _ in range(nbatch)]
    recs = [0] * nbatch
    for j in range(norders):
        b = j * nbatch // norders
        oid = "O%07d" % (j + 1)
        ci = rng.randrange(NCLIENT)
        kind = KINDS[rng.randrange(6)]
        cur = CUR[rng.randrange(len(CUR))]
        price = rng.randrange(1000, 500000) * 100 if cur == "RUB" else rng.randrange(200, 20000) * 100
        pen = rng.random() < 0.6
        rate, cap = (rng.choice(("0.1", "0.2", "0.5")), rng.choice(("5", "10"))) if pen else (None, None)
        # schedule: (batch, tag, extra) in life order; the cursor never goes back
        cur_b = b
        sched = []
        def at(lo, hi, tag, extra=None):
            nonlocal cur_b
            cur_b += rng.randint(lo, hi)
            sched.append((cur_b, tag, extra))
        at(0, 1, "planning")
        at(0, 3, "agreement")
        if rng.random() < 0.10:
            at(0, 2, "amend")
        at(0, 3, "fixation")
        at(0, 3, "execution")
        if rng.random() < 0.6:
            at(0, 4, "payment")
        cancel = rng.random() < 0.05
        if cancel:
            at(0, 10, "cancel")
        else:
            if rng.random() < 0.5:
                at(1, 15, "cost")
            if rng.random() < 0.3:
                at(1, 15, "progress")
            if rng.random() < 0.5:
                at(1, 15, "cost")
            at(1, 30, "complete")
            if rng.random() < 0.4:
                at(0, 8, "evaluate")
            if rng.random() < 0.6:
                at(0, 20, "payment")
        # due date from the completion night: ~20% late by 1-15 days
        recv = bday[b]
        cb = next((x[0] for x in sched if x[1] == "complete"), cur_b)
        cday = cb * 364 // nbatch
        due = cday - rng.randint(1, 15) if rng.random() < 0.2 else cday + rng.randint(0, 20)
        if due < recv:
            due = recv
        late = cday > due
        if write:
            tix = 1 if clang[ci] else 0
            ops[b].append(
                '<order id="%s" priority="%s">%s<kind>%s</kind><title>%s, %s</title>'
                '<description>Order %s: scope, deliverables and deadlines as agreed with the client.</description>'
                '%s<received>%s</received><start>%s</start><due>%s</due>'
                '<price currency="%s">%s</price>%s</order>' % (
                    oid, PRIO[rng.randrange(len(PRIO))], clients[ci], kind, TITLES[kind][tix], oid, oid,
                    execs[rng.randrange(NEXEC)], dstr(recv), dstr(recv), dstr(due), cur, money(price),
                    ('<terms><penalty ratePerDay="%s" capPercent="%s"/></terms>' % (rate, cap)) if pen else ""))
        recs[b] += 1
        pct = 0
        for (sb, tag, extra) in sched:
            if sb >= nbatch:
                break                      # the year ends before the order does
            d = dstr(bday[sb])
            if tag in ("planning", "agreement", "fixation", "execution"):
                n = 1
                x = '<advance order="%s" stage="%s" on="%s"/>' % (oid, tag, d)
            elif tag == "amend":
                n = 1
                price += rng.randrange(1, 50) * 1000
                x = ('<amend order="%s" effective="%s" reason="Scope extended at the client\'s request">'
                     '<price currency="%s">%s</price></amend>' % (oid, d, cur, money(price)))
            elif tag == "payment":
                n = 3
                x = ('<payment order="%s" on="%s" amount="%s" currency="%s" reference="PAY-%s-%d"/>'
                     % (oid, d, money(price * rng.randint(20, 60) // 100), cur, oid, sb))
            elif tag == "cost":
                n = 3
                x = ('<cost order="%s" on="%s" kind="%s" amount="%s" currency="%s">Invoice %s-%d</cost>'
                     % (oid, d, COSTK[rng.randrange(4)], money(price * rng.randint(5, 30) // 100), cur, oid, sb))
            elif tag == "progress":
                pct = rng.randint(10, 90)
                n = 1
                x = '<progress order="%s" on="%s" percent="%d">Work under way.</progress>' % (oid, d, pct)
            elif tag == "complete":
                n = 5 if (late and pen) else 3
                x = '<complete order="%s" on="%s">Delivered and handed over.</complete>' % (oid, d)
            elif tag == "evaluate":
                n = 1
                x = '<evaluate order="%s" on="%s" score="%d">Client feedback recorded.</evaluate>' % (oid, d, rng.randint(1, 5))
            else:  # cancel
                n = 1
                x = '<cancel order="%s" on="%s" reason="Client withdrew the order"/>' % (oid, d)
            recs[sb] += n
            if write:
                ops[sb].append(x)
    total = sum(r + 2 for r in recs if r)      # + begin and commit per batch
    if write:
        nb = 0
        for b in range(nbatch):
            if not ops[b]:
                continue
            nb += 1
            with open(os.path.join(outdir, "batch-%06d.xml" % b), "w", encoding="utf-8") as f:
                f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                        '<batch xmlns="urn:mandate:orders:1" id="B%06d" issued="%sT21:00:00Z">\n' % (b, dstr(bday[b])))
                f.write("\n".join(ops[b]))
                f.write("\n</batch>\n")
        print(norders, total, nb, sum(len(o) for o in ops))
    return total

# find the number of orders whose books reach the target (records grow
# almost linearly with orders; two or three secant steps suffice)
n = max(1, target // 11)
for _ in range(4):
    r = plan(n, False)
    if r == target or r == 0:
        break
    n2 = max(1, round(n * (target - 2 * nbatch) / max(1, r - 2 * nbatch)))
    if n2 == n:
        break
    n = n2
plan(n, True)
PY
gen_end=$(date +%s.%N)
read -r n_orders n_records n_files n_ops < "$work/gen.out"
gen_secs=$(echo "$gen_end - $gen_start" | bc -l)
xml_mb=$(du -sm "$work/batches" | cut -f1)
printf 'generated %d orders, %d operations in %d files (%d MB) in %.1f s; planned %d ledger records\n' \
	"$n_orders" "$n_ops" "$n_files" "$xml_mb" "$gen_secs" "$n_records"

# ---------------------------------------------------------------- book
L=$work/books.ledger
J=$work/books.journal
timed apply 1 "$MANDATE" apply --ledger "$L" --as-of 2026-12-31 "$work/batches"
[ -s "$L" ] || { echo "no ledger written" >&2; exit 1; }
lines=$(wc -l < "$L")
ledger_mb=$(( $(stat -c %s "$L") / 1048576 ))
echo "ledger: $lines records ($ledger_mb MB); generator planned $n_records"
if [ "$lines" -ne "$n_records" ]; then
	echo "!! ledger holds $lines records, the generator planned $n_records" >&2
	failed=1
fi

timed export 1 "$MANDATE" export --ledger "$L" --format ledger -o "$J"
txns=$(grep -c '^[0-9]' "$J")
journal_mb=$(( $(stat -c %s "$J") / 1048576 ))
echo "journal: $txns transactions ($journal_mb MB)"

# ---------------------------------------------------------------- the race
cat "$L" "$J" > /dev/null          # same page cache for everyone
timed verify "$REPEAT" "$MANDATE" verify --ledger "$L"
# replay of every order through the rules, as apply/validate do on opening
# the ledger: validate an empty batch against it
printf '<?xml version="1.0" encoding="UTF-8"?>\n<batch xmlns="urn:mandate:orders:1" id="REPLAY-PROBE" issued="2026-12-31T22:00:00Z"/>\n' > "$work/probe.xml"
timed replay "$REPEAT" "$MANDATE" validate --ledger "$L" --as-of 2026-12-31 "$work/probe.xml"
if [ "${SKIP_LEDGER:-0}" != 1 ] && command -v ledger >/dev/null; then
	timed ledger "$REPEAT" ledger -f "$J" bal
fi
if [ "${SKIP_HLEDGER:-0}" != 1 ] && command -v hledger >/dev/null; then
	timed hledger "$REPEAT" hledger -f "$J" bal
fi

# ---------------------------------------------------------------- report
mib() { echo "scale=1; $1 / 1024" | bc -l; }
echo
printf '%-34s %9s %10s %5s\n' "step (race: best of $REPEAT)" "wall s" "peak MiB" "exit"
printf '%-34s %9s %10s %5s\n' "----" "------" "--------" "----"
printf '%-34s %9.2f %10s %5s\n' "generate (python3)" "$gen_secs" "-" 0
row() { printf '%-34s %9.2f %10.1f %5d\n' "$2" "${SECS[$1]}" "$(mib "${KIB[$1]}")" "${RC[$1]}"; }
row apply  "mandate apply ($n_files files)"
row export "mandate export --format ledger"
row verify "mandate verify ($lines records)"
row replay "mandate replay (validate, 0 ops)"
[ -n "${SECS[ledger]:-}" ]  && row ledger  "ledger -f J bal ($txns txns)"
[ -n "${SECS[hledger]:-}" ] && row hledger "hledger -f J bal"
echo
verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
vs=${SECS[verify]}; [ "$(echo "$vs < 0.01" | bc -l)" = 1 ] && vs=0.01
if [ -n "${SECS[ledger]:-}" ]; then
	r=$(echo "${SECS[ledger]} / $vs" | bc -l)
	printf '%-30s = %6.1fx  (target >= 10x: %s)\n' 'ledger / mandate verify' "$r" "$(verdict "$r >= 10")"
fi
if [ -n "${SECS[hledger]:-}" ]; then
	r=$(echo "${SECS[hledger]} / $vs" | bc -l)
	printf '%-30s = %6.1fx\n' 'hledger / mandate verify' "$r"
fi
if [ -n "${SECS[ledger]:-}" ]; then
	rs=${SECS[replay]}; [ "$(echo "$rs < 0.01" | bc -l)" = 1 ] && rs=0.01
	r=$(echo "${SECS[ledger]} / $rs" | bc -l)
	printf '%-30s = %6.1fx  (target >= 10x if replay counts: %s)\n' 'ledger / mandate replay' "$r" "$(verdict "$r >= 10")"
fi
rss=$(mib "${KIB[verify]}")
printf '%-30s = %6.1f MiB (target < 64 MiB: %s)\n' 'mandate verify peak RSS' "$rss" "$(verdict "${KIB[verify]} < 65536")"
printf '%-30s = %6.1f MiB\n' 'mandate replay peak RSS' "$(mib "${KIB[replay]}")"
printf '%-30s = %6.0f records/s\n' 'mandate apply rate' "$(echo "$lines / (${SECS[apply]} + 0.001)" | bc -l)"
exit $failed
