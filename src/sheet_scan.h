/* A quick verdict on one worksheet part of a workbook we wrote: is its XML
 * whole?  For xlsx_check's first pass, where libxml2 would take most of
 * the time (a 1M-order status.xlsx holds a 1 GB sheet).
 *
 * It accepts only the XML libxlsxwriter writes: its XML declaration, then
 * one element tree whose names carry no prefix (attributes: none but xml:
 * and xmlns:), attribute values quoted, no comments, CDATA, DOCTYPE or
 * processing instructions inside, every character a valid XML character
 * in valid UTF-8, every & an entity of XML's five or a character
 * reference; and the row rules both passes share (sheet_rows.h).  Anything else gets "no", which costs the full
 * libxml2 pass (whose verdict stands), never a wrong "yes": for that, the
 * checks above are those libxml2 makes on this subset (tag nesting,
 * attribute syntax and uniqueness, characters, entities). */
#ifndef MANDATE_SHEET_SCAN_H
#define MANDATE_SHEET_SCAN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sheet_scan sheet_scan;

sheet_scan *sheet_scan_new(void);
void sheet_scan_free(sheet_scan *scan);
/* The part's next bytes; false once the scan says no. */
bool sheet_scan_feed(sheet_scan *scan, const unsigned char *bytes,
                     size_t length);
/* The end of the part: true when it is whole. */
bool sheet_scan_end(sheet_scan *scan);

#endif
