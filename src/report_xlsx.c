/* Shared workbook helpers; see report_xlsx.h. */
#include "report_xlsx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/diag.h"
#include "util/money.h"
#include "util/xalloc.h"

/* Excel's limit on the characters of a cell (libxlsxwriter refuses more). */
#define XL_TEXT_MAX 32767
#define XL_WIDTH_MAX 60.0
/* Excel's 1900 date system: serial 25569 is 1970-01-01. */
#define XL_EPOCH 25569

/* The formats of one currency. */
struct money_format {
	char code[4];
	int decimals;
	lxw_format *plain, *total;
};

struct xl_book {
	lxw_workbook *wb;
	char *path;
	lxw_error error;             /* the first error, LXW_NO_ERROR if none */
	char *error_where;
	char as_of_text[11];
	lxw_format *header;
	lxw_format *style[XL_STYLES][2];   /* [style][total] */
	struct money_format *money;
	size_t money_count, money_capacity;
};

struct xl_sheet {
	xl_book *book;
	lxw_worksheet *ws;
	char *name;
	lxw_row_t row;
	lxw_col_t cols;
	double *width;                /* per column, characters */
	bool total;
};

/* ---- errors ------------------------------------------------------------- */

static void check(xl_book *book, lxw_error error, const char *where)
{
	if (error == LXW_NO_ERROR || book->error != LXW_NO_ERROR)
		return;
	book->error = error;
	book->error_where = xstrdup(where);
}

/* ---- the book ----------------------------------------------------------- */

static lxw_format *new_format(lxw_workbook *wb, const char *num_format,
                              bool bold)
{
	lxw_format *f = workbook_add_format(wb);

	if (num_format != NULL)
		format_set_num_format(f, num_format);
	if (bold) {
		format_set_bold(f);
		format_set_top(f, LXW_BORDER_THIN);
	}
	return f;
}

static void make_formats(xl_book *book)
{
	static const char *const num[XL_STYLES] = {
		[XL_GENERAL] = NULL, [XL_COUNT] = "#,##0",
		[XL_PERCENT] = "0.0%", [XL_RATE] = "0.0###%",
		[XL_DAYS] = "0.0", [XL_SCORE] = "0.00",
		[XL_DATE] = "yyyy-mm-dd", [XL_MONTH] = "yyyy-mm"
	};

	book->header = workbook_add_format(book->wb);
	format_set_bold(book->header);
	format_set_bg_color(book->header, 0xD9E1F2);
	format_set_bottom(book->header, LXW_BORDER_THIN);
	for (int s = 0; s < XL_STYLES; s++)
		for (int t = 0; t < 2; t++)
			book->style[s][t] = new_format(book->wb, num[s], t);
}

xl_book *xl_book_new(const char *path, const char *tmpdir,
                     bool constant_memory, const xl_props *props)
{
	lxw_workbook_options options = {
		.constant_memory = constant_memory ? LXW_TRUE : LXW_FALSE,
		.tmpdir = (char *)tmpdir,
		.use_zip64 = LXW_TRUE
	};
	lxw_doc_properties doc = {
		.title = (char *)props->title,
		.subject = (char *)props->subject,
		.author = "mandate",
		.comments = (char *)props->comments,
		/* 00:00 UTC of the as-of date: the same bytes every run */
		.created = (time_t)props->as_of * 86400
	};
	xl_book *book = xcalloc(1, sizeof *book);

	book->wb = workbook_new_opt(path, &options);
	if (book->wb == NULL) {
		diag_error(path, 0, "cannot create workbook");
		free(book);
		return NULL;
	}
	book->path = xstrdup(path);
	date_format(props->as_of, book->as_of_text);
	check(book, workbook_set_properties(book->wb, &doc), "properties");
	make_formats(book);
	return book;
}

lxw_workbook *xl_workbook(xl_book *book)
{
	return book->wb;
}

int xl_book_close(xl_book *book)
{
	lxw_error error = workbook_close(book->wb);
	int status = 0;

	if (book->error != LXW_NO_ERROR) {
		diag_error(book->path, 0, "cannot write workbook (%s): %s",
		           book->error_where, lxw_strerror(book->error));
		status = -1;
	} else if (error != LXW_NO_ERROR) {
		diag_error(book->path, 0, "cannot write workbook: %s",
		           lxw_strerror(error));
		status = -1;
	}
	free(book->error_where);
	free(book->money);
	free(book->path);
	free(book);
	return status;
}

/* "#,##0.00" for 2 decimals. */
static void number_pattern(int decimals, char out[static 32])
{
	snprintf(out, 32, "#,##0%s%.*s", decimals > 0 ? "." : "",
	         decimals > 9 ? 9 : decimals, "000000000");
}

static const struct money_format *money_format_of(xl_book *book,
                                                   const char *code)
{
	const currency *cur = currency_find(code);
	struct money_format *m;
	char number[32], text[160];

	for (size_t i = 0; i < book->money_count; i++)
		if (strcmp(book->money[i].code, code) == 0)
			return &book->money[i];
	book->money = xgrow(book->money, &book->money_capacity,
	                    book->money_count + 1, sizeof *book->money);
	m = &book->money[book->money_count++];
	snprintf(m->code, sizeof m->code, "%s", code);
	m->decimals = cur != NULL ? cur->minor_digits : 2;
	number_pattern(m->decimals, number);
	/* Accounting: positives padded for the ")", negatives red in
	 * parentheses, zero a dash; the code after every amount. */
	snprintf(text, sizeof text, "%s\" %s\"_);[Red](%s\" %s\");\"- %s\"_)",
	         number, m->code, number, m->code, m->code);
	m->plain = new_format(book->wb, text, false);
	m->total = new_format(book->wb, text, true);
	return m;
}

/* ---- sheets ------------------------------------------------------------- */

static size_t display_length(const char *text)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		n += (*p & 0xC0) != 0x80;
	return n;
}

static void widen(xl_sheet *s, lxw_col_t col, double chars)
{
	if (col < s->cols && chars > s->width[col])
		s->width[col] = chars;
}

xl_sheet *xl_sheet_new(xl_book *book, const char *name,
                       const char *const *headers, size_t count,
                       lxw_row_t data_rows)
{
	xl_sheet *s = xcalloc(1, sizeof *s);
	char *header;

	s->book = book;
	s->ws = workbook_add_worksheet(book->wb, name);
	s->name = xstrdup(name);
	s->cols = (lxw_col_t)count;
	s->width = xcalloc(count + 1, sizeof *s->width);
	if (s->ws == NULL) {
		check(book, LXW_ERROR_MEMORY_MALLOC_FAILED, name);
		return s;
	}
	for (size_t c = 0; c < count; c++) {
		check(book, worksheet_write_string(s->ws, 0, (lxw_col_t)c,
		                                   headers[c], book->header),
		      name);
		/* room for the filter button */
		widen(s, (lxw_col_t)c, (double)display_length(headers[c]) + 4);
	}
	/* Now: constant_memory refuses it once later rows are written. */
	check(book, worksheet_autofilter(s->ws, 0, 0, data_rows,
	                                 (lxw_col_t)(count - 1)), name);
	worksheet_freeze_panes(s->ws, 1, 0);
	worksheet_set_landscape(s->ws);
	worksheet_set_paper(s->ws, 9);              /* A4 */
	worksheet_fit_to_pages(s->ws, 1, 0);
	check(book, worksheet_repeat_rows(s->ws, 0, 0), name);
	header = xasprintf("&L&A&Ras of %s", book->as_of_text);
	check(book, worksheet_set_header(s->ws, header), name);
	free(header);
	check(book, worksheet_set_footer(s->ws, "&CPage &P of &N"), name);
	s->row = 1;
	return s;
}

void xl_sheet_finish(xl_sheet *s)
{
	if (s->ws != NULL) {
		for (lxw_col_t c = 0; c < s->cols; c++)
			check(s->book, worksheet_set_column(s->ws, c, c,
			      fmin(s->width[c] + 1, XL_WIDTH_MAX), NULL),
			      s->name);
	}
	free(s->width);
	free(s->name);
	free(s);
}

lxw_worksheet *xl_worksheet(xl_sheet *s)
{
	return s->ws;
}

const char *xl_sheet_name(const xl_sheet *s)
{
	return s->name;
}

lxw_row_t xl_row(const xl_sheet *s)
{
	return s->row;
}

void xl_next_row(xl_sheet *s)
{
	s->row++;
}

void xl_totals(xl_sheet *s, bool on)
{
	s->total = on;
}

/* ---- cells -------------------------------------------------------------- */

static bool usable(xl_sheet *s, lxw_col_t col)
{
	if (s->ws == NULL || s->book->error != LXW_NO_ERROR)
		return false;
	if (s->row >= LXW_ROW_MAX || col >= s->cols) {
		check(s->book, LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE, s->name);
		return false;
	}
	return true;
}

/* Text as Excel can hold it: control characters XML 1.0 forbids become
 * spaces, and at most XL_TEXT_MAX bytes, cut at a character boundary.
 * Returns text itself or a copy in *copy; *chars gets its length in
 * characters.  One pass: this runs for every cell. */
static const char *cell_text(const char *text, char **copy, size_t *chars)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t length, n = 0;
	bool bad = false;

	*copy = NULL;
	for (; *p; p++) {
		n += (*p & 0xC0) != 0x80;
		bad |= *p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r';
	}
	length = (size_t)(p - (const unsigned char *)text);
	*chars = n;
	if (!bad && length <= XL_TEXT_MAX)
		return text;
	if (length > XL_TEXT_MAX) {
		length = XL_TEXT_MAX;
		while (length > 0 &&
		       ((unsigned char)text[length] & 0xC0) == 0x80)
			length--;
	}
	*copy = xstrndup(text, length);
	for (unsigned char *q = (unsigned char *)*copy; *q; q++)
		if (*q < 0x20 && *q != '\t' && *q != '\n' && *q != '\r')
			*q = ' ';
	*chars = display_length(*copy);
	return *copy;
}

void xl_text(xl_sheet *s, lxw_col_t col, const char *text)
{
	char *copy;
	const char *value;
	size_t chars;

	if (text == NULL || text[0] == '\0' || !usable(s, col))
		return;
	value = cell_text(text, &copy, &chars);
	/* worksheet_write_string never makes a formula: "=SUM(A1)" stays
	 * text.  Plain text goes without a format: libxlsxwriter 1.1.4 looks
	 * a format equal to the default one up in a hash table on every
	 * cell (a fifth of the time of the Orders sheet). */
	check(s->book, worksheet_write_string(s->ws, s->row, col, value,
	      s->total ? s->book->style[XL_GENERAL][1] : NULL), s->name);
	widen(s, col, (double)chars);
	free(copy);
}

/* Characters a number takes in a style: an estimate for the width
 * (counted, not printed: this runs for every cell). */
static double number_width(double value, xl_style style, int decimals)
{
	double magnitude = fabs(value);
	int digits = 1;

	if (style == XL_DATE)
		return 10;
	if (style == XL_MONTH)
		return 7;
	if (style == XL_PERCENT || style == XL_RATE)
		return 8;
	while (magnitude >= 10 && digits < 309) {
		magnitude /= 10;
		digits++;
	}
	/* grouping commas, the decimals, sign or parentheses */
	return digits + (digits - 1) / 3 + (decimals > 0 ? decimals + 1 : 0)
	       + 2;
}

void xl_number(xl_sheet *s, lxw_col_t col, double value, xl_style style)
{
	if (isnan(value) || !usable(s, col))
		return;
	check(s->book, worksheet_write_number(s->ws, s->row, col, value,
	      s->book->style[style][s->total]), s->name);
	widen(s, col, number_width(value, style, style == XL_DAYS ? 1
	      : style == XL_SCORE ? 2 : 0));
}

void xl_date(xl_sheet *s, lxw_col_t col, date_t date)
{
	if (date == DATE_NONE)
		return;
	xl_number(s, col, (double)date + XL_EPOCH, XL_DATE);
}

void xl_month(xl_sheet *s, lxw_col_t col, int32_t month)
{
	xl_number(s, col, (double)report_month_start(month) + XL_EPOCH,
	          XL_MONTH);
}

static double major_units(double minor, int decimals)
{
	return minor / pow(10, decimals);
}

void xl_money_value(xl_sheet *s, lxw_col_t col, double minor,
                    const char *code)
{
	const struct money_format *m;
	double value;

	if (isnan(minor) || !usable(s, col))
		return;
	m = money_format_of(s->book, code);
	value = major_units(minor, m->decimals);
	check(s->book, worksheet_write_number(s->ws, s->row, col, value,
	      s->total ? m->total : m->plain), s->name);
	widen(s, col, number_width(value, XL_GENERAL, m->decimals) + 4);
}

void xl_money(xl_sheet *s, lxw_col_t col, int64_t minor, const char *code)
{
	xl_money_value(s, col, (double)minor, code);
}

void xl_formula(xl_sheet *s, lxw_col_t col, const char *formula,
                double cached, xl_style style)
{
	if (!usable(s, col))
		return;
	check(s->book, worksheet_write_formula_num(s->ws, s->row, col,
	      formula, s->book->style[style][s->total], cached), s->name);
	widen(s, col, number_width(cached, style, style == XL_DAYS ? 1
	      : style == XL_SCORE ? 2 : 0));
}

void xl_formula_money(xl_sheet *s, lxw_col_t col, const char *formula,
                      double cached_minor, const char *code)
{
	const struct money_format *m;
	double value;

	if (!usable(s, col))
		return;
	m = money_format_of(s->book, code);
	value = major_units(cached_minor, m->decimals);
	check(s->book, worksheet_write_formula_num(s->ws, s->row, col,
	      formula, s->total ? m->total : m->plain, value), s->name);
	widen(s, col, number_width(value, XL_GENERAL, m->decimals) + 4);
}

/* ---- references --------------------------------------------------------- */

void xl_cell(char out[static XL_REF_SIZE], lxw_row_t row, lxw_col_t col)
{
	lxw_rowcol_to_cell(out, row, col);
}

void xl_range(char out[static XL_REF_SIZE], lxw_row_t r1, lxw_col_t c1,
              lxw_row_t r2, lxw_col_t c2, bool absolute)
{
	char a[LXW_MAX_CELL_NAME_LENGTH], b[LXW_MAX_CELL_NAME_LENGTH];

	lxw_rowcol_to_cell_abs(a, r1, c1, absolute, absolute);
	lxw_rowcol_to_cell_abs(b, r2, c2, absolute, absolute);
	snprintf(out, XL_REF_SIZE, "%s:%s", a, b);
}
