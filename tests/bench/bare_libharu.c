/* The baseline of tests/bench/pdf.sh (SPEC §7): a bare libharu program
 * drawing the pages of our agreements without templates, layout or
 * signing.
 *
 *   bare_libharu FONT_DIR PAGES N OUT_DIR
 *
 * PAGES holds the text of some of our rendered agreements (pdf.sh extracts
 * it with pdftohtml), one line per text fragment:
 *
 *   D                                   a new document
 *   P                                   a new page
 *   T<TAB>bold<TAB>size<TAB>x<TAB>top<TAB>text   a fragment: bold 0 or 1,
 *                                       size in points, x and top from the
 *                                       page's top left corner, UTF-8 text
 *
 * It writes N documents, OUT_DIR/bare-NNNNNN.pdf, document i drawing the
 * pages of document i mod (documents in PAGES), the way a plain libharu
 * program does it at its best: one HPDF_Doc for the process, the two fonts
 * (DejaVu Sans and DejaVu Sans Bold, embedded, UTF-8) loaded once and
 * reused by every HPDF_NewDoc, A4 pages, everything compressed
 * (HPDF_COMP_ALL, as mandate does), each document saved to its file.
 * Prints "N documents".  Exit 0, or 1 on any error (reported). */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hpdf.h>

struct fragment {
	int bold;
	double size, x, top;
	char *text;
};

struct page {
	struct fragment *frags;
	size_t count, capacity;
};

struct document {
	struct page *pages;
	size_t count, capacity;
};

static struct document *docs;
static size_t doc_count, doc_capacity;

static void *grow(void *array, size_t *capacity, size_t need, size_t size)
{
	if (need <= *capacity)
		return array;
	*capacity = *capacity ? *capacity * 2 : 16;
	if (*capacity < need)
		*capacity = need;
	array = realloc(array, *capacity * size);
	if (array == NULL) {
		fputs("bare_libharu: out of memory\n", stderr);
		exit(1);
	}
	return array;
}

static void on_error(HPDF_STATUS error, HPDF_STATUS detail, void *data)
{
	(void)data;
	fprintf(stderr, "bare_libharu: libharu error 0x%04X (detail %u)\n",
	        (unsigned)error, (unsigned)detail);
	exit(1);
}

/* Reads PAGES into docs. */
static void read_pages(const char *path)
{
	FILE *in = fopen(path, "r");
	char *line = NULL;
	size_t line_capacity = 0;
	ssize_t length;
	unsigned long number = 0;

	if (in == NULL) {
		perror(path);
		exit(1);
	}
	while ((length = getline(&line, &line_capacity, in)) >= 0) {
		struct document *d;
		struct page *p;
		struct fragment *f;
		char *field[6], *s = line;

		number++;
		if (length > 0 && line[length - 1] == '\n')
			line[--length] = '\0';
		if (strcmp(line, "D") == 0) {
			docs = grow(docs, &doc_capacity, doc_count + 1, sizeof *docs);
			memset(&docs[doc_count++], 0, sizeof *docs);
			continue;
		}
		if (doc_count == 0)
			goto bad;
		d = &docs[doc_count - 1];
		if (strcmp(line, "P") == 0) {
			d->pages = grow(d->pages, &d->capacity, d->count + 1,
			                sizeof *d->pages);
			memset(&d->pages[d->count++], 0, sizeof *d->pages);
			continue;
		}
		for (int i = 0; i < 6; i++) {
			field[i] = s;
			s = i < 5 ? strchr(s, '\t') : NULL;
			if (i < 5 && s == NULL)
				goto bad;
			if (s != NULL)
				*s++ = '\0';
		}
		if (strcmp(field[0], "T") != 0 || d->count == 0)
			goto bad;
		p = &d->pages[d->count - 1];
		p->frags = grow(p->frags, &p->capacity, p->count + 1,
		                sizeof *p->frags);
		f = &p->frags[p->count++];
		f->bold = atoi(field[1]) != 0;
		f->size = atof(field[2]);
		f->x = atof(field[3]);
		f->top = atof(field[4]);
		f->text = strdup(field[5]);
		if (f->text == NULL || f->size <= 0)
			goto bad;
	}
	free(line);
	fclose(in);
	if (doc_count == 0) {
		fprintf(stderr, "%s: no documents\n", path);
		exit(1);
	}
	return;
bad:
	fprintf(stderr, "%s:%lu: not a D, P or T line\n", path, number);
	exit(1);
}

static void draw(HPDF_Doc pdf, HPDF_Font font[2], const struct document *d)
{
	for (size_t i = 0; i < d->count; i++) {
		const struct page *p = &d->pages[i];
		HPDF_Page page = HPDF_AddPage(pdf);
		HPDF_REAL height;
		int cur_font = -1;
		double cur_size = 0;

		HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
		height = HPDF_Page_GetHeight(page);
		HPDF_Page_BeginText(page);
		for (size_t k = 0; k < p->count; k++) {
			const struct fragment *f = &p->frags[k];
			if (f->bold != cur_font || f->size != cur_size) {
				HPDF_Page_SetFontAndSize(page, font[f->bold],
				                         (HPDF_REAL)f->size);
				cur_font = f->bold;
				cur_size = f->size;
			}
			/* the baseline about 0.8 em below the top of the box */
			HPDF_Page_SetTextMatrix(page, 1, 0, 0, 1, (HPDF_REAL)f->x,
			                        height - (HPDF_REAL)(f->top +
			                                             0.8 * f->size));
			HPDF_Page_ShowText(page, f->text);
		}
		HPDF_Page_EndText(page);
	}
}

int main(int argc, char **argv)
{
	static const char *const files[2] = { "DejaVuSans.ttf",
	                                      "DejaVuSans-Bold.ttf" };
	const char *font_name[2];
	HPDF_Doc pdf;
	long n;

	if (argc != 5 || (n = strtol(argv[3], NULL, 10)) <= 0) {
		fputs("usage: bare_libharu FONT_DIR PAGES N OUT_DIR\n", stderr);
		return 2;
	}
	read_pages(argv[2]);
	pdf = HPDF_New(on_error, NULL);
	if (pdf == NULL)
		return 1;
	HPDF_UseUTFEncodings(pdf);
	for (int f = 0; f < 2; f++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", argv[1], files[f]);
		font_name[f] = HPDF_LoadTTFontFromFile(pdf, path, HPDF_TRUE);
	}
	for (long i = 0; i < n; i++) {
		char path[4096];
		HPDF_Font font[2];

		HPDF_NewDoc(pdf);
		HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
		HPDF_SetInfoAttr(pdf, HPDF_INFO_CREATOR, "bare_libharu");
		for (int f = 0; f < 2; f++)
			font[f] = HPDF_GetFont(pdf, font_name[f], "UTF-8");
		draw(pdf, font, &docs[(size_t)i % doc_count]);
		snprintf(path, sizeof path, "%s/bare-%06ld.pdf", argv[4], i);
		HPDF_SaveToFile(pdf, path);
	}
	HPDF_Free(pdf);
	printf("%ld documents\n", n);
	return 0;
}
