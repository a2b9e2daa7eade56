#!/usr/bin/env python3
"""Samples a workbook for tests/bench/bare_xlsx.c: every sheet's name,
column widths, frozen rows, autofilter and row count, its header row, its
first SAMPLES data rows and its totals block (the rows after the empty row
that ends the data), every cell with its type, value and format (number
format, bold, border, fill of its style).  Streams the sheets (a
million-row sheet is never held in memory).

    xlsx_sample.py WORKBOOK SAMPLES > SAMPLE

Output, one record a line, fields separated by tabs, text escaped (\\t \\n
\\\\):
    X  id  numFmtId  formatCode  bold  border  fill   a cell format
    S  name  data_rows  freeze_rows  autofilter_ref    a sheet
    W  first_col  last_col  width                      column widths
    C  row  col  xf  kind  value  [cached]            a cell; kind: s n f
    E                                                  end of the sheet
Rows of C records are the header (0), the samples (1..), and the totals
with their own row numbers."""
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = '{http://schemas.openxmlformats.org/spreadsheetml/2006/main}'
RNS = '{http://schemas.openxmlformats.org/officeDocument/2006/relationships}'


def esc(text):
    return text.replace('\\', '\\\\').replace('\t', '\\t').replace('\n', '\\n')


def col_index(ref):
    n = 0
    for ch in ref:
        if ch.isalpha():
            n = n * 26 + ord(ch.upper()) - 64
        else:
            break
    return n - 1


def row_of(ref):
    return int(re.sub(r'^[A-Z]+', '', ref)) - 1


def cell_records(c):
    ref = c.get('r')
    xf = c.get('s', '0')
    t = c.get('t')
    f = c.find(NS + 'f')
    v = c.find(NS + 'v')
    if t == 'inlineStr':
        text = ''.join(x.text or '' for x in c.iter(NS + 't'))
        return ['C', row_of(ref), col_index(ref), xf, 's', esc(text)]
    if f is not None:
        return ['C', row_of(ref), col_index(ref), xf, 'f', esc(f.text or ''),
                v.text if v is not None else '0']
    if v is not None:
        return ['C', row_of(ref), col_index(ref), xf, 'n', v.text]
    return None


def emit(rec):
    print('\t'.join(str(x) for x in rec))


def main():
    path, samples = sys.argv[1], int(sys.argv[2])
    z = zipfile.ZipFile(path)
    styles = ET.fromstring(z.read('xl/styles.xml'))
    codes = {n.get('numFmtId'): n.get('formatCode')
             for n in styles.iter(NS + 'numFmt')}
    fonts = list(styles.find(NS + 'fonts'))
    for i, xf in enumerate(styles.find(NS + 'cellXfs')):
        font = fonts[int(xf.get('fontId', '0'))]
        bold = 1 if font.find(NS + 'b') is not None else 0
        nid = xf.get('numFmtId', '0')
        emit(['X', i, nid, esc(codes.get(nid, '')), bold,
              1 if xf.get('borderId', '0') != '0' else 0,
              1 if int(xf.get('fillId', '0')) >= 2 else 0])
    wb = ET.fromstring(z.read('xl/workbook.xml'))
    rels = ET.fromstring(z.read('xl/_rels/workbook.xml.rels'))
    target = {r.get('Id'): r.get('Target') for r in rels}
    for sheet in wb.iter(NS + 'sheet'):
        name = 'xl/' + target[sheet.get(RNS + 'id')]
        sample_sheet(z, name, sheet.get('name'), samples)


def sample_sheet(z, member, name, samples):
    # head: up to the samples' last row
    head, cols, freeze = [], [], 0
    with z.open(member) as f:
        for event, el in ET.iterparse(f, events=('end',)):
            if el.tag == NS + 'col':
                cols.append((int(el.get('min')) - 1, int(el.get('max')) - 1,
                             el.get('width')))
            elif el.tag == NS + 'pane' and el.get('ySplit'):
                freeze = int(float(el.get('ySplit')))
            elif el.tag == NS + 'row':
                r = int(el.get('r')) - 1
                if r > samples:
                    break
                head.append((r, [cell_records(c) for c in el]))
                el.clear()
    # tail: the last 1 MB of the sheet, streamed through
    tail = b''
    with z.open(member) as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            tail = (tail + chunk)[-(2 << 20):]
    text = tail.decode('utf-8', 'replace')
    rows = re.findall(r'<row [^>]*r="(\d+)"[^>]*>.*?</row>', text, re.S)
    bodies = re.findall(r'(<row [^>]*r="\d+"[^>]*>.*?</row>)', text, re.S)
    af = re.search(r'<autoFilter ref="([^"]+)"', text)
    numbers = [int(r) - 1 for r in rows]
    last_data = numbers[-1] if numbers else 0
    totals = []
    for i in range(len(numbers) - 1, 0, -1):
        if numbers[i] - numbers[i - 1] > 1:
            last_data = numbers[i - 1]
            for body in bodies[i:]:
                el = ET.fromstring(body.replace('<row ', '<row xmlns="%s" ' % NS[1:-1], 1))
                totals.append((int(el.get('r')) - 1,
                               [cell_records(c) for c in el]))
            break
    if not numbers:
        last_data = 0
    emit(['S', esc(name), last_data, freeze, af.group(1) if af else ''])
    for c1, c2, width in cols:
        emit(['W', c1, c2, width])
    for r, cells in head:
        if r <= last_data:
            for rec in cells:
                if rec:
                    emit(rec)
    for r, cells in totals:
        for rec in cells:
            if rec:
                emit(rec)
    emit(['E'])


main()
