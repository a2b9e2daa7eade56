#!/usr/bin/python3
"""Generate one day of OPS operations as BATCHES batch files (see load.sh).

    gen-load.py OPS BATCHES OUTDIR

Every operation is valid under SPEC section 2 for an as-of date of
2026-11-26, so the whole day books.  Orders follow a few patterns; about
one in a hundred reaches fixation, so the day calls for a few thousand
signed documents, not hundreds of thousands.  Operations of one order stay
in one batch, in order; the last order may be cut short (any prefix of a
pattern is valid) so the day has exactly OPS operations.

Prints the expected counts as KEY=VALUE lines for load.sh.
"""
import os
import sys

KINDS = ("financial", "legal", "construction", "marketing", "logistics", "other")
CURRENCIES = ("RUB", "EUR", "USD", "RUB", "EUR", "JPY")


def money(cur, units):
    """units: an integer amount in major units; JPY has no minor digits."""
    return "%d" % units if cur == "JPY" else "%d.%02d" % (units, units % 100)


def order_ops(i):
    """The operations of order i: a list of (xml, kind, postings, pdfs)."""
    oid = "L%07d" % i
    cur = CURRENCIES[i % len(CURRENCIES)]
    lang = "ru" if i % 3 == 0 else "en"
    kind = KINDS[i % len(KINDS)]
    client = "C%05d" % (i % 5000)
    execu = "E%03d" % (i % 200)
    recv = "2026-11-0%d" % (2 + i % 5)
    price = 1000 + i % 90000
    slot = i % 500
    pattern = {0: "F1", 100: "F1", 200: "F2", 300: "F2", 400: "F3"}.get(
        slot, "P%d" % (i % 4))
    due = "2026-11-20" if pattern[0] == "F" or i % 2 else "2026-12-%02d" % (1 + i % 28)
    if lang == "ru":
        name = "ООО «Клиент %s»" % client
        title = "Заказ %s: услуги по договору" % oid
        desc = "Работы по заказу %s в объёме, согласованном с клиентом." % oid
        ename = "Сотрудник %s" % execu
    else:
        name = "Client %s Ltd" % client
        title = "Order %s: services" % oid
        desc = "Work on order %s as agreed with the client." % oid
        ename = "Employee %s" % execu
    extra = ""
    if pattern[0] == "F":
        extra = (
            '<resources><resource kind="staff" unit="h" quantity="%d" '
            'unitCost="%s">Specialist</resource></resources>'
            '<result><deliverable>Report for %s</deliverable>'
            '<acceptance>Accepted by the client.</acceptance></result>'
            '<terms><penalty ratePerDay="0.1" capPercent="5"/>'
            '<confidentiality level="%s"/></terms>'
            % (1 + i % 40, money(cur, 50 + i % 100), oid,
               "secret" if i % 1000 == 0 else "confidential"))
    ops = [(
        '<order id="%s" priority="%s"><client id="%s" lang="%s"><name>%s</name>'
        '</client><kind>%s</kind><title>%s</title><description>%s</description>'
        '<executor id="%s">%s</executor><received>%s</received>'
        '<start>2026-11-09</start><due>%s</due><price currency="%s">%s</price>%s'
        '</order>' % (oid, ("low", "normal", "high", "urgent")[i % 4], client,
                      lang, name, kind, title, desc, execu, ename, recv, due,
                      cur, money(cur, price), extra), 0, "")]

    def op(xml, posts=0, pdf=""):
        ops.append((xml, posts, pdf))

    def adv(stage, on):
        op('<advance order="%s" stage="%s" on="%s"/>' % (oid, stage, on))

    def cost(on, k="staff"):
        op('<cost order="%s" on="%s" kind="%s" amount="%s" currency="%s">'
           'invoice</cost>' % (oid, on, k, money(cur, 10 + i % 50), cur), 2)

    def pay(on):
        op('<payment order="%s" on="%s" amount="%s" currency="%s" '
           'reference="PAY-%d"/>' % (oid, on, money(cur, 100 + i % 500), cur, i),
           2)

    if pattern == "P0":
        adv("planning", "2026-11-12")
        op('<progress order="%s" on="2026-11-13" percent="%d">started</progress>'
           % (oid, i % 90))
        cost("2026-11-14", ("staff", "material", "technology", "other")[i // 4 % 4])
    elif pattern == "P1":
        adv("planning", "2026-11-12")
        pay("2026-11-13")
        op('<amend order="%s" effective="2026-11-15" reason="scope"><title>%s '
           '(revised)</title></amend>' % (oid, title))
    elif pattern == "P2":
        adv("planning", "2026-11-12")
        op('<cancel order="%s" on="2026-11-16" reason="client withdrew"/>' % oid)
        pay("2026-11-17")
    elif pattern == "P3":
        op('<progress order="%s" on="2026-11-12" percent="5"/>' % oid)
        op('<progress order="%s" on="2026-11-13" percent="20"/>' % oid)
        cost("2026-11-14", "material")
    else:
        adv("planning", "2026-11-06")
        adv("agreement", "2026-11-09")
        op('<advance order="%s" stage="fixation" on="2026-11-10"/>' % oid,
           0, "agreement")
        if pattern == "F1":
            adv("execution", "2026-11-11")
            op('<progress order="%s" on="2026-11-15" percent="50"/>' % oid)
            late = i % 1000 == 100
            op('<complete order="%s" on="%s">delivered</complete>'
               % (oid, "2026-11-24" if late else "2026-11-18"),
               4 if late else 2, "act")
            op('<evaluate order="%s" on="2026-11-25" score="%d">fine</evaluate>'
               % (oid, 1 + i % 5))
            pay("2026-11-25")
        elif pattern == "F2":
            op('<amend order="%s" effective="2026-11-12" reason="new due date">'
               '<due>2026-11-30</due></amend>' % oid, 0, "amendment")
            adv("execution", "2026-11-13")
            cost("2026-11-14", "technology")
    return ops


def main():
    total, batches, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    orders = []
    count = 0
    i = 0
    while count < total:
        i += 1
        ops = order_ops(i)[:total - count]
        orders.append(ops)
        count += len(ops)
    os.makedirs(outdir, exist_ok=True)
    posts = pdfs = files = 0
    kinds = {"agreement": 0, "amendment": 0, "act": 0}
    for b in range(batches):
        n = len(orders)
        chunk = orders[b * n // batches:(b + 1) * n // batches]
        if not chunk:
            break
        files += 1
        with open(os.path.join(outdir, "load-%04d.xml" % (b + 1)), "w",
                  encoding="utf-8", buffering=1 << 20) as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<batch xmlns="urn:mandate:orders:1" id="LOAD-%04d" '
                    'issued="2026-11-26T21:00:00Z">\n' % (b + 1))
            for ops in chunk:
                for xml, p, pdf in ops:
                    f.write(xml)
                    f.write("\n")
                    posts += p
                    if pdf:
                        kinds[pdf] += 1
            f.write("</batch>\n")
    pdfs = sum(kinds.values())
    print("ops=%d" % total)
    print("orders=%d" % len(orders))
    print("batches=%d" % files)
    # a batch is begin + its operations + their postings + commit
    print("records=%d" % (total + posts + 2 * files))
    print("pdfs=%d" % pdfs)
    for k, v in sorted(kinds.items()):
        print("%s=%d" % (k, v))


main()
