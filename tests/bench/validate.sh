#!/bin/bash
# Benchmark (SPEC §7): validate + apply ORDERS orders against xmllint
# validating the same files with the same schema, side by side in one run.
#
#   tests/bench/validate.sh [ORDERS]       default 100000
#
# Generates FILES (default 100) batch files holding ORDERS full <order>s
# between them (client with name/taxId/email/address, kind, title,
# description, executor, received, start, due, price, 2-4 resources, result
# with deliverables and acceptance, terms with penalty, confidentiality and
# clauses; Russian and English text; ~2,000 clients, RUB/EUR/USD), then
# times, with /usr/bin/time (wall seconds, peak RSS), best of REPEAT runs:
#     xmllint --noout --schema schemas/orders.xsd FILES
#     mandate validate --as-of 2026-12-31 FILES
#     mandate apply --ledger FRESH --as-of 2026-12-31 FILES
# and prints mandate/xmllint for each.  Target: apply (validate + book)
# <= 1.3x xmllint alone.
#
# Environment:
#   MANDATE          the binary (default: <top>/mandate)
#   MANDATE_DATADIR  where schemas/ lives (default: <top>)
#   BENCH_TMPDIR     parent of the scratch directory (default /var/tmp)
#   BENCH_KEEP=1     keep the scratch directory (its path is printed)
#   FILES            number of batch files (default 100)
#   REPEAT           runs of each command, the fastest counts (default 3)
#   SEED             generator seed (default 1)
# Not part of `make check`.  Exit 0 when every command succeeded (targets
# missed are reported, not fatal), 1 when one failed, 2 on usage errors.
set -u
export LC_ALL=C

top=$(cd "$(dirname "$0")/../.." && pwd)
MANDATE=${MANDATE:-$top/mandate}
export MANDATE_DATADIR=${MANDATE_DATADIR:-$top}
ORDERS=${1:-100000}
FILES=${FILES:-100}
REPEAT=${REPEAT:-3}
SEED=${SEED:-1}
TIME=/usr/bin/time
XSD=$MANDATE_DATADIR/schemas/orders.xsd

case $ORDERS in ''|*[!0-9]*|0) echo "usage: $0 [ORDERS]" >&2; exit 2;; esac
case $FILES in ''|*[!0-9]*|0) echo "$0: FILES must be a positive integer" >&2; exit 2;; esac
case $REPEAT in ''|*[!0-9]*|0) echo "$0: REPEAT must be a positive integer" >&2; exit 2;; esac
[ -x "$MANDATE" ] || { echo "$0: no mandate binary at $MANDATE (make mandate)" >&2; exit 2; }
[ -r "$XSD" ] || { echo "$0: no schema at $XSD" >&2; exit 2; }
[ -x "$TIME" ] || { echo "$0: needs GNU time at $TIME" >&2; exit 2; }
command -v python3 >/dev/null || { echo "$0: needs python3" >&2; exit 2; }
command -v xmllint >/dev/null || { echo "$0: needs xmllint" >&2; exit 2; }

work=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/mandate-bench-validate.XXXXXX") || exit 2
cleanup() {
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failed=0
declare -A SECS KIB RC

# timed NAME PREP CMD...: run PREP (a shell command, may be :) then CMD,
# REPEAT times; keep the fastest wall time, the largest peak RSS (KiB) and
# the worst exit status; stdout/stderr of the last run in $work/NAME.*.
timed() {
	local name=$1 prep=$2 i s k rc; shift 2
	SECS[$name]=; KIB[$name]=0; RC[$name]=0
	for ((i = 0; i < REPEAT; i++)); do
		eval "$prep"
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

echo "mandate validate benchmark: $ORDERS orders in $FILES batch files; scratch $work"

# ---------------------------------------------------------------- generate
gen_start=$(date +%s.%N)
python3 - "$work/batches" "$ORDERS" "$FILES" "$SEED" <<'PY' || { echo "generator failed" >&2; exit 1; }
import sys, os, random, datetime

outdir, norders, nfiles, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(outdir, exist_ok=True)
rng = random.Random(seed)
ORD0 = datetime.date(2026, 1, 1).toordinal()
DAYS = [datetime.date.fromordinal(ORD0 + d).isoformat() for d in range(366 + 120)]

NCLIENT, NEXEC = 2000, 60
KINDS = ["financial", "legal", "construction", "marketing", "logistics", "other"]
CUR = ["RUB"] * 6 + ["EUR"] * 3 + ["USD"] * 2
PRIO = ['', '', '', '', ' priority="low"', ' priority="high"', ' priority="urgent"', ' priority="normal"']
LEVELS = ["public", "internal", "confidential", "secret"]
RU = {
    "title": ["Покупка облигаций федерального займа", "Представительство в арбитражном суде по иску о взыскании долга",
              "Проектная документация на отделку офиса", "Рекламная кампания запуска нового продукта",
              "Доставка промышленного оборудования из Москвы в Новосибирск", "Перевод технической документации"],
    "desc": "Подготовка, согласование с клиентом и исполнение работ по заказу в полном объёме, "
            "с отчётом о ходе работ каждую неделю и передачей результатов по акту приёмки.",
    "res": [("staff", "ч", "Старший специалист"), ("staff", "ч", "Помощник"), ("material", "компл.", "Расходные материалы"),
            ("technology", "мес.", "Лицензия на программное обеспечение")],
    "deliv": ["Отчёт о выполненных работах", "Комплект документов", "Акт приёмки без замечаний"],
    "acc": "Результат принят клиентом без замечаний в установленный срок.",
    "clause": ["Исполнитель не разглашает сведения, полученные от клиента.",
               "Расходы сверх сметы согласуются с клиентом письменно."],
}
EN = {
    "title": ["Purchase of government bonds", "Representation in the commercial court in a debt claim",
              "Design documentation for an office fit-out", "Digital launch campaign for a new product",
              "Delivery of industrial equipment from Moscow to Novosibirsk", "Translation of technical documentation"],
    "desc": "Preparation, agreement with the client and execution of the work in full, "
            "with a weekly progress report and hand-over of the results against an acceptance act.",
    "res": [("staff", "h", "Senior specialist"), ("staff", "h", "Assistant"), ("material", "set", "Consumables"),
            ("technology", "month", "Software licence")],
    "deliv": ["Report on the work done", "Set of documents", "Acceptance act with no open comments"],
    "acc": "The result is accepted by the client with no comments within the agreed time.",
    "clause": ["The executor keeps the client's information confidential.",
               "Costs beyond the estimate are agreed with the client in writing."],
}
clients = []
for i in range(NCLIENT):
    lang = "ru" if rng.random() < 0.6 else "en"
    if lang == "ru":
        name, addr = "ООО «Клиент %d»" % (i + 1), "123112, г. Москва, Пресненская наб., д. %d, офис %d" % (i % 40 + 1, i + 100)
    else:
        name, addr = "Client %d Ltd" % (i + 1), "%d Harbour Lane, London E14 9SH, United Kingdom" % (i + 1)
    clients.append((lang, '<client id="C%04d" lang="%s"><name>%s</name><taxId>77%08d</taxId>'
                          '<email>office@c%04d.example</email><address>%s</address></client>'
                    % (i + 1, lang, name, i + 1, i + 1, addr)))
execs = ['<executor id="EMP-%03d">Employee %d</executor>' % (i + 1, i + 1) for i in range(NEXEC)]

def money(minor):
    return "%d.%02d" % divmod(minor, 100)

j = 0
for f in range(nfiles):
    n = norders * (f + 1) // nfiles - norders * f // nfiles
    parts = []
    for _ in range(n):
        j += 1
        lang, cxml = clients[rng.randrange(NCLIENT)]
        T = RU if lang == "ru" else EN
        k = rng.randrange(6)
        cur = CUR[rng.randrange(len(CUR))]
        recv = rng.randrange(0, 330)
        start = recv + rng.randrange(0, 5)
        due = start + rng.randrange(5, 90)
        price = rng.randrange(1000, 500000) * 100 if cur == "RUB" else rng.randrange(200, 20000) * 100
        res = "".join('<resource kind="%s" unit="%s" quantity="%d" unitCost="%s">%s</resource>'
                      % (rk, ru, rng.randint(1, 120), money(rng.randrange(0, 10000) * 100), rn)
                      for (rk, ru, rn) in rng.sample(T["res"], rng.randint(2, 4)))
        deliv = "".join("<deliverable>%s</deliverable>" % d for d in T["deliv"][:rng.randint(1, 3)])
        pen = ('<penalty ratePerDay="%s" capPercent="%s"/>' % (rng.choice(("0.1", "0.2", "0.5")), rng.choice(("5", "10")))
               if rng.random() < 0.7 else "")
        clauses = "".join("<clause>%s</clause>" % c for c in T["clause"][:rng.randint(0, 2)])
        parts.append(
            '<order id="O%07d"%s>\n  %s\n  <kind>%s</kind>\n  <title>%s (%d)</title>\n'
            '  <description>%s</description>\n  %s\n  <received>%s</received>\n  <start>%s</start>\n'
            '  <due>%s</due>\n  <price currency="%s">%s</price>\n  <resources>%s</resources>\n'
            '  <result>%s<acceptance>%s</acceptance></result>\n'
            '  <terms>%s<confidentiality level="%s"/>%s</terms>\n</order>'
            % (j, PRIO[rng.randrange(len(PRIO))], cxml, KINDS[k], T["title"][k], j, T["desc"],
               execs[rng.randrange(NEXEC)], DAYS[recv], DAYS[start], DAYS[due], cur, money(price),
               res, deliv, T["acc"], pen, LEVELS[rng.randrange(4)], clauses))
    with open(os.path.join(outdir, "batch-%05d.xml" % f), "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                  '<batch xmlns="urn:mandate:orders:1" id="V%05d" issued="2026-12-31T21:00:00Z">\n' % f)
        out.write("\n".join(parts))
        out.write("\n</batch>\n")
PY
gen_end=$(date +%s.%N)
gen_secs=$(echo "$gen_end - $gen_start" | bc -l)
files=("$work"/batches/*.xml)
xml_mb=$(du -sm "$work/batches" | cut -f1)
printf 'generated %d orders in %d files (%d MB) in %.1f s\n' "$ORDERS" "${#files[@]}" "$xml_mb" "$gen_secs"
cat "${files[@]}" > /dev/null       # same page cache for everyone

# ---------------------------------------------------------------- the race
L=$work/fresh.ledger
timed xmllint  : xmllint --noout --schema "$XSD" "${files[@]}"
timed validate : "$MANDATE" validate --as-of 2026-12-31 "${files[@]}"
timed apply 'rm -f "$L"' "$MANDATE" apply --ledger "$L" --as-of 2026-12-31 "${files[@]}"

valid=$(grep -c ' validates$' "$work/xmllint.err")
[ "$valid" -eq "${#files[@]}" ] || { echo "!! xmllint validated $valid of ${#files[@]} files" >&2; failed=1; }
lines=$(wc -l < "$L" 2>/dev/null || echo 0)
want=$((ORDERS + 2 * ${#files[@]}))
[ "$lines" -eq "$want" ] || { echo "!! ledger holds $lines records, want $want" >&2; failed=1; }

# ---------------------------------------------------------------- report
mib() { echo "scale=1; $1 / 1024" | bc -l; }
echo
printf '%-44s %9s %10s %5s\n' "step (best of $REPEAT)" "wall s" "peak MiB" "exit"
printf '%-44s %9s %10s %5s\n' "----" "------" "--------" "----"
printf '%-44s %9.2f %10s %5s\n' "generate (python3)" "$gen_secs" "-" 0
row() { printf '%-44s %9.2f %10.1f %5d\n' "$2" "${SECS[$1]}" "$(mib "${KIB[$1]}")" "${RC[$1]}"; }
row xmllint  "xmllint --noout --schema orders.xsd"
row validate "mandate validate"
row apply    "mandate apply (fresh ledger, $lines records)"
echo
verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
xs=${SECS[xmllint]}; [ "$(echo "$xs < 0.01" | bc -l)" = 1 ] && xs=0.01
r=$(echo "${SECS[validate]} / $xs" | bc -l)
printf '%-40s = %5.2fx\n' 'mandate validate / xmllint' "$r"
r=$(echo "${SECS[apply]} / $xs" | bc -l)
printf '%-40s = %5.2fx  (target <= 1.3x: %s)\n' 'mandate apply (validate+book) / xmllint' "$r" "$(verdict "$r <= 1.3")"
printf '%-40s = %5.0f orders/s\n' 'mandate apply rate' "$(echo "$ORDERS / (${SECS[apply]} + 0.001)" | bc -l)"
exit $failed
