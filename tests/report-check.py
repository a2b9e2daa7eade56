"""Checks mandate's XLSX reports against the batch files they came from.

Run by tests/report-t.sh with /usr/bin/python3 (the one with openpyxl):

  report-check.py check --status S --performance P --as-of DATE
                  [--ledger-bal FILE] BATCH.xml...
  report-check.py recalc --status S --performance P --lo-dir DIR
  report-check.py canary --status S --out COPY     (a copy with one cached
                  formula result made wrong, for the recalculation canary)
  report-check.py canary-check --lo-dir DIR --value V

Exits 0 when it ran to the end (whatever it found), non-zero when it
crashed.  Every KPI is computed here again, independently, from the XML (never from
mandate's code), with the rules of mandate(1) KPI DEFINITIONS.  Prints one
line per check, "ok<TAB>what" or "not ok<TAB>what", and "# ..." notes; the
shell numbers them as TAP.
"""
import csv
import datetime
import math
import os
import re
import statistics
import sys
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal, ROUND_HALF_UP

import openpyxl

NS = "{urn:mandate:orders:1}"
MINOR = {"JPY": 0}          # every other currency of the tests has 2
FIELDS = ["title", "description", "executor", "start", "due", "price",
          "resources", "result", "terms"]
KINDS = ["financial", "legal", "construction", "marketing", "logistics",
         "other"]
STATUS_SHEETS = ["Orders", "Overdue", "Due in 7 days", "Amendments",
                 "Receivables", "Trial balance"]
PERF_SHEETS = ["KPI", "By executor", "By kind", "By client", "By month",
               "Charts"]

failures = 0


def report(passed, what, *notes):
    global failures
    print(("ok\t" if passed else "not ok\t") + what)
    if not passed:
        failures += 1
        for n in notes:
            print("# " + str(n))
    sys.stdout.flush()
    return passed


def close(a, b, tol=1e-9):
    """Equal, numbers within a relative tolerance."""
    numbers = (int, float)
    if not (isinstance(a, numbers) and isinstance(b, numbers)) or \
            isinstance(a, bool) or isinstance(b, bool):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=tol, abs_tol=1e-9)


# ---- the independent model ---------------------------------------------------

def day(text):
    return datetime.date.fromisoformat(text)


def minor(amount, cur):
    return int(Decimal(amount).scaleb(MINOR.get(cur, 2)))


def major(value, cur):
    return value / 10 ** MINOR.get(cur, 2)


def text_of(el):
    return " ".join((el.text or "").split()) if el is not None else None


def canon(el):
    """A comparable form of an element (whitespace collapsed)."""
    if el is None:
        return None
    return (el.tag, tuple(sorted(el.attrib.items())), text_of(el),
            tuple(canon(c) for c in el))


def penalty(price, rate, cap, days):
    """price x rate% x days, capped at price x cap%, half away from 0."""
    if rate is None or days <= 0:
        return 0
    raw = Decimal(price) * rate * days / 100
    limit = Decimal(price) * cap / 100
    return int(min(raw, limit).quantize(Decimal(1), ROUND_HALF_UP))


class Order:
    pass


def read_fields(el, fields):
    """The fields an <order> or <amend> element carries, as comparable
    values: fields[name] = (value for the model, canonical form)."""
    for name in FIELDS:
        c = el.find(NS + name)
        if c is None:
            continue
        if name in ("title", "description"):
            fields[name] = text_of(c)
        elif name == "executor":
            fields[name] = (c.get("id"), text_of(c))
        elif name in ("start", "due"):
            fields[name] = day(c.text.strip())
        elif name == "price":
            cur = c.get("currency")
            fields[name] = (minor(c.text.strip(), cur), cur)
        else:
            fields[name] = canon(c)
            if name == "terms":
                p = c.find(NS + "penalty")
                fields["penalty"] = None if p is None else (
                    Decimal(p.get("ratePerDay")), Decimal(p.get("capPercent")))


def model(paths, as_of):
    """Replays the batch files: the orders as of as_of, the amendment log,
    the postings.  Completion facts use the fields as booked (every
    amendment booked before the completion)."""
    orders, log, postings, costs = {}, [], [], []
    for path in paths:
        for el in ET.parse(path).getroot():
            op = el.tag[len(NS):]
            if op == "order":
                on = day(el.find(NS + "received").text.strip())
            else:
                on = day(el.get("effective") or el.get("on"))
            oid = el.get("id") if op == "order" else el.get("order")
            o = orders.get(oid)
            if op == "order":
                o = Order()
                o.id, o.booked, o.counted = oid, {}, on <= as_of
                read_fields(el, o.booked)
                cl = el.find(NS + "client")
                o.client, o.client_name = cl.get("id"), text_of(
                    cl.find(NS + "name"))
                o.kind = text_of(el.find(NS + "kind"))
                o.priority = el.get("priority", "normal")
                o.received = on
                o.fields = dict(o.booked)
                o.stage, o.progress, o.amendments = "identification", None, 0
                o.costs = o.payments = 0
                o.completed = o.cancelled = o.closed = None
                o.score, o.last_change = 0, on
                orders[oid] = o
                continue
            booked_before = dict(o.booked)
            if op == "amend":
                new = {}
                read_fields(el, new)
                changed = [f for f in FIELDS if f in new
                           and new[f] != o.booked.get(f)]
                o.booked.update(new)
            counts = o.counted and on <= as_of and not (
                op == "evaluate" and o.completed is None)
            if not counts:
                continue
            o.last_change = max(o.last_change, on)
            if op == "amend":
                for f in changed:
                    log.append((oid, on, f, booked_before.get(f),
                                o.booked.get(f), el.get("reason")))
                    o.fields[f] = o.booked[f]
                if "terms" in changed:
                    o.fields["penalty"] = o.booked.get("penalty")
                o.amendments += 1
            elif op == "advance":
                o.stage = el.get("stage")
            elif op == "progress":
                o.progress = int(el.get("percent"))
            elif op in ("cost", "payment"):
                cur = el.get("currency")
                amount = minor(el.get("amount"), cur)
                if op == "cost":
                    o.costs += amount
                    costs.append((on, cur, amount))
                    postings += [("expenses:" + el.get("kind"), cur, amount),
                                 ("liabilities:payable", cur, -amount)]
                else:
                    o.payments += amount
                    postings += [("assets:bank", cur, amount),
                                 ("assets:receivable:" + o.client, cur,
                                  -amount)]
            elif op == "complete":
                o.stage, o.completed = "evaluation", on
                o.done_due = booked_before.get("due")
                o.done_price, cur = booked_before["price"]
                o.done_exec = booked_before.get("executor")
                o.days_late = max(0, (on - o.done_due).days)
                rate = booked_before.get("penalty")
                o.penalty = penalty(o.done_price, *(rate or (None, None)),
                                    o.days_late)
                recv = "assets:receivable:" + o.client
                postings += [(recv, cur, o.done_price),
                             ("income:" + o.kind, cur, -o.done_price)]
                if o.penalty:
                    postings += [("expenses:penalties", cur, o.penalty),
                                 (recv, cur, -o.penalty)]
            elif op == "evaluate":
                o.stage, o.score, o.closed = "closed", int(el.get("score")), on
            elif op == "cancel":
                o.stage, o.cancelled = "cancelled", on
    view = [o for o in orders.values() if o.counted]
    return view, log, postings, costs


def is_open(o):
    return o.completed is None and o.cancelled is None


def overdue_days(o, as_of):
    due = o.fields.get("due")
    if is_open(o) and due is not None and as_of > due:
        return (as_of - due).days
    return 0


def accrued(o, as_of):
    d = overdue_days(o, as_of)
    if d == 0 or "price" not in o.fields:
        return 0
    rate = o.fields.get("penalty")
    return penalty(o.fields["price"][0], *(rate or (None, None)), d)


def currency(o):
    return o.fields["price"][1] if "price" in o.fields else None


def new_group():
    return {"received": 0, "completed": 0, "on_time": 0, "late": 0,
            "overdue": 0, "cancelled": 0, "evaluated": 0, "cycle": [],
            "scores": [], "money": {}}


def money_of(g, cur):
    return g["money"].setdefault(cur, {"revenue": 0, "penalties": 0,
                                       "costs": 0, "accrued": 0})


def add(g, o, as_of, parts="RCKO"):
    cur = currency(o)
    if "R" in parts:
        g["received"] += 1
        g["cancelled"] += o.cancelled is not None
    if "C" in parts and o.completed is not None:
        g["completed"] += 1
        g["late" if o.days_late > 0 else "on_time"] += 1
        g["cycle"].append((o.completed - o.received).days)
        if o.score:
            g["evaluated"] += 1
            g["scores"].append(o.score)
        m = money_of(g, cur)
        m["revenue"] += o.done_price
        m["penalties"] += o.penalty
    if "K" in parts and cur is not None and o.costs:
        money_of(g, cur)["costs"] += o.costs
    if "O" in parts and overdue_days(o, as_of):
        g["overdue"] += 1
        if cur is not None:
            money_of(g, cur)["accrued"] += accrued(o, as_of)


def measures(g):
    def ratio(a, b):
        return a / b if b else None
    return {
        "Received": g["received"], "Completed": g["completed"],
        "Completed on time": g["on_time"], "Completed late": g["late"],
        "Open overdue": g["overdue"], "Cancelled": g["cancelled"],
        "Evaluated": g["evaluated"],
        "On-time rate": ratio(g["on_time"], g["completed"]),
        "Mean cycle days": ratio(sum(g["cycle"]), len(g["cycle"])),
        "Median cycle days": (statistics.median(g["cycle"])
                              if g["cycle"] else None),
        "Mean score": ratio(sum(g["scores"]), len(g["scores"])),
        "Cancellation rate": ratio(g["cancelled"], g["received"]),
    }


def month_key(d):
    return d.year * 12 + d.month - 1


def groupings(view, costs, as_of):
    total = new_group()
    by = {"By executor": {}, "By kind": {k: new_group() for k in KINDS},
          "By client": {}, "By month": {}}
    for o in view:
        add(total, o, as_of)
        ex = o.done_exec if o.completed is not None else o.fields.get(
            "executor")
        add(by["By executor"].setdefault(ex[0] if ex else "(none)",
                                         new_group()), o, as_of)
        add(by["By kind"][o.kind], o, as_of)
        add(by["By client"].setdefault(o.client, new_group()), o, as_of)
    months = by["By month"]
    if view:
        first = min(month_key(o.received) for o in view)
        for m in range(first, month_key(as_of) + 1):
            months[m] = new_group()
    for o in view:
        add(months[month_key(o.received)], o, as_of, "R")
        if o.completed is not None:
            add(months[month_key(o.completed)], o, as_of, "C")
        if overdue_days(o, as_of):
            add(months[month_key(o.fields["due"])], o, as_of, "O")
    for on, cur, amount in costs:
        money_of(months[month_key(on)], cur)["costs"] += amount
    return total, by


# ---- reading the workbooks -------------------------------------------------------

def rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def header_index(ws):
    return {c.value: i for i, c in enumerate(ws[1]) if c.value is not None}


def as_date(v):
    return v.date() if isinstance(v, datetime.datetime) else v


def check_sheet_basics(wb, name, data_rows, book):
    ws = wb[name]
    ncols = ws.max_column
    last = openpyxl.utils.get_column_letter(ncols)
    report(ws.freeze_panes == "A2", "%s: %s: header row frozen" % (book, name),
           ws.freeze_panes)
    report(ws.auto_filter.ref == "A1:%s%d" % (last, data_rows + 1),
           "%s: %s: autofilter over the header and %d data rows"
           % (book, name, data_rows), ws.auto_filter.ref)
    ps = ws.page_setup
    report(ps.orientation == "landscape" and ps.fitToWidth in (1, None)
           and ps.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr
           is not None and ws.sheet_properties.pageSetUpPr.fitToPage,
           "%s: %s: prints landscape, one page wide" % (book, name),
           ps.orientation, ps.fitToWidth, ps.fitToHeight)
    report(ws.print_title_rows in ("1:1", "$1:$1") and
           ws.oddFooter.center.text == "Page &P of &N",
           "%s: %s: header row repeated, footer 'Page &P of &N'"
           % (book, name), ws.print_title_rows, ws.oddFooter.center.text)
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width
              for c in range(1, ncols + 1)]
    report(all(w and 4 <= w <= 61 for w in widths),
           "%s: %s: every column has a width from its content" % (book, name),
           widths)


def money_format_ok(fmt, cur):
    digits = MINOR.get(cur, 2)
    number = "#,##0" + ("." + "0" * digits if digits else "")
    return (fmt.startswith(number + '" ' + cur + '"_)')
            and "[Red](" + number in fmt and '"- ' + cur + '"' in fmt)


def total_rows(table, label_col=0):
    return [r for r in table if r and r[label_col] == "Total"]


# ---- status.xlsx -----------------------------------------------------------------

def check_status(path, view, log, postings, as_of, ledger_bal):
    wb = openpyxl.load_workbook(path, data_only=True)
    wf = openpyxl.load_workbook(path)
    report(wb.sheetnames == STATUS_SHEETS, "status: sheet names",
           wb.sheetnames)
    report(wb.properties.created == datetime.datetime.combine(
        as_of, datetime.time()), "status: created property is the as-of date",
        wb.properties.created)
    check_orders(wb, wf, view, as_of)
    check_overdue(wb, wf, view, as_of)
    check_due_soon(wb, view, as_of)
    check_amendments(wb, wf, view, log)
    check_receivables(wb, wf, view, postings)
    check_trial_balance(wb, wf, postings, ledger_bal)
    check_equals_text(wf)


def check_orders(wb, wf, view, as_of):
    ws, wsf = wb["Orders"], wf["Orders"]
    h = header_index(ws)
    want = ["Order", "Client ID", "Client", "Kind", "Title", "Executor ID",
            "Executor", "Stage", "Priority", "Received", "Start", "Due",
            "Days overdue", "Progress", "Price", "Currency", "Costs", "Paid",
            "Balance due", "Amendments", "Last change"]
    report(list(h) == want, "Orders: columns", list(h))
    table = rows(ws)
    data = table[1:1 + len(view)]
    report(len(table) == 1 + len(view) + 1 + len({currency(o) for o in view
                                                  if currency(o)}),
           "Orders: one row per order, an empty row, a total per currency",
           len(table))
    check_sheet_basics(wb, "Orders", len(view), "status")
    bad = []
    for o, r in zip(view, data):
        cur = currency(o)
        bal = ((o.done_price - o.penalty) if o.completed else 0) - o.payments
        ex = o.fields.get("executor")
        prog = 1.0 if o.completed else (None if o.progress is None
                                        else o.progress / 100)
        expect = {
            "Order": o.id, "Client ID": o.client, "Client": o.client_name,
            "Kind": o.kind, "Title": o.fields.get("title"),
            "Executor ID": ex[0] if ex else None,
            "Executor": ex[1] if ex else None, "Stage": o.stage,
            "Priority": o.priority, "Received": o.received,
            "Start": o.fields.get("start"), "Due": o.fields.get("due"),
            "Days overdue": overdue_days(o, as_of), "Progress": prog,
            "Price": major(o.fields["price"][0], cur) if cur else None,
            "Currency": cur,
            "Costs": major(o.costs, cur) if cur else None,
            "Paid": major(o.payments, cur) if cur else None,
            "Balance due": major(bal, cur) if cur else None,
            "Amendments": o.amendments, "Last change": o.last_change,
        }
        for col, value in expect.items():
            seen = as_date(r[h[col]])
            if not close(seen, value):
                bad.append((o.id, col, value, seen))
    report(not bad, "Orders: every cell equals the model (%d orders)"
           % len(view), *bad[:10])
    # types and formats
    types = []
    for i, o in enumerate(view, start=2):
        for col in ("Received", "Due", "Last change"):
            c = wsf.cell(i, h[col] + 1)
            if c.value is not None and not (c.is_date and c.number_format
                                            == "yyyy-mm-dd"):
                types.append((o.id, col, c.data_type, c.number_format))
        cur = currency(o)
        for col in ("Price", "Costs", "Paid", "Balance due"):
            c = wsf.cell(i, h[col] + 1)
            if cur and not (c.data_type == "n" and
                            money_format_ok(c.number_format, cur)):
                types.append((o.id, col, c.data_type, c.number_format))
        for col in ("Days overdue", "Amendments"):
            if wsf.cell(i, h[col] + 1).data_type != "n":
                types.append((o.id, col))
        c = wsf.cell(i, h["Progress"] + 1)
        if c.value is not None and c.number_format != "0.0%":
            types.append((o.id, "Progress", c.number_format))
    report(not types, "Orders: dates are dates, money is numbers in its "
           "currency's accounting format", *types[:10])
    check_totals(wb, wf, "Orders", len(view), "Currency",
                 ["Price", "Costs", "Paid", "Balance due"])


def check_totals(wb, wf, name, n, cur_col, money_cols, expect=None):
    """Totals rows: a SUMIF formula per money column whose cached value is
    the sum of the data rows of that currency (or expect[(cur, col)])."""
    ws, wsf = wb[name], wf[name]
    h = header_index(ws)
    table, formulas = rows(ws), rows(wsf)
    data = table[1:1 + n]
    curs = sorted({r[h[cur_col]] for r in data if r[h[cur_col]]})
    totals = table[2 + n:]
    bad = []
    report([r[h[cur_col]] for r in totals] == curs and
           all(r[0] == "Total" for r in totals),
           "%s: one totals row per currency, never across currencies" % name,
           [r[h[cur_col]] for r in totals], curs)
    for k, r in enumerate(totals):
        cur = r[h[cur_col]]
        if cur is None:
            continue
        for col in money_cols:
            f = formulas[2 + n + k][h[col]]
            want = sum(x[h[col]] or 0 for x in data if x[h[cur_col]] == cur)
            if expect is not None:
                want = expect[(cur, col)]
            letter = openpyxl.utils.get_column_letter(h[col] + 1)
            cl = openpyxl.utils.get_column_letter(h[cur_col] + 1)
            form = '=SUMIF($%s$2:$%s$%d,"%s",$%s$2:$%s$%d)' % (
                cl, cl, n + 1, cur, letter, letter, n + 1)
            if f != form or not close(r[h[col]], want, 1e-12):
                bad.append((cur, col, f, r[h[col]], want))
            if not money_format_ok(wf[name].cell(3 + n + k, h[col] + 1)
                                   .number_format, cur):
                bad.append((cur, col, "format"))
    report(not bad, "%s: totals are SUMIF formulas with their values cached"
           % name, *bad[:8])


def check_overdue(wb, wf, view, as_of):
    od = sorted((o for o in view if overdue_days(o, as_of)),
                key=lambda o: (o.fields["due"], o.id))
    ws = wb["Overdue"]
    h = header_index(ws)
    data = rows(ws)[1:1 + len(od)]
    bad = []
    for o, r in zip(od, data):
        cur = currency(o)
        want = {"Order": o.id, "Days overdue": overdue_days(o, as_of),
                "Due": o.fields["due"],
                "Accrued penalty": major(accrued(o, as_of), cur),
                "Price": major(o.fields["price"][0], cur), "Currency": cur}
        for col, value in want.items():
            if not close(as_date(r[h[col]]), value):
                bad.append((o.id, col, value, r[h[col]]))
    report(len(rows(ws)) >= 1 + len(od) and not bad and
           [r[0] for r in data] == [o.id for o in od],
           "Overdue: the open overdue orders, earliest due first, with the "
           "accrued penalty (%d)" % len(od), *bad)
    check_sheet_basics(wb, "Overdue", len(od), "status")
    check_totals(wb, wf, "Overdue", len(od), "Currency",
                 ["Price", "Accrued penalty", "Paid"])


def check_due_soon(wb, view, as_of):
    soon = sorted((o for o in view if is_open(o) and o.fields.get("due")
                   and as_of < o.fields["due"] <= as_of +
                   datetime.timedelta(days=7)),
                  key=lambda o: (o.fields["due"], o.id))
    ws = wb["Due in 7 days"]
    h = header_index(ws)
    data = rows(ws)[1:1 + len(soon)]
    report([r[0] for r in data] == [o.id for o in soon] and
           all(r[h["Days left"]] == (o.fields["due"] - as_of).days
               for o, r in zip(soon, data)),
           "Due in 7 days: open orders with as-of < due <= as-of + 7 (%d)"
           % len(soon), [r[0] for r in data], [o.id for o in soon])
    check_sheet_basics(wb, "Due in 7 days", len(soon), "status")


def check_amendments(wb, wf, view, log):
    ws, wsf = wb["Amendments"], wf["Amendments"]
    h = header_index(ws)
    data = rows(ws)[1:]
    seen = [(r[0], as_date(r[h["Effective"]]), r[h["Field"]]) for r in data]
    want = [(oid, on, f) for oid, on, f, _, _, _ in log]
    report(seen == want, "Amendments: one row per changed field, in ledger "
           "order (%d)" % len(want), seen, want)
    bad = []
    for k, (oid, on, f, old, new, reason) in enumerate(log):
        r = data[k]
        for col, value in (("Old value", old), ("New value", new)):
            c = wsf.cell(k + 2, h[col] + 1)
            v = as_date(r[h[col]])
            if f in ("start", "due"):
                ok = c.is_date and v == value if value else v == "(none)"
            elif f == "price":
                ok = (c.data_type == "n" and close(v, major(*value)) and
                      money_format_ok(c.number_format, value[1])) \
                    if value else v == "(none)"
            elif f == "executor":
                ok = v == "%s (%s)" % (value[1], value[0])
            elif f in ("title", "description"):
                ok = v == value
            else:
                ok = isinstance(v, str) and v != ""
            if not ok:
                bad.append((oid, f, col, value, v, c.data_type))
        if r[h["Reason"]] != " ".join(reason.split()):
            bad.append((oid, "reason", r[h["Reason"]]))
    report(not bad, "Amendments: old and new values typed (dates, money, "
           "text)", *bad[:8])
    check_sheet_basics(wb, "Amendments", len(log), "status")


def balances(postings):
    out = {}
    for account, cur, amount in postings:
        out[(account, cur)] = out.get((account, cur), 0) + amount
    return out


def check_receivables(wb, wf, view, postings):
    bal = balances(postings)
    ws = wb["Receivables"]
    h = header_index(ws)
    lines = {}
    for o in view:
        cur = currency(o)
        if cur is None or (o.completed is None and o.payments == 0):
            continue
        x = lines.setdefault((o.client, cur), [0, 0, 0])
        if o.completed:
            x[0] += o.done_price
            x[1] += o.penalty
        x[2] += o.payments
    want = sorted(lines)
    data = rows(ws)[1:1 + len(want)]
    bad = []
    for (client, cur), r in zip(want, data):
        inv, pen, paid = lines[(client, cur)]
        book = bal.get(("assets:receivable:" + client, cur), 0)
        exp = [client, cur, major(inv, cur), major(pen, cur),
               major(paid, cur), major(inv - pen - paid, cur),
               major(book, cur)]
        got = [r[h["Client ID"]], r[h["Currency"]], r[h["Invoiced"]],
               r[h["Penalties"]], r[h["Paid"]], r[h["Balance due"]],
               r[h["Balance due"]]]
        if not all(close(a, b) for a, b in zip(got, exp)):
            bad.append((exp, got))
    report([(r[0], r[h["Currency"]]) for r in data] == want and not bad,
           "Receivables: per client and currency, balance = the receivable "
           "account's", *bad)
    formulas = rows(wf["Receivables"])[1:1 + len(want)]
    report(all(f[h["Balance due"]] == "=D%d-E%d-F%d" % (i, i, i)
               for i, f in enumerate(formulas, start=2)),
           "Receivables: balance due is a formula (cached)",
           [f[h["Balance due"]] for f in formulas])
    check_sheet_basics(wb, "Receivables", len(want), "status")
    check_totals(wb, wf, "Receivables", len(want), "Currency",
                 ["Invoiced", "Penalties", "Paid", "Balance due"])


def check_trial_balance(wb, wf, postings, ledger_bal):
    bal = balances(postings)
    ws = wb["Trial balance"]
    table = rows(ws)
    n = len(bal)
    data = table[1:1 + n]
    seen = {(r[0], r[1]): round((r[2] or 0) - (r[3] or 0), 6) for r in data}
    want = {k: major(v, k[1]) for k, v in bal.items()}
    report(seen == want and [(r[0], r[1]) for r in data] == sorted(bal),
           "Trial balance: one row per account and currency, equal to the "
           "postings of the XML", sorted(set(seen.items()) ^
                                         set(want.items()))[:6])
    report(all((r[2] is None) != (r[3] is None) and
               (r[2] is None or r[2] >= 0) and (r[3] is None or r[3] > 0)
               for r in data),
           "Trial balance: a positive balance in Debit, a negative one in "
           "Credit")
    totals = total_rows(table)
    report(totals and all(close(t[2], t[3], 1e-12) for t in totals) and
           sorted(t[1] for t in totals) == sorted({c for _, c in bal}),
           "Trial balance: per currency, total debit equals total credit",
           totals)
    check_sheet_basics(wb, "Trial balance", n, "status")
    check_totals(wb, wf, "Trial balance", n, "Currency", ["Debit", "Credit"])
    if ledger_bal is None:
        print("# ledger-cli not run: skipped the comparison")
        return
    theirs = {}
    with open(ledger_bal, encoding="utf-8") as f:
        for line in f:
            account, amount = line.rstrip("\n").split("\t")
            value, cur = amount.split()
            theirs[(account, cur)] = float(value)
    ours = {k: v for k, v in seen.items() if v != 0}
    report(ours == theirs, "Trial balance equals `ledger -f EXPORT bal`, "
           "account by account", sorted(set(ours.items()) ^
                                        set(theirs.items()))[:6])


def check_equals_text(wf):
    """Text starting with '=' is a string cell, never a formula."""
    hits = []
    for ws in wf.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("=") \
                        and c.data_type == "s":
                    hits.append(c.value)
    want = {"=SUM(A1) sea freight Vladivostok to Osaka", "=Equals Ltd",
            "=A1*2 translation of a tender", "=Expo moved by the organiser"}
    report(want <= set(hits), "status: text starting with '=' is written as "
           "text", sorted(set(hits)))
    xml = zipfile.ZipFile(STATUS_PATH)
    body = "".join(xml.read(n).decode() for n in xml.namelist()
                   if n.startswith("xl/worksheets/"))
    report("<f>SUM(A1)" not in body and "<f>A1*2" not in body,
           "status: no formula made of text")


# ---- performance.xlsx -------------------------------------------------------------

def check_performance(path, view, costs, as_of):
    wb = openpyxl.load_workbook(path, data_only=True)
    wf = openpyxl.load_workbook(path)
    report(wb.sheetnames == PERF_SHEETS, "performance: sheet names",
           wb.sheetnames)
    total, by = groupings(view, costs, as_of)
    curs = sorted({currency(o) for o in view if currency(o)})
    check_kpi_sheet(wb, wf, total, curs, as_of)
    for name in ("By executor", "By kind", "By client", "By month"):
        check_group(wb, wf, name, by[name], total, curs)
    check_charts(path, by)


def check_kpi_sheet(wb, wf, total, curs, as_of):
    ws = wb["KPI"]
    table = rows(ws)
    report(table[0] == ["KPI", "Currency", "Value", "Definition"],
           "KPI: columns", table[0])
    report(table[1][0] == "As of" and as_date(table[1][2]) == as_of,
           "KPI: the as-of date, as a date", table[1])
    got = {(r[0], r[1]): r[2] for r in table[1:]}
    bad = [(k, v, got.get((k, None))) for k, v in measures(total).items()
           if not close(got.get((k, None)), v)]
    report(not bad, "KPI: every count and rate equals the model", *bad)
    fmt = {r[0].value: r[2].number_format for r in wf["KPI"].iter_rows(
        min_row=2) if r[1].value is None}
    report(fmt["On-time rate"] == "0.0%" and
           fmt["Cancellation rate"] == "0.0%" and fmt["Received"] == "#,##0",
           "KPI: rates are fractions shown as percentages", fmt)
    bad = []
    for cur in curs:
        m = money_of(total, cur)
        margin = m["revenue"] - m["penalties"] - m["costs"]
        want = {"Revenue": major(m["revenue"], cur),
                "Penalties": major(m["penalties"], cur),
                "Costs": major(m["costs"], cur),
                "Margin": major(margin, cur),
                "Margin %": margin / m["revenue"] if m["revenue"] else None,
                "Accrued penalty": major(m["accrued"], cur)}
        for k, v in want.items():
            if not close(got.get((k, cur)), v):
                bad.append((cur, k, v, got.get((k, cur))))
    report(not bad and {c for (_, c) in got if c} == set(curs),
           "KPI: revenue, penalties, costs, margin, margin %%, accrued penalty "
           "per currency (%s)" % ", ".join(curs), *bad)
    check_sheet_basics(wb, "KPI", len(table) - 1, "performance")


def check_group(wb, wf, name, groups, total, curs):
    ws = wb[name]
    h = header_index(ws)
    table = rows(ws)
    n = len(groups)
    data = table[1:1 + n]
    if name == "By month":
        keys = sorted(groups)
        seen = [month_key(as_date(r[0])) for r in data]
    elif name == "By kind":
        keys = KINDS
        seen = [r[0] for r in data]
    else:
        keys = sorted(k for k in groups if k != "(none)") + (
            ["(none)"] if "(none)" in groups else [])
        seen = [r[0] for r in data]
    report(seen == keys, "%s: one row per group (%d)" % (name, n), seen, keys)
    bad = []
    for key, r in zip(keys, data):
        g = groups[key]
        want = measures(g)
        if name == "By month":
            want["Open overdue (by due month)"] = want.pop("Open overdue")
        for k, v in want.items():
            if not close(r[h[k]], v):
                bad.append((key, k, v, r[h[k]]))
        for cur in curs:
            m = g["money"].get(cur)
            cells = [r[h[c + " " + cur]] for c in ("Revenue", "Penalties",
                                                   "Costs", "Margin",
                                                   "Accrued penalty")]
            if m is None or not any(m.values()):
                if any(c is not None for c in cells):
                    bad.append((key, cur, "money where none", cells))
                continue
            margin = m["revenue"] - m["penalties"] - m["costs"]
            exp = [major(m["revenue"], cur), major(m["penalties"], cur),
                   major(m["costs"], cur), major(margin, cur),
                   major(m["accrued"], cur)]
            if not all(close(a, b) for a, b in zip(cells, exp)):
                bad.append((key, cur, exp, cells))
            rate = r[h["Margin % " + cur]]
            if not close(rate, margin / m["revenue"] if m["revenue"]
                         else None):
                bad.append((key, cur, "margin %", rate))
    report(not bad, "%s: every KPI of every group equals the model" % name,
           *bad[:8])
    # the totals row: formulas over the rows, equal to the overall KPIs
    tot = table[2 + n] if len(table) > 2 + n else None
    ftot = rows(wf[name])[2 + n] if tot else None
    want = measures(total)
    if name == "By month":
        want["Open overdue (by due month)"] = want.pop("Open overdue")
    bad = []
    for k, v in want.items():
        if not close(tot[h[k]] if tot else None, v):
            bad.append((k, v, tot[h[k]] if tot else None))
    for k in ("Received", "Completed", "Cancelled"):
        letter = openpyxl.utils.get_column_letter(h[k] + 1)
        if ftot is None or ftot[h[k]] != "=SUM(%s2:%s%d)" % (letter, letter,
                                                             n + 1):
            bad.append((k, ftot[h[k]] if ftot else None))
    if ftot is not None and not str(ftot[h["On-time rate"]]).startswith("="):
        bad.append(("On-time rate", ftot[h["On-time rate"]]))
    for cur in curs:
        m = money_of(total, cur)
        if not close(tot[h["Revenue " + cur]], major(m["revenue"], cur)):
            bad.append(("Revenue", cur))
    report(tot is not None and tot[0] == "Total" and not bad,
           "%s: totals row (formulas, cached) equals the overall KPIs" % name,
           *bad)
    check_sheet_basics(wb, name, n, "performance")


def check_charts(path, by):
    z = zipfile.ZipFile(path)
    charts = sorted(n for n in z.namelist() if re.match(
        r"xl/charts/chart\d+\.xml$", n))
    report(len(charts) == 2, "Charts: two charts", charts)
    if len(charts) != 2:
        return
    bar, col = (z.read(c).decode() for c in charts)
    n = len(by["By executor"])
    report('<c:barDir val="bar"/>' in bar and 'formatCode="0%"' in bar and
           "'By executor'!$L$2:$L$%d" % (n + 1) in bar,
           "Charts: on-time rate by executor, a bar chart with a 0% axis")
    m = len(by["By month"])
    report('<c:barDir val="col"/>' in col and col.count("<c:ser>") == 2 and
           "Charts!$P$2:$P$%d" % (m + 1) in col and
           'formatCode="#,##0"' in col,
           "Charts: completed vs open overdue by month, a column chart")


# ---- LibreOffice ---------------------------------------------------------------------

def parse_lo(text):
    """A value of LibreOffice's CSV (raw numbers, percentages with "%",
    dates as yyyy-mm-dd or its default m/d/yyyy)."""
    if text == "":
        return None
    try:
        if text.endswith("%"):
            return float(text[:-1]) / 100
        return float(text)
    except ValueError:
        pass
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return text


def recalc(status, performance, lo_dir):
    """Every cell as LibreOffice computes it (recalculation forced) equals
    the cell as cached in the file."""
    for path, prefix in ((status, "status"), (performance, "performance")):
        wb = openpyxl.load_workbook(path, data_only=True)
        for ws in wb.worksheets:
            csv_path = os.path.join(lo_dir, "%s-%s.csv" % (prefix, ws.title))
            if not os.path.exists(csv_path):
                report(False, "LibreOffice: %s: %s converted" % (prefix,
                                                                 ws.title))
                continue
            with open(csv_path, encoding="utf-8", newline="") as f:
                theirs = list(csv.reader(f))
            ours = rows(ws)
            bad = []
            for i in range(max(len(ours), len(theirs))):
                a = ours[i] if i < len(ours) else []
                b = theirs[i] if i < len(theirs) else []
                for j in range(max(len(a), len(b))):
                    x = as_date(a[j]) if j < len(a) else None
                    y = parse_lo(b[j]) if j < len(b) else None
                    if isinstance(x, datetime.date) and isinstance(y, float):
                        x = float((x - datetime.date(1899, 12, 30)).days)
                    if isinstance(x, datetime.date) and \
                            isinstance(y, datetime.date) and \
                            (x.day == 1 or y.day == 1):
                        x, y = (x.year, x.month), (y.year, y.month)
                    if not close(x, y, 1e-12):
                        bad.append((i + 1, j + 1, x, y))
            formulas = sum(1 for r in openpyxl.load_workbook(path)[ws.title]
                           .iter_rows() for c in r if c.data_type == "f")
            report(not bad, "LibreOffice, recalculating: %s: %s equals the "
                   "cached values (%d formulas)" % (prefix, ws.title,
                                                    formulas), *bad[:6])


def canary(status, out):
    """Copies status.xlsx with the first cached formula result replaced by
    999999: a recalculating reader must not show it."""
    zin = zipfile.ZipFile(status)
    zout = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
    done = False
    for item in zin.infolist():
        data = zin.read(item.filename)
        if not done and item.filename == "xl/worksheets/sheet6.xml":
            text, count = re.subn(r"(</f><v>)[^<]*(</v>)", r"\g<1>999999\2",
                                  data.decode(), count=1)
            data, done = text.encode(), count == 1
        zout.writestr(item, data)
    zout.close()
    report(done, "canary: a copy with one cached total made wrong")


def canary_check(lo_dir):
    with open(os.path.join(lo_dir, "canary-Trial balance.csv"),
              encoding="utf-8") as f:
        text = f.read()
    report("999999" not in text, "canary: LibreOffice recalculates (the wrong "
           "cached value is not shown)")


def main(argv):
    global STATUS_PATH
    args, files, mode = {}, [], argv[1]
    i = 2
    while i < len(argv):
        if argv[i].startswith("--"):
            args[argv[i][2:]] = argv[i + 1]
            i += 2
        else:
            files.append(argv[i])
            i += 1
    if mode == "check":
        as_of = day(args["as-of"])
        STATUS_PATH = args["status"]
        view, log, postings, costs = model(files, as_of)
        print("# model: %d orders, %d changed fields, %d postings as of %s"
              % (len(view), len(log), len(postings), as_of))
        check_status(args["status"], view, log, postings, as_of,
                     args.get("ledger-bal"))
        check_performance(args["performance"], view, costs, as_of)
    elif mode == "recalc":
        recalc(args["status"], args["performance"], args["lo-dir"])
    elif mode == "canary":
        canary(args["status"], args["out"])
    elif mode == "canary-check":
        canary_check(args["lo-dir"])
    # failures are "not ok" lines; a non-zero exit means a crash
    return 0


STATUS_PATH = None
if __name__ == "__main__":
    sys.exit(main(sys.argv))
