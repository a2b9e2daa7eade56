#!/bin/bash
# Benchmark (SPEC §7): signed agreements per second on one core, side by
# side with a bare libharu program drawing the same pages, and the speed-up
# of `--jobs 2` on the PDF stage.
#
#   tests/bench/pdf.sh [DOCS]        default 1000
#
# Generates DOCS orders (ru 60 % / en 40 %, six kinds, 2-5 resources, 1-3
# deliverables, penalties, confidentiality levels with ~20 % secret, extra
# clauses), each advanced to fixation so that each calls for exactly one
# agreement; books them with `mandate apply`; makes a throw-away demo key
# (samples/make-demo-key.sh); renders them once to warm up and takes the
# text of SAMPLES of the agreements back with pdftohtml (every fragment:
# font, size, place, text; page by page); builds tests/bench/bare_libharu.c,
# which draws those pages with libharu alone (same A4 pages, the same two
# embedded DejaVu fonts in UTF-8, the same compression, one HPDF_Doc and the
# fonts loaded once, DOCS documents saved to files), and then times, in one
# run, interleaved, best of REPEAT (/usr/bin/time: wall seconds, peak RSS):
#     mandate render --jobs 1  |  bare_libharu  |  mandate render --jobs 2
# and `mandate render --order <one>` (the fixed cost: replaying the ledger,
# loading key, templates and fonts; the PDF stage is the rest).
# Targets: render -j1 at least 0.8x the bare program's documents/s; -j2 at
# least 1.8x -j1 on the PDF stage.  Reports the average document sizes.
#
# Environment:
#   MANDATE          the binary (default: <top>/mandate)
#   MANDATE_DATADIR  where schemas/ and templates/ live (default: <top>)
#   MANDATE_FONT_DIR where the DejaVu fonts are (default:
#                    /usr/share/fonts/truetype/dejavu), for both programs
#   CC, CFLAGS       to build the bare program (default: cc, -O2 -g, as
#                    mandate is built)
#   BENCH_TMPDIR     parent of the scratch directory (default /var/tmp)
#   BENCH_KEEP=1     keep the scratch directory (its path is printed)
#   SAMPLES          agreements whose pages the bare program draws, in turn
#                    (default 50)
#   SEED             generator seed (default 1)
#   REPEAT           runs of each contender, the fastest counts (default 3)
# Needs python3, pdftohtml (poppler-utils), libharu's headers, GNU time.
# Not part of `make check`.  Exit 0 when every command succeeded (targets
# missed are reported, not fatal), 1 when one failed, 2 on usage errors.
set -u
export LC_ALL=C

top=$(cd "$(dirname "$0")/../.." && pwd)
MANDATE=${MANDATE:-$top/mandate}
export MANDATE_DATADIR=${MANDATE_DATADIR:-$top}
FONT_DIR=${MANDATE_FONT_DIR:-/usr/share/fonts/truetype/dejavu}
DOCS=${1:-1000}
SAMPLES=${SAMPLES:-50}
SEED=${SEED:-1}
REPEAT=${REPEAT:-3}
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -g}
TIME=/usr/bin/time
AS_OF=2026-12-31

case $DOCS in ''|*[!0-9]*|0) echo "usage: $0 [DOCS]" >&2; exit 2;; esac
case $SAMPLES in ''|*[!0-9]*|0) echo "$0: SAMPLES must be a positive integer" >&2; exit 2;; esac
case $REPEAT in ''|*[!0-9]*|0) echo "$0: REPEAT must be a positive integer" >&2; exit 2;; esac
[ -x "$MANDATE" ] || { echo "$0: no mandate binary at $MANDATE (make mandate)" >&2; exit 2; }
[ -x "$TIME" ] || { echo "$0: needs GNU time at $TIME" >&2; exit 2; }
for tool in python3 pdftohtml bc; do
	command -v $tool >/dev/null || { echo "$0: needs $tool" >&2; exit 2; }
done
if [ ! -r "$FONT_DIR/DejaVuSans.ttf" ] || [ ! -r "$FONT_DIR/DejaVuSans-Bold.ttf" ]; then
	echo "$0: no DejaVu fonts in $FONT_DIR" >&2; exit 2
fi

. "$(dirname "$0")/timed.bash"
bench_begin pdf

# count_pdfs DIR: number of PDF files under DIR
count_pdfs() { find "$1" -name '*.pdf' -type f | wc -l; }
# bytes_pdfs DIR: their total size
bytes_pdfs() { find "$1" -name '*.pdf' -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

echo "mandate PDF benchmark: $DOCS agreements; scratch $work"

# ---------------------------------------------------------------- generate
python3 - "$work/batches" "$DOCS" "$SEED" > "$work/gen.out" <<'PY' || { echo "generator failed" >&2; exit 1; }
import sys, os, random, datetime
from xml.sax.saxutils import escape as esc

outdir, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
PER_BATCH = 500
os.makedirs(outdir, exist_ok=True)
rng = random.Random(seed)

KINDS = ["financial", "legal", "construction", "marketing", "logistics", "other"]
RU = {
 "financial": ("Покупка облигаций федерального займа на %d млн руб.",
               "Приобретение ОФЗ на Московской бирже на сумму %d 000 000 руб. по номиналу для размещения временно свободных денежных средств клиента. Покупка частями, по цене не выше согласованной с клиентом доходности к погашению."),
 "legal": ("Представительство в Арбитражном суде г. Москвы по иску о взыскании долга № %d",
           "Подготовка и подача искового заявления о взыскании с покупателя задолженности по договору поставки № %d/2025 и неустойки, участие в предварительном и основном судебных заседаниях, подготовка процессуальных документов."),
 "construction": ("Проектная документация на отделку офиса площадью %d м²",
                  "Обмерные работы, планировочные решения, эскизный проект инженерных систем и ведомость объёмов работ для отделки этажа площадью %d м², готовые для тендера подрядчиков."),
 "marketing": ("Рекламная кампания запуска продукта, волна %d",
               "Медиаплан, производство креативов и размещение в цифровых каналах в течение %d недель, еженедельная отчётность о показах, переходах и конверсиях."),
 "logistics": ("Доставка промышленного оборудования, партия %d",
               "Организация перевозки %d мест промышленного оборудования от склада поставщика до площадки клиента, таможенное оформление, страхование груза и разгрузка."),
 "other": ("Перевод технической документации, %d страниц",
           "Письменный перевод %d страниц технической документации с английского языка на русский с редактурой и вёрсткой по образцу оригинала."),
}
EN = {
 "financial": ("Purchase of federal loan bonds for RUB %d million",
               "Purchase of OFZ bonds on the Moscow Exchange for RUB %d,000,000 at par to place the client's temporarily free funds, in tranches, at a price no higher than the yield to maturity agreed with the client."),
 "legal": ("Representation in the commercial court, debt recovery claim no. %d",
           "Preparation and filing of a statement of claim to recover the buyer's debt under supply contract no. %d/2025 with the contractual penalty, attendance at the preliminary and main hearings, and procedural documents."),
 "construction": ("Design documentation for the fit-out of a %d m² office",
                  "Survey of the existing shell, architectural layout, MEP schematic design and a bill of quantities for the fit-out of a %d m² floor, ready for contractor tender."),
 "marketing": ("Digital launch campaign, wave %d",
               "Media plan, production of creatives and placement in digital channels over %d weeks, with weekly reporting on impressions, clicks and conversions."),
 "logistics": ("Delivery of industrial equipment, consignment %d",
               "Carriage of %d packages of industrial equipment from the supplier's warehouse to the client's site, customs clearance, cargo insurance and unloading."),
 "other": ("Translation of technical documentation, %d pages",
           "Written translation of %d pages of technical documentation from German into English, with editing and layout following the original."),
}
RES_RU = [("staff", "ч", "Ведущий специалист", 4500), ("staff", "ч", "Помощник специалиста", 2500),
          ("material", "компл.", "Печать и брошюровка документов", 1500),
          ("technology", "мес.", "Лицензия на программное обеспечение", 12000),
          ("staff", "ч", "Руководитель проекта", 6000)]
RES_EN = [("staff", "h", "Lead consultant", 95), ("staff", "h", "Junior analyst", 45),
          ("material", "set", "Printing and binding", 60), ("technology", "month", "Software licence", 420),
          ("staff", "h", "Project manager", 120)]
DEL_RU = ["Отчёт о выполненных работах с приложениями", "Комплект документации в электронном виде",
          "Акт сверки и сопроводительное письмо", "Протокол итогового совещания с клиентом"]
DEL_EN = ["Report on the work performed, with annexes", "The full set of documentation in electronic form",
          "Reconciliation statement and cover letter", "Minutes of the final meeting with the client"]
CL_RU = ["Исполнитель вправе привлекать третьих лиц только с письменного согласия клиента.",
         "Все материалы передаются клиенту в электронном виде по защищённому каналу.",
         "Расходы на командировки оплачиваются клиентом сверх цены договора по фактическим затратам."]
CL_EN = ["The contractor may engage third parties only with the client's written consent.",
         "All materials are handed over to the client electronically through a secure channel.",
         "Travel expenses are paid by the client on top of the price, at cost."]
CUR = ["RUB"] * 6 + ["EUR"] * 3 + ["USD"] * 2
LEVELS = ["public", "internal", "confidential", "confidential", "secret"]
D0 = datetime.date(2026, 1, 1)
def ds(d):
    return (D0 + datetime.timedelta(days=d)).isoformat()

batches = []
for j in range(n):
    if j % PER_BATCH == 0:
        batches.append([])
    oid = "AGR-%06d" % (j + 1)
    ru = rng.random() < 0.6
    kind = KINDS[rng.randrange(6)]
    k = rng.randint(2, 400)
    title, desc = (RU if ru else EN)[kind]
    cur = CUR[rng.randrange(len(CUR))]
    recv = rng.randrange(0, 200)
    due = recv + rng.randint(10, 60)
    total, rx = 0, []
    for (rk, unit, name, cost) in rng.sample(RES_RU if ru else RES_EN, rng.randint(2, 5)):
        q = rng.randint(1, 80)
        total += q * cost
        rx.append('<resource kind="%s" unit="%s" quantity="%d" unitCost="%d.00">%s</resource>'
                  % (rk, unit, q, cost, esc(name)))
    price = total * rng.randint(110, 160) // 100
    dels = rng.sample(DEL_RU if ru else DEL_EN, rng.randint(1, 3))
    terms = ""
    if rng.random() < 0.6:
        terms += '<penalty ratePerDay="%s" capPercent="%s"/>' % (
            rng.choice(("0.1", "0.2", "0.5")), rng.choice(("5", "10")))
    terms += '<confidentiality level="%s"/>' % LEVELS[rng.randrange(len(LEVELS))]
    for c in rng.sample(CL_RU if ru else CL_EN, rng.randint(0, 3)):
        terms += "<clause>%s</clause>" % esc(c)
    if ru:
        client = ('<client id="C%05d" lang="ru"><name>ООО «Клиент %d»</name><taxId>77%08d</taxId>'
                  '<email>office@c%05d.example</email><address>1%05d, г. Москва, ул. Новая, д. %d, офис %d</address></client>'
                  % (j, j, j, j, j % 100000, j % 90 + 1, j % 500 + 1))
        executor = '<executor id="EMP-%03d">Сотрудник %d</executor>' % (j % 60 + 1, j % 60 + 1)
        acc = "Результат принят клиентом без замечаний по акту сдачи-приёмки."
    else:
        client = ('<client id="C%05d" lang="en"><name>Client %d Ltd</name><taxId>GB%09d</taxId>'
                  '<email>office@c%05d.example</email><address>%d Harbour Lane, London E14 9SH, United Kingdom</address></client>'
                  % (j, j, j, j, j % 90 + 1))
        executor = '<executor id="EMP-%03d">Employee %d</executor>' % (j % 60 + 1, j % 60 + 1)
        acc = "The result is accepted by the client without remarks under an acceptance certificate."
    batches[-1].append(
        '<order id="%s" priority="normal">%s<kind>%s</kind><title>%s</title><description>%s</description>%s'
        '<received>%s</received><start>%s</start><due>%s</due><price currency="%s">%d.00</price>'
        '<resources>%s</resources><result>%s<acceptance>%s</acceptance></result><terms>%s</terms></order>\n'
        '<advance order="%s" stage="planning" on="%s"/>\n'
        '<advance order="%s" stage="agreement" on="%s"/>\n'
        '<advance order="%s" stage="fixation" on="%s"/>' % (
            oid, client, kind, esc(title % k), esc(desc % k), executor, ds(recv), ds(recv + 1), ds(due),
            cur, price, "".join(rx), "".join("<deliverable>%s</deliverable>" % esc(d) for d in dels),
            esc(acc), terms, oid, ds(recv), oid, ds(recv + 1), oid, ds(recv + 2)))
for b, ops in enumerate(batches):
    with open(os.path.join(outdir, "batch-%04d.xml" % b), "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<batch xmlns="urn:mandate:orders:1" id="PDF-%04d" issued="2026-08-01T21:00:00Z">\n' % b)
        f.write("\n".join(ops))
        f.write("\n</batch>\n")
print(n, len(batches))
PY
read -r n_orders n_files < "$work/gen.out"
echo "generated $n_orders orders in $n_files batch files"

# ---------------------------------------------------------------- book, key
L=$work/books.ledger
"$MANDATE" apply --ledger "$L" --as-of "$AS_OF" "$work/batches" >"$work/apply.out" 2>&1 ||
	{ echo "!! mandate apply failed:" >&2; head -20 "$work/apply.out" >&2; exit 1; }
sh "$top/samples/make-demo-key.sh" "$work/key" >/dev/null 2>&1 ||
	{ echo "!! samples/make-demo-key.sh failed" >&2; exit 1; }
RENDER=("$MANDATE" render --ledger "$L" --as-of "$AS_OF" -q
	--key "$work/key/demo-key.pem" --cert "$work/key/demo-cert.pem")

# ---------------------------------------------------------------- warm up
"${RENDER[@]}" --out "$work/warm" --jobs 1 || { echo "!! mandate render failed" >&2; exit 1; }
docs=$(count_pdfs "$work/warm")
if [ "$docs" -ne "$DOCS" ]; then
	echo "!! render wrote $docs documents, $DOCS agreements expected" >&2
	failed=1
fi
first=$(find "$work/warm" -name '*.pdf' | sort | head -n 1)
first_order=$(basename "$(dirname "$first")")
if command -v pdfsig >/dev/null; then
	pdfsig "$first" 2>/dev/null | grep -q 'Signature is Valid.' ||
		{ echo "!! pdfsig does not find $first valid" >&2; failed=1; }
fi

# ---------------------------------------------------------------- the bare program's pages
find "$work/warm" -name '*.pdf' | sort |
	awk -v n="$docs" -v k="$SAMPLES" 'BEGIN { if (k > n) k = n; step = n / k }
	     { if (NR - 1 >= next_pick && taken < k) { print; taken++; next_pick = taken * step } }' \
	>"$work/samples.list"
mapfile -t sample_files <"$work/samples.list"
python3 - "$work/pages.txt" "${sample_files[@]}" <<'PY' || { echo "!! pdftohtml extraction failed" >&2; exit 1; }
import sys, subprocess, xml.etree.ElementTree as ET
# Every text fragment of every page, as pdftohtml sees it: bold or not,
# size, left, top (points, from the top left), text.
with open(sys.argv[1], "w", encoding="utf-8") as out:
    for path in sys.argv[2:]:
        xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", "-q", "-zoom", "1", path],
                             check=True, capture_output=True).stdout
        root = ET.fromstring(xml)
        out.write("D\n")
        sizes = {}
        for page in root.iter("page"):
            out.write("P\n")
            for fs in page.iter("fontspec"):
                sizes[fs.get("id")] = fs.get("size")
            for t in page.iter("text"):
                text = " ".join("".join(t.itertext()).split())
                if text:
                    bold = 1 if t.find(".//b") is not None else 0
                    out.write("T\t%d\t%s\t%s\t%s\t%s\n" % (
                        bold, sizes.get(t.get("font"), "10"), t.get("left"), t.get("top"), text))
PY
sample_docs=$(grep -c '^D$' "$work/pages.txt")
sample_pages=$(grep -c '^P$' "$work/pages.txt")
sample_frags=$(grep -c '^T' "$work/pages.txt")
sample_chars=$(cut -f6 "$work/pages.txt" | python3 -c 'import sys; print(sum(len(l.rstrip("\n")) for l in sys.stdin))')
echo "bare program draws $sample_docs of our agreements in turn: $sample_pages pages, $sample_frags text fragments, $sample_chars characters"

# shellcheck disable=SC2086
$CC -std=c11 $CFLAGS -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-o "$work/bare_libharu" "$top/tests/bench/bare_libharu.c" -lhpdf ||
	{ echo "!! cannot build tests/bench/bare_libharu.c" >&2; exit 1; }

# ---------------------------------------------------------------- the race
for ((r = 0; r < REPEAT; r++)); do
	rm -rf "$work/j1" "$work/bare" "$work/j2" "$work/one"
	timed j1 "${RENDER[@]}" --out "$work/j1" --jobs 1
	mkdir -p "$work/bare"
	timed bare "$work/bare_libharu" "$FONT_DIR" "$work/pages.txt" "$docs" "$work/bare"
	timed j2 "${RENDER[@]}" --out "$work/j2" --jobs 2
	timed one "${RENDER[@]}" --out "$work/one" --jobs 1 --order "$first_order"
done

# the same bytes whatever the number of workers
diff -r "$work/j1" "$work/j2" >/dev/null ||
	{ echo "!! --jobs 1 and --jobs 2 wrote different files" >&2; failed=1; }
[ "$(count_pdfs "$work/bare")" -eq "$docs" ] ||
	{ echo "!! the bare program did not write $docs documents" >&2; failed=1; }
if command -v qpdf >/dev/null; then
	qpdf --check "$work/bare/bare-000000.pdf" >/dev/null 2>&1 ||
		{ echo "!! qpdf --check fails on the bare program's first document" >&2; failed=1; }
fi
ours_bytes=$(bytes_pdfs "$work/j1")
bare_bytes=$(bytes_pdfs "$work/bare")
# our documents for the same agreements as the bare program's first pass
sample_ours=0
while read -r f; do sample_ours=$((sample_ours + $(stat -c %s "$f"))); done <"$work/samples.list"
sample_bare=$(find "$work/bare" -name 'bare-*.pdf' | sort | head -n "$sample_docs" |
	xargs stat -c %s | awk '{ s += $1 } END { print s + 0 }')

# ---------------------------------------------------------------- report
mib() { echo "scale=1; $1 / 1024" | bc -l; }
rate() { echo "$docs / $1" | bc -l; }
echo
printf '%-40s %8s %8s %9s %9s %5s\n' "race (best of $REPEAT, interleaved)" "wall s" "cpu s" "docs/s" "peak MiB" "exit"
printf '%-40s %8s %8s %9s %9s %5s\n' "----" "------" "-----" "------" "--------" "----"
row() {
	local per="-"
	[ "$3" = 1 ] && per=$(printf '%.1f' "$(rate "${SECS[$1]}")")
	printf '%-40s %8.2f %8.2f %9s %9.1f %5d\n' "$2" "${SECS[$1]}" "${CPU[$1]}" "$per" \
		"$(mib "${KIB[$1]}")" "${RC[$1]}"
}
row j1   "mandate render --jobs 1 ($docs docs)" 1
row bare "bare_libharu ($docs docs)" 1
row j2   "mandate render --jobs 2 ($docs docs)" 1
row one  "mandate render --order (1 doc: fixed)" 0
echo
verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo "met"; else echo "MISSED"; fi; }
j1=${SECS[j1]} j2=${SECS[j2]} bare=${SECS[bare]} one=${SECS[one]}
r=$(echo "$bare / $j1" | bc -l)
printf '%-44s = %5.2fx  (target >= 0.8x: %s)\n' 'render -j1 docs/s / bare docs/s' "$r" "$(verdict "$r >= 0.8")"
printf '%-44s = %5.1f ms, bare %.1f ms\n' 'per document, render -j1 (whole command)' \
	"$(echo "1000 * $j1 / $docs" | bc -l)" "$(echo "1000 * $bare / $docs" | bc -l)"
s1=$(echo "$j1 - $one" | bc -l); s2=$(echo "$j2 - $one" | bc -l)
if [ "$(echo "$s2 > 0" | bc -l)" = 1 ]; then
	r=$(echo "$s1 / $s2" | bc -l)
	printf '%-44s = %5.2fx  (target >= 1.8x: %s)\n' 'PDF stage speed-up, -j2 vs -j1' "$r" "$(verdict "$r >= 1.8")"
fi
r=$(echo "$j1 / $j2" | bc -l)
printf '%-44s = %5.2fx  (%d CPUs online)\n' 'whole command speed-up, -j2 vs -j1' "$r" "$(getconf _NPROCESSORS_ONLN)"
printf '%-44s = %5.2fx\n' 'PDF stage docs/s -j1 / bare docs/s' "$(echo "$bare / $s1" | bc -l)"
echo
printf '%-44s = %7.1f KB (%d documents, %.1f MB)\n' 'average signed agreement, mandate' \
	"$(echo "$ours_bytes / $docs / 1000" | bc -l)" "$docs" "$(echo "$ours_bytes / 1000000" | bc -l)"
printf '%-44s = %7.1f KB (%d documents, %.1f MB)\n' 'average document, bare_libharu' \
	"$(echo "$bare_bytes / $docs / 1000" | bc -l)" "$docs" "$(echo "$bare_bytes / 1000000" | bc -l)"
printf '%-44s = %7.1f KB vs %.1f KB (%.2f pages each)\n' "the $sample_docs sampled agreements, ours vs bare" \
	"$(echo "$sample_ours / $sample_docs / 1000" | bc -l)" "$(echo "$sample_bare / $sample_docs / 1000" | bc -l)" \
	"$(echo "$sample_pages / $sample_docs" | bc -l)"
exit $failed
