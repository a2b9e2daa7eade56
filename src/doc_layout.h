/* Drawing documents with libharu (SPEC §4): A4 pages, text in embedded
 * DejaVu Sans (regular and bold, UTF-8), paragraphs wrapped by measured
 * glyph widths, tables that break across pages with their header
 * repeated, a signature block, and on every page a footer ("page X of Y",
 * written once the page count is known) and, for secret orders, a stamp.
 *
 * A layout draws one document at a time: layout_begin() ... layout_finish()
 * (or layout_abort()).  Nothing ever leaves the margins: words too long
 * for their line or cell are broken between characters, single lines that
 * cannot wrap (footer, stamp) are set smaller.  No date or other varying
 * value is written: the same calls give the same bytes.
 *
 * The fonts are loaded once per process and thread (from
 * $MANDATE_FONT_DIR, else /usr/share/fonts/truetype/dejavu) and reused for
 * every document; a process forked after loading them loads its own.
 * layout_shutdown() releases them. */
#ifndef MANDATE_DOC_LAYOUT_H
#define MANDATE_DOC_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

/* A4 portrait and the margins every mark stays inside, in points. */
#define LAYOUT_PAGE_WIDTH 595.276
#define LAYOUT_PAGE_HEIGHT 841.89
#define LAYOUT_MARGIN_LEFT 70.866      /* 25 mm */
#define LAYOUT_MARGIN_RIGHT 42.520     /* 15 mm */
#define LAYOUT_MARGIN_TOP 56.693       /* 20 mm */
#define LAYOUT_MARGIN_BOTTOM 56.693    /* 20 mm */

#define LAYOUT_FONT_DIR "/usr/share/fonts/truetype/dejavu"

typedef struct layout layout;

/* Text in one font.  Runs of spaces are break points (U+00A0 and U+202F
 * are not); '\n' forces a line break. */
typedef struct layout_run {
	const char *text;          /* UTF-8 */
	bool bold;
} layout_run;

typedef enum layout_align {
	LAYOUT_LEFT, LAYOUT_CENTER, LAYOUT_RIGHT, LAYOUT_JUSTIFY
} layout_align;

typedef enum layout_style {
	LAYOUT_BODY,               /* 10 pt */
	LAYOUT_TITLE,              /* 14 pt, space below */
	LAYOUT_SUBTITLE,           /* 11 pt */
	LAYOUT_HEADING,            /* 10.5 pt, space above, kept with what
	                              follows */
	LAYOUT_ITEM                /* 10 pt list item, little space below */
} layout_style;

typedef struct layout_para {
	const layout_run *runs;
	size_t run_count;
	layout_style style;
	layout_align align;
	/* A hanging label ("—", "1)") drawn at `indent`, the text beside it
	 * at indent + hang; NULL for none. */
	const char *label;
	double indent, hang;
} layout_para;

typedef struct layout_column {
	const char *heading;       /* UTF-8, may wrap; bold */
	layout_align align;        /* of the body cells */
	double share;              /* fixed share of the width, 0 = by content */
} layout_column;

typedef struct layout_grid {
	const layout_column *columns;
	size_t column_count;
	/* row_count × column_count cells, row by row; NULL = empty.  '\n'
	 * breaks a line inside a cell. */
	const char *const *cells;
	size_t row_count;
	const bool *bold_rows;     /* NULL, or one flag per row */
	bool header;               /* draw the headings, again on every page */
	bool borders;              /* grid lines and shaded header */
	/* A totals row (NULL: none): column_count cells, bold; a NULL cell
	 * after a text extends that text's cell over it. */
	const char *const *total;
} layout_grid;

/* One side of the signature block. */
typedef struct layout_party {
	const char *heading;       /* bold */
	const char *const *lines;  /* particulars, wrapped */
	size_t line_count;
	const char *seal;          /* drawn framed in the signature box; NULL:
	                              the box stays empty */
	const char *sign;          /* under the signature line */
} layout_party;

/* Starts a document.  stamp (UTF-8, NULL for none) is drawn at the top of
 * every page.  NULL when the fonts cannot be loaded (reported). */
layout *layout_begin(const char *stamp);

void layout_paragraph(layout *l, const layout_para *para);
/* One line with `left` at the left margin and `right` at the right one
 * (two lines when they do not fit side by side). */
void layout_dateline(layout *l, const char *left, const char *right);
void layout_space(layout *l, double points);
void layout_table(layout *l, const layout_grid *grid);
/* The two parties side by side, the firm on the left; each gets a box
 * above its signature line, with its seal text framed in it.  Reports the
 * page (0-based) and the rectangle (PDF user space: x1 y1 x2 y2) of the
 * firm's box, which the signature's widget covers.  The block is kept on
 * one page when it fits. */
void layout_signatures(layout *l, const layout_party *firm,
                       const layout_party *client, int *page,
                       double rect[4]);

/* The footer's two texts for page `page` (1-based) of `pages`; each owned
 * by the caller afterwards (xmalloc'ed). */
typedef void (*layout_footer_fn)(void *ctx, int page, int pages,
                                 char **left, char **right);

/* Draws footers and stamps, and hands over the PDF's bytes (*pdf is
 * xmalloc'ed, the caller frees it).  Returns 0, or -1 when libharu failed
 * anywhere in the document (reported).  The layout is gone either way. */
int layout_finish(layout *l, layout_footer_fn footer, void *ctx,
                  unsigned char **pdf, size_t *length);
void layout_abort(layout *l);

/* Number of pages so far. */
int layout_page_count(const layout *l);

/* Releases this thread's fonts (they are loaded again when needed). */
void layout_shutdown(void);

#endif
