/* xlsx_check (and util/zip_read and util/zip_relay under it): a workbook
 * libxlsxwriter wrote reads back whole; one cut short, one with a flipped
 * byte, and sheets that lost a stretch of their XML (what a failed
 * scratch-file write leaves) are each refused with a message naming the
 * part; a relayed visitor sees what a direct one sees, and its refusal
 * reaches the reader; the quick pass (sheet_scan) accepts what
 * libxlsxwriter writes and refuses every damaged sheet the full pass
 * refuses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zlib.h>

#include "tap.h"
#include "util/xalloc.h"
#include "util/zip_read.h"
#include "util/zip_relay.h"
#include "xlsx_check.h"

/* ---- a visitor that notes what it sees ---------------------------------- */

typedef struct trace {
	char log[4096];             /* "name:bytes:crc;" per entry */
	uLong crc;
	size_t bytes;
	size_t refuse_after;        /* refuse the chunk that passes it; 0: no */
	const char *entry;          /* the name begin was given */
} trace;

static int trace_begin(void *ctx, const char *name, char **why)
{
	trace *t = ctx;
	(void)why;
	t->crc = crc32(0L, Z_NULL, 0);
	t->bytes = 0;
	t->entry = name;
	return 0;
}

static int trace_chunk(void *ctx, const unsigned char *bytes, size_t length,
                       char **why)
{
	trace *t = ctx;

	t->crc = crc32(t->crc, bytes, (uInt)length);
	t->bytes += length;
	if (t->refuse_after > 0 && t->bytes > t->refuse_after) {
		*why = xasprintf("%s: refused after %zu bytes", t->entry,
		                 t->refuse_after);
		return -1;
	}
	return 0;
}

static int trace_end(void *ctx, char **why)
{
	trace *t = ctx;
	size_t n = strlen(t->log);
	(void)why;
	snprintf(t->log + n, sizeof t->log - n, "%s:%zu:%08lx;", t->entry,
	         t->bytes, (unsigned long)t->crc);
	return 0;
}

/* Reads path through a trace, relayed or not; the entry count. */
static long read_traced(const char *path, trace *t, bool relayed,
                        char **why)
{
	zip_visitor direct = { .ctx = t, .begin = trace_begin,
	                       .chunk = trace_chunk, .end = trace_end };
	zip_visitor outer;
	zip_relay *relay = relayed ? zip_relay_start(&direct, &outer) : NULL;
	long count;

	if (relayed && relay == NULL)
		bail("cannot start a relay");
	count = zip_read_entries(path, relayed ? &outer : &direct, why);
	zip_relay_stop(relay);
	return count;
}

/* ---- a tiny writer of stored (uncompressed) ZIP archives ---------------- */

static void put16(FILE *f, unsigned v) { fputc(v & 0xff, f); fputc(v >> 8 & 0xff, f); }
static void put32(FILE *f, uint32_t v) { put16(f, v & 0xffff); put16(f, v >> 16); }

/* Writes a ZIP of count entries (names[i] holding texts[i]) to path. */
static void write_stored_zip(const char *path, int count,
                             const char *const *names, const char *const *texts)
{
	FILE *f = fopen(path, "wb");
	long offsets[8], start, directory;

	if (f == NULL || count > 8)
		bail("cannot write %s", path);
	for (int i = 0; i < count; i++) {
		size_t n = strlen(texts[i]);
		uint32_t crc = (uint32_t)crc32(0, (const Bytef *)texts[i], (uInt)n);
		offsets[i] = ftell(f);
		put32(f, 0x04034b50); put16(f, 20); put16(f, 0); put16(f, 0);
		put16(f, 0); put16(f, 0); put32(f, crc); put32(f, (uint32_t)n);
		put32(f, (uint32_t)n); put16(f, (unsigned)strlen(names[i]));
		put16(f, 0);
		fputs(names[i], f);
		fwrite(texts[i], 1, n, f);
	}
	start = ftell(f);
	for (int i = 0; i < count; i++) {
		size_t n = strlen(texts[i]);
		uint32_t crc = (uint32_t)crc32(0, (const Bytef *)texts[i], (uInt)n);
		put32(f, 0x02014b50); put16(f, 20); put16(f, 20); put16(f, 0);
		put16(f, 0); put16(f, 0); put16(f, 0); put32(f, crc);
		put32(f, (uint32_t)n); put32(f, (uint32_t)n);
		put16(f, (unsigned)strlen(names[i])); put16(f, 0); put16(f, 0);
		put16(f, 0); put16(f, 0); put32(f, 0); put32(f, (uint32_t)offsets[i]);
		fputs(names[i], f);
	}
	directory = ftell(f) - start;
	put32(f, 0x06054b50); put16(f, 0); put16(f, 0);
	put16(f, (unsigned)count); put16(f, (unsigned)count);
	put32(f, (uint32_t)directory); put32(f, (uint32_t)start); put16(f, 0);
	if (fclose(f) != 0)
		bail("cannot write %s", path);
}

/* The sheet XML of rows first..last, each with cells A and B. */
static char *sheet_rows(int first, int last, const char *dimension)
{
	size_t cap = 256 + (size_t)(last - first + 1) * 96;
	char *xml = xmalloc(cap);
	size_t n = (size_t)snprintf(xml, cap,
	        "<?xml version=\"1.0\"?><worksheet xmlns=\"urn:x\">"
	        "<dimension ref=\"%s\"/><sheetData>", dimension);
	for (int r = first; r <= last; r++)
		n += (size_t)snprintf(xml + n, cap - n,
		        "<row r=\"%d\"><c r=\"A%d\" t=\"inlineStr\"><is><t>O-%d</t>"
		        "</is></c><c r=\"B%d\"><v>%d</v></c></row>", r, r, r, r, r);
	snprintf(xml + n, cap - n, "</sheetData></worksheet>");
	return xml;
}

/* Checks a two-part archive with the given sheet; the message or "ok". */
static char *check_sheet(const char *path, const char *sheet)
{
	const char *names[] = { "[Content_Types].xml", "xl/worksheets/sheet1.xml" };
	const char *texts[] = { "<Types xmlns=\"urn:t\"/>", sheet };
	char *why = NULL;

	write_stored_zip(path, 2, names, texts);
	if (xlsx_check(path, &why) == 0)
		return xstrdup("ok");
	return why;
}

static void expect(const char *path, const char *sheet, const char *wanted,
                   const char *what)
{
	char *seen = check_sheet(path, sheet);
	if (!ok(strstr(seen, wanted) != NULL, "%s", what))
		diag("got: %s", seen);
	free(seen);
}

/* ---- a real workbook ----------------------------------------------------- */

static void write_real_workbook(const char *path, int rows)
{
	lxw_workbook_options options = { .constant_memory = LXW_TRUE,
	                                 .use_zip64 = LXW_TRUE };
	lxw_workbook *book = workbook_new_opt(path, &options);
	lxw_worksheet *sheet = workbook_add_worksheet(book, "Orders");

	for (int r = 0; r < rows; r++) {
		char id[32];
		snprintf(id, sizeof id, "ORD-%06d", r);
		worksheet_write_string(sheet, (lxw_row_t)r, 0, id, NULL);
		worksheet_write_number(sheet, (lxw_row_t)r, 1, r * 1.5, NULL);
	}
	if (workbook_close(book) != LXW_NO_ERROR)
		bail("libxlsxwriter could not write %s", path);
}

/* A workbook with every kind of cell the reports write: texts with
 * entities, non-ASCII and edge spaces, numbers, dates, formulas with their
 * results, blank rows, a frozen row, an autofilter, a second sheet. */
static void write_rich_workbook(const char *path, int rows)
{
	lxw_workbook_options options = { .constant_memory = LXW_TRUE,
	                                 .use_zip64 = LXW_TRUE };
	lxw_workbook *book = workbook_new_opt(path, &options);
	lxw_worksheet *sheet = workbook_add_worksheet(book, "Orders");
	lxw_worksheet *other = workbook_add_worksheet(book, "Totals");
	lxw_format *money = workbook_add_format(book);
	lxw_format *day = workbook_add_format(book);
	lxw_datetime when = { 2026, 11, 27, 0, 0, 0 };

	format_set_num_format(money, "#,##0.00;[Red](#,##0.00)");
	format_set_num_format(day, "yyyy-mm-dd");
	worksheet_freeze_panes(sheet, 1, 0);
	worksheet_autofilter(sheet, 0, 0, (lxw_row_t)rows, 4);
	worksheet_write_string(sheet, 0, 0, "Order", NULL);
	for (int r = 1; r <= rows; r++) {
		char text[96];
		snprintf(text, sizeof text, r % 3 ? "Заказ <%d> & «ООО»" :
		         " =SUM(A%d) ", r);
		worksheet_write_string(sheet, (lxw_row_t)r, 0, text, NULL);
		worksheet_write_number(sheet, (lxw_row_t)r, 1, r * -1.25, money);
		worksheet_write_datetime(sheet, (lxw_row_t)r, 2, &when, day);
		worksheet_write_formula_num(sheet, (lxw_row_t)r, 3, "=B2*2",
		                            NULL, r * -2.5);
		if (r % 7 == 0)
			worksheet_write_string(sheet, (lxw_row_t)r, 4,
			                       "\"quoted\" 'apos' > gt", NULL);
	}
	worksheet_write_formula_num(sheet, (lxw_row_t)rows + 3, 1,
	                            "=SUM(B2:B10)", money, 1.0);
	worksheet_write_string(other, 0, 0, "x", NULL);
	if (workbook_close(book) != LXW_NO_ERROR)
		bail("libxlsxwriter could not write %s", path);
}

/* The bytes of one entry of an archive. */
typedef struct grab {
	const char *want;
	bool on;
	char *bytes;
	size_t length, capacity;
} grab;

static int grab_begin(void *ctx, const char *name, char **why)
{
	grab *g = ctx;
	(void)why;
	g->on = strcmp(name, g->want) == 0;
	return 0;
}

static int grab_chunk(void *ctx, const unsigned char *bytes, size_t length,
                      char **why)
{
	grab *g = ctx;
	(void)why;
	if (!g->on)
		return 0;
	g->bytes = xgrow(g->bytes, &g->capacity, g->length + length + 1, 1);
	memcpy(g->bytes + g->length, bytes, length);
	g->length += length;
	g->bytes[g->length] = '\0';
	return 0;
}

static char *entry_text(const char *path, const char *name)
{
	grab g = { .want = name };
	zip_visitor v = { .ctx = &g, .begin = grab_begin, .chunk = grab_chunk };
	char *why = NULL;

	if (zip_read_entries(path, &v, &why) < 0 || g.bytes == NULL)
		bail("cannot read %s from %s: %s", name, path, why ? why : "");
	return g.bytes;
}

/* Whether the quick pass refuses every variant of sheet the full pass
 * refuses (a stored two-part archive at path), for `count` variants made
 * by damage(sheet, i); counts those the full pass refused. */
static bool quick_never_wrongly_accepts(const char *path, const char *sheet,
                                        int count,
                                        char *(*damage)(const char *, int),
                                        int *refused)
{
	const char *names[] = { "[Content_Types].xml", "xl/worksheets/sheet1.xml" };
	bool fine = true;

	*refused = 0;
	for (int i = 0; i < count; i++) {
		char *variant = damage(sheet, i), *why = NULL;
		const char *texts[] = { "<Types xmlns=\"urn:t\"/>", variant };
		bool full, quick;

		write_stored_zip(path, 2, names, texts);
		full = xlsx_check_full(path, &why) == 0;
		free(why);
		why = NULL;
		quick = xlsx_check_quick(path, &why) == 0;
		free(why);
		if (!full)
			(*refused)++;
		if (quick && !full) {
			diag("variant %d: the quick pass accepts what the full "
			     "pass refuses", i);
			fine = false;
		}
		free(variant);
	}
	return fine;
}

/* Variant i: a stretch lost (as a failed write leaves it): lengths 1 to
 * 4096 at offsets spread over the sheet. */
static char *lose_stretch(const char *sheet, int i)
{
	static const size_t lengths[] = { 1, 2, 3, 5, 17, 100, 511, 4096 };
	size_t n = strlen(sheet), length = lengths[i % 8];
	size_t at = (size_t)i * 7919 % (n > length ? n - length : 1);
	char *copy = xstrdup(sheet);

	memmove(copy + at, copy + at + length, n - at - length + 1);
	return copy;
}

/* Variant i: cut short after i * 37 % length bytes. */
static char *cut_short(const char *sheet, int i)
{
	char *copy = xstrdup(sheet);
	copy[(size_t)i * 37 % strlen(sheet)] = '\0';
	return copy;
}

/* Variant i: one byte changed into one of a few troublesome ones. */
static char *change_byte(const char *sheet, int i)
{
	static const char bytes[] = { '<', '>', '&', '"', '/', '\x01', '\xff',
	                              ' ', '1', 'A' };
	char *copy = xstrdup(sheet);
	copy[(size_t)i * 6151 % strlen(sheet)] = bytes[i % 10];
	return copy;
}

static long file_size(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;
	if (f == NULL || fseek(f, 0, SEEK_END) != 0)
		bail("cannot open %s", path);
	n = ftell(f);
	fclose(f);
	return n;
}

static void flip_byte(const char *path, long at)
{
	FILE *f = fopen(path, "r+b");
	int c;
	if (f == NULL || fseek(f, at, SEEK_SET) != 0 || (c = fgetc(f)) == EOF)
		bail("cannot open %s", path);
	fseek(f, at, SEEK_SET);
	fputc(c ^ 0x55, f);
	fclose(f);
}

int main(void)
{
	char *real = test_tmp_path("xlsx_check-t.xlsx");
	char *copy = test_tmp_path("xlsx_check-t.copy.xlsx");
	char *crafted = test_tmp_path("xlsx_check-t.zip");
	char *why = NULL, *command, *sheet;
	long size;

	plan(23);

	write_real_workbook(real, 20000);
	ok(xlsx_check(real, &why) == 0, "a workbook libxlsxwriter wrote reads back whole");
	if (why != NULL)
		diag("%s", why);
	free(why);

	{
		trace direct = { .refuse_after = 0 }, relayed = direct;
		long n = read_traced(real, &direct, false, &why);
		free(why);
		ok(n > 3 && read_traced(real, &relayed, true, &why) == n &&
		   strcmp(direct.log, relayed.log) == 0,
		   "a relayed visitor sees every entry's bytes as a direct one");
		free(why);
		diag("%ld entries: %.60s...", n, direct.log);
		relayed = (trace){ .refuse_after = 100000 };
		ok(read_traced(real, &relayed, true, &why) < 0 && why != NULL &&
		   strcmp(why, "xl/worksheets/sheet1.xml: refused after "
		          "100000 bytes") == 0,
		   "a refusal in the middle of a part reaches the reader, "
		   "with its message and the part's name");
		if (why != NULL)
			diag("%s", why);
		free(why);
		relayed = (trace){ .refuse_after = 0 };
		ok(read_traced(real, &relayed, true, &why) == n,
		   "a relay after a refusal reads the workbook whole again");
		free(why);
	}
	{
		/* a relay that is started and stopped without a read */
		trace idle = { 0 };
		zip_visitor inner = { .ctx = &idle }, outer;
		zip_relay_stop(zip_relay_start(&inner, &outer));
		ok(idle.log[0] == '\0', "an idle relay stops cleanly");
	}

	{
		char *rich = test_tmp_path("xlsx_check-t.rich.xlsx"), *xml;
		int refused, sweep = 1;
		write_rich_workbook(rich, 300);
		ok(xlsx_check_quick(rich, &why) == 0,
		   "the quick pass accepts what libxlsxwriter writes (texts "
		   "with entities, non-ASCII, formulas, dates, blank rows)");
		if (why != NULL)
			diag("%s", why);
		free(why);
		ok(xlsx_check_quick(real, &why) == 0,
		   "the quick pass accepts the plain workbook");
		free(why);
		xml = entry_text(rich, "xl/worksheets/sheet1.xml");
		/* XLSX_SWEEP=N multiplies the variants (a longer run) */
		if (getenv("XLSX_SWEEP") != NULL)
			sweep = atoi(getenv("XLSX_SWEEP"));
		if (sweep < 1)
			sweep = 1;
		ok(quick_never_wrongly_accepts(crafted, xml, 600 * sweep,
		                               lose_stretch, &refused) &&
		   refused > 500 * sweep,
		   "lost stretches: the quick pass refuses all the full pass "
		   "refuses");
		diag("lost stretches: the full pass refused %d of %d", refused,
		     600 * sweep);
		ok(quick_never_wrongly_accepts(crafted, xml, 300 * sweep,
		                               cut_short, &refused) &&
		   refused == 300 * sweep,
		   "cut short anywhere: both passes refuse");
		ok(quick_never_wrongly_accepts(crafted, xml, 400 * sweep,
		                               change_byte, &refused) &&
		   refused > 100 * sweep,
		   "changed bytes: the quick pass refuses all the full pass "
		   "refuses");
		diag("changed bytes: the full pass refused %d of %d", refused,
		     400 * sweep);
		ok(quick_never_wrongly_accepts(crafted, xml, 1, cut_short,
		                               &refused) && refused == 1,
		   "an empty sheet is refused by both");
		{
			/* the same sheet stored whole passes both */
			const char *names[] = { "[Content_Types].xml",
			                        "xl/worksheets/sheet1.xml" };
			const char *texts[] = { "<Types xmlns=\"urn:t\"/>", xml };
			write_stored_zip(crafted, 2, names, texts);
			ok(xlsx_check_quick(crafted, &why) == 0 &&
			   xlsx_check_full(crafted, &why) == 0,
			   "the rich sheet stored whole passes both");
		}
		free(xml);
		unlink(rich);
		free(rich);
	}

	size = file_size(real);
	command = xasprintf("head -c %ld '%s' >'%s'", size - 10, real, copy);
	if (system(command) != 0)
		bail("%s", command);
	free(command);
	ok(xlsx_check(copy, &why) != 0 && strstr(why, "cut short") != NULL,
	   "the same workbook 10 bytes short is refused: cut short");
	free(why);

	command = xasprintf("cp '%s' '%s'", real, copy);
	if (system(command) != 0)
		bail("%s", command);
	free(command);
	flip_byte(copy, size / 2);
	ok(xlsx_check(copy, &why) != 0 && strstr(why, "xl/worksheets/sheet1.xml") != NULL,
	   "one flipped byte in its biggest part is refused, naming the part");
	diag("flipped byte: %s", why);
	free(why);

	sheet = sheet_rows(1, 300, "A1:B300");
	expect(crafted, sheet, "ok", "a crafted sheet of 300 whole rows passes");

	/* A lost 4 KiB stretch, as a failed stdio flush leaves it. */
	memmove(sheet + 5000, sheet + 5000 + 4096, strlen(sheet + 5000 + 4096) + 1);
	expect(crafted, sheet, "xl/worksheets/sheet1.xml: ",
	       "a sheet that lost 4 KiB in its middle is refused");
	free(sheet);

	/* A lost stretch from one cell's text to another's keeps the XML
	 * well-formed: the cells then lie outside their row. */
	sheet = sheet_rows(1, 300, "A1:B300");
	{
		char *from = strstr(sheet, "<t>O-100"), *to = strstr(sheet, "<t>O-160");
		memmove(from + 5, to + 5, strlen(to + 5) + 1);
	}
	expect(crafted, sheet, "lies outside its row",
	       "a well-formed sheet whose cells moved rows is refused");
	free(sheet);

	sheet = sheet_rows(1, 250, "A1:B300");
	expect(crafted, sheet, "the last row is 250, its dimension says 300",
	       "a sheet whose tail rows are missing is refused");
	free(sheet);

	sheet = sheet_rows(1, 300, "A1:B300");
	sheet[strlen(sheet) - 30] = '\0';
	expect(crafted, sheet, "not well-formed XML",
	       "a sheet cut short is refused as not well-formed");
	free(sheet);

	sheet = sheet_rows(1, 300, "A1:B300");
	{
		char *row = strstr(sheet, "<row r=\"7\"");
		memcpy(row, "<row r=\"5\"", 10);
		memcpy(strstr(row, "A7"), "A5", 2);
		memcpy(strstr(row, "B7"), "B5", 2);
	}
	expect(crafted, sheet, "row \"5\" does not follow the row before it",
	       "rows going back are refused");
	free(sheet);

	{
		char *empty = test_tmp_path("xlsx_check-t.empty");
		FILE *f = fopen(empty, "wb");
		if (f == NULL)
			bail("cannot write %s", empty);
		fclose(f);
		ok(xlsx_check(empty, &why) != 0 && strstr(why, "not a ZIP archive") != NULL,
		   "an empty file is refused: not a ZIP archive");
		free(why);
		ok(xlsx_check("/nonexistent/x.xlsx", &why) != 0 &&
		   strstr(why, "cannot open") != NULL, "a missing file: cannot open");
		free(why);
		unlink(empty);
		free(empty);
	}
	{
		zip_visitor none = { 0 };
		is_int(2, zip_read_entries(crafted, &none, &why),
		       "zip_read_entries counts the entries");
		free(why);
	}

	unlink(real);
	unlink(copy);
	unlink(crafted);
	free(real);
	free(copy);
	free(crafted);
	return tap_done();
}
