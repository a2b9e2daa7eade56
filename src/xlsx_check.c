/* Checking a written workbook; see xlsx_check.h. */
#include "xlsx_check.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "sheet_rows.h"
#include "sheet_scan.h"
#include "util/xalloc.h"
#include "util/zip_read.h"
#include "util/zip_relay.h"

typedef struct part_check {
	bool quick;                    /* the first pass: sheets by sheet_scan */
	sheet_scan *scan;              /* a sheet in the first pass */
	bool scan_said_no;             /* ... which it did not accept */
	xmlParserCtxtPtr parser;       /* NULL: not an XML part (or scanned) */
	const char *name;
	bool worksheet;
	sheet_rows rows;
	char *problem;                 /* the first one found */
} part_check;

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Notes the first problem: `line L: WHAT "VALUE" COMPLAINT`. */
static void problem(part_check *c, const char *what, const char *value,
                    int length, const char *complaint)
{
	if (c->problem == NULL)
		c->problem = xasprintf("line %d: %s \"%.*s\" %s",
		                       xmlSAX2GetLineNumber(c->parser), what,
		                       length, value, complaint);
}

static void on_element(void *ctx, const xmlChar *local, const xmlChar *prefix,
                       const xmlChar *uri, int namespaces,
                       const xmlChar **ns, int count, int defaulted,
                       const xmlChar **attributes)
{
	part_check *c = ctx;   /* the parser's user data */
	const char *name = (const char *)local;
	(void)prefix, (void)uri, (void)namespaces, (void)ns, (void)defaulted;

	if (!c->worksheet)
		return;
	for (int i = 0; i < count; i++) {
		const xmlChar **a = attributes + 5 * i;
		const char *value = (const char *)a[3];
		int length = (int)(a[4] - a[3]);
		if (strcmp((const char *)a[0], "ref") == 0 &&
		    strcmp(name, "dimension") == 0)
			sheet_rows_dimension(&c->rows, value, (size_t)length);
		else if (strcmp((const char *)a[0], "r") == 0 &&
		         strcmp(name, "row") == 0) {
			if (!sheet_rows_row(&c->rows, value, (size_t)length))
				problem(c, "row", value, length,
				        "does not follow the row before it");
		} else if (strcmp((const char *)a[0], "r") == 0 &&
		           strcmp(name, "c") == 0) {
			if (!sheet_rows_cell(&c->rows, value, (size_t)length))
				problem(c, "cell", value, length,
				        "lies outside its row");
		}
	}
}

static void on_error(void *ctx, xmlErrorPtr error)
{
	part_check *c = ctx;
	if (c->problem == NULL && error != NULL && error->level >= XML_ERR_ERROR) {
		const char *text = error->message != NULL ? error->message : "?";
		int length = (int)strcspn(text, "\n");
		c->problem = xasprintf("line %d: not well-formed XML: %.*s",
		                       error->line, length, text);
	}
}

static int begin_part(void *ctx, const char *name, char **why)
{
	part_check *c = ctx;
	xmlSAXHandler sax;

	*c = (part_check){ .name = name, .quick = c->quick };
	if (!ends_with(name, ".xml") && !ends_with(name, ".rels"))
		return 0;
	c->worksheet = strncmp(name, "xl/worksheets/sheet", 19) == 0;
	if (c->quick && c->worksheet) {
		c->scan = sheet_scan_new();
		return 0;
	}
	memset(&sax, 0, sizeof sax);
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_element;
	sax.serror = on_error;
	c->parser = xmlCreatePushParserCtxt(&sax, c, NULL, 0, name);
	if (c->parser == NULL) {
		*why = xasprintf("%s: cannot start an XML parser", name);
		return -1;
	}
	xmlCtxtUseOptions(c->parser, XML_PARSE_NONET | XML_PARSE_HUGE);
	return 0;
}

/* The quick pass's problem with a sheet: only the full pass can tell. */
static char *not_as_written(part_check *c)
{
	c->scan_said_no = true;
	return xasprintf("not as libxlsxwriter writes it");
}

static int finish(part_check *c, char **why)
{
	if (c->scan != NULL) {
		sheet_scan_free(c->scan);
		c->scan = NULL;
	}
	if (c->problem == NULL && c->worksheet && !sheet_rows_end(&c->rows))
		c->problem = xasprintf("the last row is %ld, its dimension says %ld",
		                       c->rows.last_row, c->rows.dimension_last_row);
	if (c->parser != NULL) {
		xmlFreeParserCtxt(c->parser);
		c->parser = NULL;
	}
	if (c->problem == NULL)
		return 0;
	*why = xasprintf("%s: %s", c->name, c->problem);
	free(c->problem);
	c->problem = NULL;
	return -1;
}

static int part_chunk(void *ctx, const unsigned char *bytes, size_t length,
                      char **why)
{
	part_check *c = ctx;

	if (c->scan != NULL) {
		if (!sheet_scan_feed(c->scan, bytes, length))
			c->problem = not_as_written(c);
		return c->problem == NULL ? 0 : finish(c, why);
	}
	if (c->parser == NULL)
		return 0;
	while (length > 0 && c->problem == NULL) {
		int take = length > (1 << 20) ? 1 << 20 : (int)length;
		if (xmlParseChunk(c->parser, (const char *)bytes, take, 0) != 0 &&
		    c->problem == NULL)
			c->problem = xasprintf("not well-formed XML");
		bytes += take;
		length -= (size_t)take;
	}
	return c->problem == NULL ? 0 : finish(c, why);
}

static int end_part(void *ctx, char **why)
{
	part_check *c = ctx;

	if (c->scan != NULL) {
		if (!sheet_scan_end(c->scan))
			c->problem = not_as_written(c);
		return finish(c, why);
	}
	if (c->parser == NULL)
		return 0;
	if (c->problem == NULL)
		xmlParseChunk(c->parser, NULL, 0, 1);
	if (c->problem == NULL && !c->parser->wellFormed)
		c->problem = xasprintf("not well-formed XML (cut short?)");
	return finish(c, why);
}

/* One pass over the workbook: quick (sheets by sheet_scan) or full;
 * *scan_said_no: the quick pass failed on a sheet it did not accept (any
 * other failure is the archive's, and stands). */
static int check_pass(const char *path, bool quick, char **why,
                      bool *scan_said_no)
{
	part_check check = { .quick = quick };
	zip_visitor visitor = { .ctx = &check, .begin = begin_part,
	                        .chunk = part_chunk, .end = end_part };
	zip_visitor relayed;
	zip_relay *relay;
	long entries;

	/* The XML is parsed on a thread of its own while the next bytes are
	 * inflated (libxml2 wants its first call on the main thread). */
	xmlInitParser();
	relay = zip_relay_start(&visitor, &relayed);
	entries = zip_read_entries(path, relay != NULL ? &relayed : &visitor,
	                           why);
	zip_relay_stop(relay);
	if (check.parser != NULL)
		xmlFreeParserCtxt(check.parser);
	sheet_scan_free(check.scan);
	free(check.problem);
	*scan_said_no = check.scan_said_no;
	if (entries < 0)
		return -1;
	if (entries == 0) {
		*why = xasprintf("the archive holds no part");
		return -1;
	}
	return 0;
}

int xlsx_check_quick(const char *path, char **why)
{
	bool scan_said_no;
	return check_pass(path, true, why, &scan_said_no);
}

int xlsx_check_full(const char *path, char **why)
{
	bool scan_said_no;
	return check_pass(path, false, why, &scan_said_no);
}

/* The quick pass decides, unless a sheet is not as it expects: then the
 * full pass does, and says what is wrong. */
int xlsx_check(const char *path, char **why)
{
	bool scan_said_no;
	int status = check_pass(path, true, why, &scan_said_no);

	if (status == 0 || !scan_said_no)
		return status;
	free(*why);
	*why = NULL;
	return check_pass(path, false, why, &scan_said_no);
}
