/* The XLSX reports (SPEC §5): the two workbooks, and the sheet helpers
 * they share so every sheet looks and behaves the same.
 *
 * Every sheet made with xl_sheet_new has a bold header row that is frozen,
 * repeated on every printed page and filtered (the autofilter covers the
 * data rows; xl_sheet_finish sets the column widths measured from what
 * was written), prints landscape, fit to one page wide, with "Page P of N"
 * in the footer.  Rows are written top to bottom (xl_next_row), never
 * back: the constant_memory mode needs it.
 *
 * Values: money is a number in major units with an accounting format of
 * its currency (negatives red in parentheses, zero "-", the currency's
 * decimals, its code); dates are dates; text is always a string (text
 * starting with "=" too), cut to Excel's 32,767-character limit; NAN and
 * DATE_NONE leave the cell empty.  Formulas use plain A1 ranges and are
 * written with their computed value cached.
 *
 * Errors: the first libxlsxwriter error is kept and reported (naming the
 * file) by xl_book_close, which then returns -1. */
#ifndef MANDATE_REPORT_XLSX_H
#define MANDATE_REPORT_XLSX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xlsxwriter.h>

#include "kpi.h"
#include "report_data.h"
#include "util/date.h"

typedef struct xl_book xl_book;
typedef struct xl_sheet xl_sheet;

/* Document properties; created is the as-of date (00:00 UTC) so the same
 * ledger and date give the same bytes. */
typedef struct xl_props {
	const char *title;
	const char *subject;
	const char *comments;
	date_t as_of;
} xl_props;

/* Opens a workbook writing to path; temporary files go to tmpdir (NULL:
 * the system's).  NULL (reported) when the file cannot be created. */
xl_book *xl_book_new(const char *path, const char *tmpdir,
                     bool constant_memory, const xl_props *props);
/* Writes the file and frees book; 0, or -1 (reported). */
int xl_book_close(xl_book *book);
lxw_workbook *xl_workbook(xl_book *book);

typedef enum xl_style {
	XL_GENERAL,        /* text, or a number as is */
	XL_COUNT,          /* integer, grouped */
	XL_PERCENT,        /* a fraction shown as a percentage, 0.0% */
	XL_RATE,           /* the same, up to 4 decimals: 0.0###% */
	XL_DAYS,           /* 0.0 */
	XL_SCORE,          /* 0.00 */
	XL_DATE,           /* yyyy-mm-dd */
	XL_MONTH,          /* yyyy-mm */
	XL_STYLES
} xl_style;

/* A sheet with this header row and an autofilter over it and the
 * data_rows rows below (known up front: constant_memory refuses it
 * later); the cursor is on the row below the header. */
xl_sheet *xl_sheet_new(xl_book *book, const char *name,
                       const char *const *headers, size_t count,
                       lxw_row_t data_rows);
/* Sets the column widths; frees s (the worksheet stays in the book). */
void xl_sheet_finish(xl_sheet *s);
lxw_worksheet *xl_worksheet(xl_sheet *s);
const char *xl_sheet_name(const xl_sheet *s);

/* The cursor. */
lxw_row_t xl_row(const xl_sheet *s);
void xl_next_row(xl_sheet *s);
/* From now on cells are written bold (a totals block). */
void xl_totals(xl_sheet *s, bool on);

void xl_text(xl_sheet *s, lxw_col_t col, const char *text);
void xl_number(xl_sheet *s, lxw_col_t col, double value, xl_style style);
void xl_date(xl_sheet *s, lxw_col_t col, date_t date);
void xl_month(xl_sheet *s, lxw_col_t col, int32_t month);
/* minor units of currency code (an unknown code: 2 decimals). */
void xl_money(xl_sheet *s, lxw_col_t col, int64_t minor, const char *code);
void xl_money_value(xl_sheet *s, lxw_col_t col, double minor,
                    const char *code);
/* A formula (without the leading '=' or with it) and its value. */
void xl_formula(xl_sheet *s, lxw_col_t col, const char *formula,
                double cached, xl_style style);
void xl_formula_money(xl_sheet *s, lxw_col_t col, const char *formula,
                      double cached_minor, const char *code);

/* "B2:B10" or "$B$2:$B$10", and "B2", into out. */
#define XL_REF_SIZE 96
void xl_range(char out[static XL_REF_SIZE], lxw_row_t r1, lxw_col_t c1,
              lxw_row_t r2, lxw_col_t c2, bool absolute);
void xl_cell(char out[static XL_REF_SIZE], lxw_row_t row, lxw_col_t col);

/* The workbooks; each writes path (a temporary name: the caller renames
 * it).  0, or -1 (reported).  head is the ledger head (SEQ:HASH) recorded
 * in the document properties. */
typedef struct report_context {
	const report_data *data;
	const kpi_set *kpi;
	const char *tmpdir;
	const char *head;
} report_context;
int report_status_write(const report_context *ctx, const char *path);
int report_performance_write(const report_context *ctx, const char *path);

#endif
