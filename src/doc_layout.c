/* Drawing documents with libharu; see doc_layout.h.
 *
 * Coordinates inside this file run from the top of the page down (y = 0 at
 * the top edge); only the calls into libharu turn them into PDF user space
 * (origin at the bottom left).  Text is measured with the fonts' own
 * advance widths (per mille of the size, as libharu writes them into the
 * /W arrays), cached per code point, so what is measured is what a viewer
 * draws. */
#include "doc_layout.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hpdf.h>
#include <hpdf_font.h>
#include <hpdf_doc.h>
#include <hpdf_fontdef.h>
#include <hpdf_mmgr.h>
#include <hpdf_streams.h>

#include "util/diag.h"
#include "util/xalloc.h"

#define FONT_REGULAR 0
#define FONT_BOLD 1

#define BODY_TOP_PLAIN LAYOUT_MARGIN_TOP
#define STAMP_BAND 24.0            /* below the top margin, when stamped */
#define FOOTER_BAND 22.0           /* above the bottom margin */
#define TEXT_WIDTH (LAYOUT_PAGE_WIDTH - LAYOUT_MARGIN_LEFT - \
                    LAYOUT_MARGIN_RIGHT)
#define LEADING 1.32               /* line height / font size */

#define TABLE_SIZE 9.0
#define CELL_PAD_X 3.5
#define CELL_PAD_Y 2.5
#define FOOTER_SIZE 8.0
#define STAMP_SIZE 9.0
#define SIGN_BOX 40.0              /* least height of a signature box */
#define SEAL_SIZE 8.0
#define SEAL_PAD 4.0

/* ---- the engine: libharu and the fonts, once per process ---------------- */

/* The components of the font's composite glyphs (from its glyf table):
 * libharu 2.3.0 embeds the components of a composite glyph but not their
 * own components, so a glyph built in two levels (DejaVu Sans Bold's "Ы"
 * is "Ь" + "І", and "І" is "I" + ...) would lose part of its outline.
 * Before saving, the layout marks every component of every used glyph as
 * used. */
struct composites {
	uint32_t *start;           /* glyph g's components: comp[start[g] ..
	                              start[g + 1]) */
	uint16_t *comp;
	uint32_t glyphs;
};

struct engine {
	HPDF_Doc pdf;
	const char *font_name[2];
	struct composites composites[2];
	pid_t pid;
	int16_t *widths[2];        /* per BMP code point, INT16_MIN unknown */
	double ascent, descent;    /* per mille; the larger of both fonts */
	HPDF_STATUS error, detail; /* first libharu error of the document */
};

static _Thread_local struct engine *engine;
/* An engine inherited through fork(): its font files share their offsets
 * with the parent's, so the child must neither read nor close them. */
/* volatile: written only, yet it must stay, as the root that keeps the
 * inherited engine reachable for leak checkers. */
static struct engine *volatile inherited;

static void on_hpdf_error(HPDF_STATUS error, HPDF_STATUS detail, void *data)
{
	struct engine *e = data;

	if (e->error == HPDF_OK) {
		e->error = error;
		e->detail = detail;
	}
}

static void engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	if (e->pdf != NULL)
		HPDF_Free(e->pdf);
	for (int f = 0; f < 2; f++) {
		free(e->widths[f]);
		free(e->composites[f].start);
		free(e->composites[f].comp);
	}
	free(e);
}

/* ---- composite glyphs ---------------------------------------------------- */

static uint32_t be16(const unsigned char *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
	return be16(p) << 16 | be16(p + 2);
}

/* Finds a table of the font; false when it is missing or out of bounds. */
static bool find_table(const unsigned char *data, size_t size,
                       const char *tag, uint32_t *offset, uint32_t *length)
{
	uint32_t count;

	if (size < 12)
		return false;
	count = be16(data + 4);
	for (uint32_t i = 0; i < count && 12 + 16 * (size_t)(i + 1) <= size;
	     i++) {
		const unsigned char *rec = data + 12 + 16 * (size_t)i;
		if (memcmp(rec, tag, 4) != 0)
			continue;
		*offset = be32(rec + 8);
		*length = be32(rec + 12);
		return *offset <= size && *length <= size - *offset;
	}
	return false;
}

/* Appends the components of one composite glyph (glyf data g..end). */
static void read_components(struct composites *c, size_t *capacity,
                            uint32_t *count, const unsigned char *g,
                            const unsigned char *end)
{
	const unsigned char *p = g + 10;
	uint32_t flags;

	do {
		if (end - p < 4)
			return;
		flags = be16(p);
		c->comp = xgrow(c->comp, capacity, *count + 1, sizeof *c->comp);
		c->comp[(*count)++] = (uint16_t)be16(p + 2);
		p += 4 + ((flags & 0x0001) ? 4 : 2);
		if (flags & 0x0008)
			p += 2;
		else if (flags & 0x0040)
			p += 4;
		else if (flags & 0x0080)
			p += 8;
	} while ((flags & 0x0020) && p < end);
}

/* Reads the composite glyphs of a TrueType file (its bytes); on any
 * surprise the table stays empty (and libharu's own behaviour is all there
 * is). */
static void load_composites(struct composites *c, const unsigned char *data,
                            size_t size)
{
	size_t comp_capacity = 0;
	uint32_t head, head_len, maxp, maxp_len, loca, loca_len, glyf, glyf_len;
	uint32_t glyphs, count = 0;
	bool long_loca;

	memset(c, 0, sizeof *c);
	if (!find_table(data, size, "head", &head, &head_len) || head_len < 54 ||
	    !find_table(data, size, "maxp", &maxp, &maxp_len) || maxp_len < 6 ||
	    !find_table(data, size, "loca", &loca, &loca_len) ||
	    !find_table(data, size, "glyf", &glyf, &glyf_len))
		return;
	long_loca = be16(data + head + 50) != 0;
	glyphs = be16(data + maxp + 4);
	if ((size_t)loca_len < (size_t)(glyphs + 1) * (long_loca ? 4 : 2))
		return;
	c->start = xcalloc((size_t)glyphs + 1, sizeof *c->start);
	for (uint32_t g = 0; g < glyphs; g++) {
		uint32_t from = long_loca ? be32(data + loca + 4 * g)
		                          : be16(data + loca + 2 * g) * 2;
		uint32_t to = long_loca ? be32(data + loca + 4 * (g + 1))
		                        : be16(data + loca + 2 * (g + 1)) * 2;
		c->start[g] = count;
		if (from + 10 <= to && to <= glyf_len &&
		    (int16_t)be16(data + glyf + from) < 0)
			read_components(c, &comp_capacity, &count,
			                data + glyf + from, data + glyf + to);
	}
	c->start[glyphs] = count;
	c->glyphs = glyphs;
}

/* Marks the components of every used glyph used, to any depth. */
static void close_composites(const struct composites *c, HPDF_Font font)
{
	HPDF_FontAttr font_attr = font != NULL ? font->attr : NULL;
	HPDF_TTFontDefAttr def;
	uint16_t *stack;
	size_t top = 0;
	HPDF_BYTE *used;
	uint32_t glyphs;

	if (c->start == NULL || font_attr == NULL ||
	    font_attr->fontdef == NULL || font_attr->fontdef->attr == NULL)
		return;
	def = font_attr->fontdef->attr;
	used = def->glyph_tbl.flgs;
	glyphs = def->num_glyphs < c->glyphs ? def->num_glyphs : c->glyphs;
	if (used == NULL)
		return;
	stack = xmalloc(((size_t)glyphs + 1) * sizeof *stack);
	for (uint32_t g = 0; g < glyphs; g++)
		if (used[g] && c->start[g + 1] > c->start[g])
			stack[top++] = (uint16_t)g;
	while (top > 0) {
		uint16_t g = stack[--top];
		for (uint32_t i = c->start[g]; i < c->start[g + 1]; i++) {
			uint16_t part = c->comp[i];
			if (part < glyphs && !used[part]) {
				used[part] = 1;
				if (c->start[part + 1] > c->start[part])
					stack[top++] = part;
			}
		}
	}
	free(stack);
}

/* ---- fonts --------------------------------------------------------------- */

/* Two things make libharu 2.3.0 slow with a big Unicode TrueType font, and
 * both are undone here, once per process, through libharu's installed
 * headers, without changing a byte of its output:
 *
 * - HPDF_TTFontDef_GetGlyphid() walks the cmap's segments one by one, and
 *   every HPDF_GetFont() in UTF-8 asks it for each of the 65,536 code
 *   points (to write the font's /W array and CIDToGIDMap), twice per
 *   document with two fonts, besides once per character drawn.  The cmap
 *   is rewritten as one segment over the whole BMP whose glyph array holds
 *   the answer for every code point, computed by the original lookup.
 *
 * - With embedding, the font file stays open and each document's subset is
 *   read back from it four bytes at a time.  The file's bytes are moved to
 *   a memory stream (which also keeps a forked child off the parent's
 *   file offset).
 *
 * Either step leaves libharu's state alone when something does not look as
 * expected; the documents are then the same, only slower. */

/* The bytes of the font file behind a font definition, read through
 * libharu's own stream, so they are exactly what it parsed; NULL when that
 * cannot be done. */
static unsigned char *font_bytes(HPDF_TTFontDefAttr def, size_t *size)
{
	HPDF_UINT32 total;
	HPDF_UINT got;
	unsigned char *data;

	if (def->stream == NULL || def->stream->size_fn == NULL)
		return NULL;
	total = HPDF_Stream_Size(def->stream);
	if (total == 0 || total > ((HPDF_UINT32)64 << 20) ||
	    HPDF_Stream_Seek(def->stream, 0, HPDF_SEEK_SET) != HPDF_OK)
		return NULL;
	data = xmalloc(total);
	got = total;
	if (HPDF_Stream_Read(def->stream, data, &got) != HPDF_OK ||
	    got != total) {
		free(data);
		return NULL;
	}
	*size = total;
	return data;
}

/* Replaces the font's file stream with a memory stream of its bytes. */
static void font_to_memory(HPDF_FontDef fontdef, HPDF_TTFontDefAttr def,
                           const unsigned char *data, size_t size)
{
	/* one buffer, a little larger than the file: a seek to its very end
	 * stays inside it */
	HPDF_Stream mem = HPDF_MemStream_New(fontdef->mmgr,
	                                     (HPDF_UINT)size + 4096);

	if (mem == NULL)
		return;
	if (HPDF_Stream_Write(mem, data, (HPDF_UINT)size) != HPDF_OK ||
	    mem->size != size ||
	    HPDF_Stream_Seek(mem, 0, HPDF_SEEK_SET) != HPDF_OK) {
		HPDF_Stream_Free(mem);
		return;
	}
	HPDF_Stream_Free(def->stream);
	def->stream = mem;
}

/* Rewrites a format 4 cmap as one segment 0..FFFF with a 65,536-entry
 * glyph array (idRangeOffset 2 makes libharu's index the code point
 * itself), after checking that every code point still gets its glyph. */
static void flatten_cmap(HPDF_FontDef fontdef, HPDF_TTFontDefAttr def)
{
	HPDF_TTF_CmapRange *cmap = &def->cmap;
	HPDF_TTF_CmapRange saved = *cmap;
	HPDF_UINT16 saved_end, saved_start, saved_range;
	HPDF_INT16 saved_delta;
	HPDF_UINT16 *flat;
	bool same = true;

	if (cmap->format != 4 || cmap->seg_count_x2 < 2 ||
	    cmap->end_count == NULL || cmap->start_count == NULL ||
	    cmap->id_delta == NULL || cmap->id_range_offset == NULL ||
	    cmap->end_count[cmap->seg_count_x2 / 2 - 1] != 0xFFFF)
		return;
	flat = HPDF_GetMem(fontdef->mmgr, 0x10000 * sizeof *flat);
	if (flat == NULL)
		return;
	for (uint32_t cp = 0; cp < 0x10000; cp++)
		flat[cp] = HPDF_TTFontDef_GetGlyphid(fontdef, (HPDF_UINT16)cp);
	saved_end = cmap->end_count[0];
	saved_start = cmap->start_count[0];
	saved_delta = cmap->id_delta[0];
	saved_range = cmap->id_range_offset[0];
	cmap->seg_count_x2 = 2;
	cmap->end_count[0] = 0xFFFF;
	cmap->start_count[0] = 0;
	cmap->id_delta[0] = 0;
	cmap->id_range_offset[0] = 2;
	cmap->glyph_id_array = flat;
	cmap->glyph_id_array_count = 0x10000;
	for (uint32_t cp = 0; cp < 0x10000 && same; cp++)
		same = HPDF_TTFontDef_GetGlyphid(fontdef, (HPDF_UINT16)cp) ==
		       flat[cp];
	if (!same) {               /* a libharu that looks up differently */
		*cmap = saved;
		cmap->end_count[0] = saved_end;
		cmap->start_count[0] = saved_start;
		cmap->id_delta[0] = saved_delta;
		cmap->id_range_offset[0] = saved_range;
		HPDF_FreeMem(fontdef->mmgr, flat);
		return;
	}
	if (saved.glyph_id_array != NULL)
		HPDF_FreeMem(fontdef->mmgr, saved.glyph_id_array);
}

/* The whole of a file (at most 64 MiB); NULL when it cannot be read. */
static unsigned char *read_file(const char *path, size_t *size)
{
	FILE *file = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t capacity = 0, got;

	*size = 0;
	if (file == NULL)
		return NULL;
	do {
		data = xgrow(data, &capacity, *size + 65536, 1);
		got = fread(data + *size, 1, capacity - *size, file);
		*size += got;
	} while (got > 0 && *size < ((size_t)64 << 20));
	fclose(file);
	return data;
}

/* The speed-ups above and the composite glyph table, for a loaded font. */
static void prepare_font(struct engine *e, const char *name,
                         const char *path, struct composites *c)
{
	HPDF_FontDef fontdef = HPDF_Doc_FindFontDef(e->pdf, name);
	HPDF_TTFontDefAttr def;
	unsigned char *data;
	size_t size = 0;

	memset(c, 0, sizeof *c);
	if (fontdef == NULL || fontdef->type != HPDF_FONTDEF_TYPE_TRUETYPE ||
	    fontdef->attr == NULL) {
		data = read_file(path, &size);
		if (data != NULL)
			load_composites(c, data, size);
		free(data);
		return;
	}
	def = fontdef->attr;
	flatten_cmap(fontdef, def);
	data = font_bytes(def, &size);
	if (data != NULL) {
		load_composites(c, data, size);
		font_to_memory(fontdef, def, data, size);
	} else if ((data = read_file(path, &size)) != NULL) {
		load_composites(c, data, size);
	}
	free(data);
	/* whatever went wrong above only left things as libharu had them */
	HPDF_ResetError(e->pdf);
	e->error = HPDF_OK;
}

static const char *load_font(struct engine *e, const char *dir,
                             const char *file, struct composites *c)
{
	char *path = xasprintf("%s/%s", dir, file);
	const char *name = NULL;
	FILE *probe = fopen(path, "rb");

	if (probe == NULL) {
		diag_error(path, 0, "cannot read the font: %s", strerror(errno));
	} else {
		fclose(probe);
		e->error = HPDF_OK;
		name = HPDF_LoadTTFontFromFile(e->pdf, path, HPDF_TRUE);
		if (name == NULL || e->error != HPDF_OK) {
			diag_error(path, 0, "cannot load the font: not a TrueType "
			           "font libharu can embed (error 0x%04X)",
			           (unsigned)e->error);
			name = NULL;
		} else {
			prepare_font(e, name, path, c);
		}
	}
	free(path);
	return name;
}

static struct engine *engine_new(void)
{
	static const char *const files[2] = { "DejaVuSans.ttf",
	                                      "DejaVuSans-Bold.ttf" };
	const char *dir = getenv("MANDATE_FONT_DIR");
	struct engine *e = xcalloc(1, sizeof *e);

	if (dir == NULL || *dir == '\0')
		dir = LAYOUT_FONT_DIR;
	e->pid = getpid();
	e->pdf = HPDF_New(on_hpdf_error, e);
	if (e->pdf == NULL) {
		diag_error(NULL, 0, "cannot start libharu");
		free(e);
		return NULL;
	}
	if (HPDF_UseUTFEncodings(e->pdf) != HPDF_OK) {
		diag_error(NULL, 0, "libharu has no UTF-8 encoding");
		engine_free(e);
		return NULL;
	}
	for (int f = 0; f < 2; f++) {
		e->font_name[f] = load_font(e, dir, files[f], &e->composites[f]);
		if (e->font_name[f] == NULL) {
			engine_free(e);
			return NULL;
		}
		e->widths[f] = xmalloc(0x10000 * sizeof *e->widths[f]);
		for (size_t i = 0; i < 0x10000; i++)
			e->widths[f][i] = INT16_MIN;
	}
	return e;
}

static struct engine *engine_get(void)
{
	if (engine != NULL && engine->pid != getpid()) {
		inherited = engine;    /* kept reachable, never touched */
		engine = NULL;
	}
	if (engine == NULL)
		engine = engine_new();
	return engine;
}

void layout_shutdown(void)
{
	engine_free(engine);
	engine = NULL;
}

/* ---- the layout ---------------------------------------------------------- */

struct layout {
	struct engine *e;
	HPDF_Font font[2];
	HPDF_Page *pages;
	size_t page_count, page_capacity;
	HPDF_Page page;            /* the current page */
	double y;                  /* top of the next line, from the top */
	double top, bottom;        /* of the body area, from the top */
	char *stamp;
	/* what the current page's content stream has set */
	bool in_text;
	int cur_font;
	double cur_size;
	double cur_gray;
	char *scratch;
	size_t scratch_capacity;
	/* A heading waits for what follows it, so that both go on one page. */
	struct pending {
		bool active;
		struct flow *flow;
		layout_align align;
		double before, after;
	} pending;
};

int layout_page_count(const layout *l)
{
	return (int)l->page_count;
}

static double page_y(double y)
{
	return LAYOUT_PAGE_HEIGHT - y;
}

static void text_mode(layout *l, bool on)
{
	if (on && !l->in_text)
		HPDF_Page_BeginText(l->page);
	else if (!on && l->in_text)
		HPDF_Page_EndText(l->page);
	l->in_text = on;
}

static void set_gray(layout *l, double gray)
{
	if (gray != l->cur_gray) {
		HPDF_Page_SetGrayFill(l->page, (HPDF_REAL)gray);
		l->cur_gray = gray;
	}
}

static void select_page(layout *l, size_t index)
{
	text_mode(l, false);
	l->page = l->pages[index];
	l->cur_font = -1;
	l->cur_size = 0;
	l->cur_gray = 0;
	l->in_text = false;
}

static void new_page(layout *l)
{
	HPDF_Page page;

	text_mode(l, false);
	page = HPDF_AddPage(l->e->pdf);
	if (page == NULL)
		return;                /* the error is recorded */
	HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
	l->pages = xgrow(l->pages, &l->page_capacity, l->page_count + 1,
	                 sizeof *l->pages);
	l->pages[l->page_count++] = page;
	select_page(l, l->page_count - 1);
	l->y = l->top;
}

static double room(const layout *l)
{
	return l->bottom - l->y;
}

static double line_height(double size)
{
	return size * LEADING;
}

/* From the top of a line box to its baseline: the glyphs' box (ascent to
 * descent) centred in the line. */
static double baseline(const layout *l, double size)
{
	double glyphs = (l->e->ascent - l->e->descent) * size / 1000.0;
	return (line_height(size) - glyphs) / 2 +
	       l->e->ascent * size / 1000.0;
}

/* ---- text measurement ---------------------------------------------------- */

/* Decodes one UTF-8 character (the input is valid UTF-8: the XML reader
 * checked it); characters outside the BMP become U+FFFD, which the fonts
 * have.  Returns its length in the input. */
static size_t decode(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xE0) == 0xC0 && (u[1] & 0xC0) == 0x80) {
		*cp = (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
		return 2;
	}
	if ((u[0] & 0xF0) == 0xE0 && (u[1] & 0xC0) == 0x80 &&
	    (u[2] & 0xC0) == 0x80) {
		*cp = (uint32_t)(u[0] & 0x0F) << 12 |
		      (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
		return 3;
	}
	*cp = 0xFFFD;
	if ((u[0] & 0xF8) == 0xF0 && u[1] != 0 && u[2] != 0 && u[3] != 0)
		return 4;
	return 1;
}

static size_t encode(uint32_t cp, char out[3])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	out[0] = (char)(0xE0 | cp >> 12);
	out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[2] = (char)(0x80 | (cp & 0x3F));
	return 3;
}

/* Advance width of a code point, per mille of the font size. */
static int glyph_width(layout *l, int font, uint32_t cp)
{
	int16_t *cache = l->e->widths[font];

	if (cache[cp] == INT16_MIN) {
		char bytes[3];
		size_t n = encode(cp, bytes);
		HPDF_TextWidth tw = HPDF_Font_TextWidth(
			l->font[font], (const HPDF_BYTE *)bytes, (HPDF_UINT)n);
		cache[cp] = (int16_t)(tw.width <= INT16_MAX ? tw.width : 0);
	}
	return cache[cp];
}

static double text_width(layout *l, int font, double size, const char *text)
{
	long total = 0;
	uint32_t cp;

	while (*text != '\0') {
		text += decode(text, &cp);
		total += glyph_width(l, font, cp);
	}
	return (double)total * size / 1000.0;
}

/* ---- flows: text cut into words, words into lines ------------------------ */

struct piece {                 /* a stretch of one word in one font */
	size_t offset, length;     /* in flow.text */
	int font;
	double width;
};

struct word {
	size_t first, count;       /* pieces */
	double width;
	bool space_before;         /* false: the first word, a forced line's
	                              first word, or the rest of a word broken
	                              between characters */
	bool newline_before;
};

struct line {
	size_t first, count;       /* words */
	double width;
	bool last;                 /* ends the text or a forced line */
};

struct flow {
	double size;
	double max_word;           /* longer words are broken */
	char *text;
	size_t text_length, text_capacity;
	struct piece *pieces;
	size_t piece_count, piece_capacity;
	struct word *words;
	size_t word_count, word_capacity;
	struct line *lines;
	size_t line_count, line_capacity;
	/* tokenizer state between runs */
	bool pending_space, pending_newline;
	uint32_t last;             /* the last character added */
};

static void flow_init(struct flow *f, double size, double max_word)
{
	memset(f, 0, sizeof *f);
	f->size = size;
	f->max_word = max_word;
}

static void flow_free(struct flow *f)
{
	free(f->text);
	free(f->pieces);
	free(f->words);
	free(f->lines);
	memset(f, 0, sizeof *f);
}

static struct word *start_word(struct flow *f, bool space_before)
{
	struct word *w;

	f->words = xgrow(f->words, &f->word_capacity, f->word_count + 1,
	                 sizeof *f->words);
	w = &f->words[f->word_count++];
	memset(w, 0, sizeof *w);
	w->first = f->piece_count;
	w->space_before = space_before;
	return w;
}

static struct piece *start_piece(struct flow *f, struct word *w, int font)
{
	struct piece *p;

	f->pieces = xgrow(f->pieces, &f->piece_capacity, f->piece_count + 1,
	                  sizeof *f->pieces);
	p = &f->pieces[f->piece_count++];
	p->offset = f->text_length;
	p->length = 0;
	p->font = font;
	p->width = 0;
	w->count++;
	return p;
}

/* Appends a run of text in one font. */
static void flow_add(layout *l, struct flow *f, const char *text, int font)
{
	struct word *w = f->word_count > 0 ? &f->words[f->word_count - 1]
	                                    : NULL;
	struct piece *p = f->piece_count > 0 ? &f->pieces[f->piece_count - 1]
	                                     : NULL;

	while (*text != '\0') {
		uint32_t cp;
		size_t n = decode(text, &cp);
		double width;
		char bytes[3];

		text += n;
		if ((cp == ' ' || cp == '\t' || cp == '\r') &&
		    f->last == 0x2116 && !f->pending_space) {
			cp = 0xA0;         /* "№ 12" never breaks after the sign */
		} else if (cp == ' ' || cp == '\t' || cp == '\r') {
			f->pending_space = true;
			continue;
		}
		if (cp == '\n') {
			f->pending_newline = true;
			continue;
		}
		if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
			cp = 0xFFFD;       /* no control characters on paper */
		width = glyph_width(l, font, cp) * f->size / 1000.0;
		if (w == NULL || f->pending_space || f->pending_newline) {
			w = start_word(f, f->pending_space && f->word_count > 0 &&
			                  !f->pending_newline);
			w->newline_before = f->pending_newline;
			p = start_piece(f, w, font);
		} else if (w->width > 0 && w->width + width > f->max_word) {
			w = start_word(f, false);      /* break the word here */
			p = start_piece(f, w, font);
		} else if (p->font != font) {
			p = start_piece(f, w, font);
		}
		f->pending_space = f->pending_newline = false;
		n = encode(cp, bytes);
		f->text = xgrow(f->text, &f->text_capacity, f->text_length + n + 1,
		                1);
		memcpy(f->text + f->text_length, bytes, n);
		f->text_length += n;
		p->length += n;
		p->width += width;
		w->width += width;
		f->last = cp;
	}
}

static double space_width(layout *l, double size)
{
	return glyph_width(l, FONT_REGULAR, ' ') * size / 1000.0;
}

static void push_line(struct flow *f, size_t first, size_t count,
                      double width, bool last)
{
	struct line *ln;

	f->lines = xgrow(f->lines, &f->line_capacity, f->line_count + 1,
	                 sizeof *f->lines);
	ln = &f->lines[f->line_count++];
	ln->first = first;
	ln->count = count;
	ln->width = width;
	ln->last = last;
}

/* Greedy line breaking into lines of at most `avail` points. */
static void flow_break(layout *l, struct flow *f, double avail)
{
	double space = space_width(l, f->size), width = 0;
	size_t first = 0, count = 0;

	f->line_count = 0;
	for (size_t i = 0; i < f->word_count; i++) {
		const struct word *w = &f->words[i];
		double gap = count > 0 && w->space_before ? space : 0;

		if (count > 0 && w->newline_before) {
			push_line(f, first, count, width, true);
			count = 0;
			width = gap = 0;
		} else if (count > 0 && width + gap + w->width > avail + 1e-6) {
			push_line(f, first, count, width, false);
			count = 0;
			width = gap = 0;
		}
		if (count == 0)
			first = i;
		width += gap + w->width;
		count++;
	}
	if (count > 0)
		push_line(f, first, count, width, true);
}

/* The widest word and the widest forced line: a column's narrowest and
 * natural widths. */
static void flow_extent(layout *l, const struct flow *f, double *min,
                        double *max)
{
	double space = space_width(l, f->size), line = 0;

	*min = *max = 0;
	for (size_t i = 0; i < f->word_count; i++) {
		const struct word *w = &f->words[i];
		if (w->newline_before)
			line = 0;
		else if (w->space_before)
			line += space;
		line += w->width;
		if (line > *max)
			*max = line;
		if (w->width > *min)
			*min = w->width;
	}
}

static const char *scratch_copy(layout *l, const char *text, size_t length)
{
	l->scratch = xgrow(l->scratch, &l->scratch_capacity, length + 1, 1);
	memcpy(l->scratch, text, length);
	l->scratch[length] = '\0';
	return l->scratch;
}

/* Text at (x, baseline y), both from the top-left. */
static void show(layout *l, double x, double y, int font, double size,
                 const char *text, size_t length)
{
	const char *s = scratch_copy(l, text, length);

	text_mode(l, true);
	if (font != l->cur_font || size != l->cur_size) {
		HPDF_Page_SetFontAndSize(l->page, l->font[font], (HPDF_REAL)size);
		l->cur_font = font;
		l->cur_size = size;
	}
	HPDF_Page_SetTextMatrix(l->page, 1, 0, 0, 1, (HPDF_REAL)x,
	                        (HPDF_REAL)page_y(y));
	HPDF_Page_ShowText(l->page, s);
}

/* Draws line `index` of f in the box [x, x + avail] whose top is y. */
static void draw_line(layout *l, const struct flow *f, size_t index,
                      double x, double y, double avail, layout_align align)
{
	const struct line *ln = &f->lines[index];
	double space = space_width(l, f->size), extra = 0;
	double base = y + baseline(l, f->size);
	size_t gaps = 0;

	for (size_t i = 1; i < ln->count; i++)
		if (f->words[ln->first + i].space_before)
			gaps++;
	if (align == LAYOUT_JUSTIFY && !ln->last && gaps > 0)
		extra = (avail - ln->width) / (double)gaps;
	/* A line that would gape (a long word moved on to the next line)
	 * stays ragged instead. */
	if (extra > 3 * space)
		extra = 0;
	else if (align == LAYOUT_CENTER)
		x += (avail - ln->width) / 2;
	else if (align == LAYOUT_RIGHT)
		x += avail - ln->width;
	if (extra < 0)
		extra = 0;
	for (size_t i = 0; i < ln->count; i++) {
		const struct word *w = &f->words[ln->first + i];
		if (i > 0 && w->space_before)
			x += space + extra;
		for (size_t k = 0; k < w->count; k++) {
			const struct piece *p = &f->pieces[w->first + k];
			show(l, x, base, p->font, f->size, f->text + p->offset,
			     p->length);
			x += p->width;
		}
	}
}

/* ---- page breaks --------------------------------------------------------- */

static void flush_pending(layout *l, double following);

/* Makes room for `height` more points on this page, or starts the next;
 * a waiting heading goes with them. */
static void need(layout *l, double height)
{
	if (l->pending.active) {
		flush_pending(l, height);
		return;
	}
	if (l->y + height > l->bottom + 1e-6 && l->y > l->top + 1e-6)
		new_page(l);
}

/* Draws the waiting heading where `following` points fit after it. */
static void flush_pending(layout *l, double following)
{
	struct pending *p = &l->pending;
	struct flow *f = p->flow;
	double lh = line_height(f->size);
	double before = l->y > l->top + 1e-6 ? p->before : 0;
	double height = (double)f->line_count * lh + p->after;

	p->active = false;
	if (l->y + before + height + following > l->bottom + 1e-6 &&
	    l->y > l->top + 1e-6) {
		new_page(l);
		before = 0;
	}
	l->y += before;
	for (size_t i = 0; i < f->line_count; i++, l->y += lh)
		draw_line(l, f, i, LAYOUT_MARGIN_LEFT, l->y, TEXT_WIDTH,
		          p->align);
	l->y += p->after;
	flow_free(f);
	free(f);
	p->flow = NULL;
}

/* ---- paragraphs ---------------------------------------------------------- */

struct style_info {
	double size, before, after;
};

static const struct style_info styles[] = {
	[LAYOUT_BODY] = { 10.0, 0.0, 4.0 },
	[LAYOUT_TITLE] = { 14.0, 0.0, 3.0 },
	[LAYOUT_SUBTITLE] = { 11.0, 0.0, 10.0 },
	[LAYOUT_HEADING] = { 10.5, 8.0, 4.0 },
	[LAYOUT_ITEM] = { 10.0, 0.0, 2.0 },
};

void layout_paragraph(layout *l, const layout_para *para)
{
	const struct style_info *st = &styles[para->style];
	double x = LAYOUT_MARGIN_LEFT + para->indent;
	double avail = TEXT_WIDTH - para->indent;
	double lh = line_height(st->size);
	struct flow f;
	size_t keep;

	if (para->label != NULL) {
		x += para->hang;
		avail -= para->hang;
	}
	flow_init(&f, st->size, avail);
	for (size_t i = 0; i < para->run_count; i++)
		flow_add(l, &f, para->runs[i].text,
		         para->runs[i].bold ? FONT_BOLD : FONT_REGULAR);
	flow_break(l, &f, avail);
	if (f.line_count == 0) {
		flow_free(&f);
		return;
	}
	if (para->style == LAYOUT_HEADING) {
		if (l->pending.active)
			need(l, 0);
		l->pending.active = true;
		l->pending.flow = xmalloc(sizeof f);
		*l->pending.flow = f;
		l->pending.align = para->align;
		l->pending.before = st->before;
		l->pending.after = st->after;
		return;
	}
	if (l->y > l->top + 1e-6 && !l->pending.active)
		l->y += st->before;
	/* A paragraph does not leave its first line alone at the foot of a
	 * page. */
	keep = f.line_count >= 2 ? 2 : 1;
	need(l, (double)keep * lh);
	for (size_t i = 0; i < f.line_count; i++) {
		need(l, lh);
		if (i == 0 && para->label != NULL) {
			struct flow label;
			flow_init(&label, st->size, para->hang + TEXT_WIDTH);
			flow_add(l, &label, para->label, FONT_REGULAR);
			flow_break(l, &label, TEXT_WIDTH);
			if (label.line_count > 0)
				draw_line(l, &label, 0,
				          LAYOUT_MARGIN_LEFT + para->indent, l->y,
				          para->hang, LAYOUT_LEFT);
			flow_free(&label);
		}
		draw_line(l, &f, i, x, l->y, avail, para->align);
		l->y += lh;
	}
	l->y += st->after;
	flow_free(&f);
}

void layout_space(layout *l, double points)
{
	if (l->pending.active)
		l->pending.after += points;
	else if (l->y > l->top + 1e-6)
		l->y += points;
}

void layout_dateline(layout *l, const char *left, const char *right)
{
	double size = styles[LAYOUT_BODY].size, lh = line_height(size);
	struct flow a, b;

	flow_init(&a, size, TEXT_WIDTH);
	flow_init(&b, size, TEXT_WIDTH);
	flow_add(l, &a, left, FONT_REGULAR);
	flow_add(l, &b, right, FONT_REGULAR);
	flow_break(l, &a, TEXT_WIDTH);
	flow_break(l, &b, TEXT_WIDTH);
	need(l, 2 * lh);
	if (a.line_count == 1 && b.line_count == 1 &&
	    a.lines[0].width + b.lines[0].width + 24 <= TEXT_WIDTH) {
		draw_line(l, &a, 0, LAYOUT_MARGIN_LEFT, l->y, TEXT_WIDTH,
		          LAYOUT_LEFT);
		draw_line(l, &b, 0, LAYOUT_MARGIN_LEFT, l->y, TEXT_WIDTH,
		          LAYOUT_RIGHT);
		l->y += lh;
	} else {
		for (size_t i = 0; i < a.line_count; i++, l->y += lh) {
			need(l, lh);
			draw_line(l, &a, i, LAYOUT_MARGIN_LEFT, l->y, TEXT_WIDTH,
			          LAYOUT_LEFT);
		}
		for (size_t i = 0; i < b.line_count; i++, l->y += lh) {
			need(l, lh);
			draw_line(l, &b, i, LAYOUT_MARGIN_LEFT, l->y, TEXT_WIDTH,
			          LAYOUT_RIGHT);
		}
	}
	l->y += 12;
	flow_free(&a);
	flow_free(&b);
}

/* ---- tables -------------------------------------------------------------- */

/* A cell as drawn: its place in the row and its text, broken into lines. */
struct cell {
	double x, width;
	layout_align align;
	struct flow flow;
};

struct row {
	struct cell *cells;
	size_t count;
	size_t lines;              /* of the tallest cell */
	bool bold;
};

static void row_free(struct row *r)
{
	for (size_t i = 0; i < r->count; i++)
		flow_free(&r->cells[i].flow);
	free(r->cells);
	memset(r, 0, sizeof *r);
}

static void add_cell(layout *l, struct row *r, double x, double width,
                     layout_align align, const char *text, bool bold)
{
	struct cell *c;
	double avail = width - 2 * CELL_PAD_X;

	r->cells = xrealloc(r->cells, (r->count + 1) * sizeof *r->cells);
	c = &r->cells[r->count++];
	c->x = x;
	c->width = width;
	c->align = align;
	flow_init(&c->flow, TABLE_SIZE, avail);
	if (text != NULL)
		flow_add(l, &c->flow, text, bold ? FONT_BOLD : FONT_REGULAR);
	flow_break(l, &c->flow, avail);
	if (c->flow.line_count > r->lines)
		r->lines = c->flow.line_count;
}

static double row_height(size_t lines)
{
	return (double)(lines > 0 ? lines : 1) * line_height(TABLE_SIZE) +
	       2 * CELL_PAD_Y;
}

static void stroke_rect(layout *l, double x, double y, double w, double h)
{
	text_mode(l, false);
	HPDF_Page_Rectangle(l->page, (HPDF_REAL)x, (HPDF_REAL)page_y(y + h),
	                    (HPDF_REAL)w, (HPDF_REAL)h);
	HPDF_Page_Stroke(l->page);
}

static void fill_rect(layout *l, double x, double y, double w, double h,
                      double gray)
{
	text_mode(l, false);
	set_gray(l, gray);
	HPDF_Page_Rectangle(l->page, (HPDF_REAL)x, (HPDF_REAL)page_y(y + h),
	                    (HPDF_REAL)w, (HPDF_REAL)h);
	HPDF_Page_Fill(l->page);
	set_gray(l, 0);
}

/* Draws lines [from, from + count) of a row at the cursor. */
static void draw_row_part(layout *l, const struct row *r, size_t from,
                          size_t count, bool borders, double shade)
{
	double h = row_height(count), lh = line_height(TABLE_SIZE);

	if (shade > 0)
		for (size_t i = 0; i < r->count; i++)
			fill_rect(l, r->cells[i].x, l->y, r->cells[i].width, h,
			          shade);
	for (size_t i = 0; i < r->count; i++) {
		const struct cell *c = &r->cells[i];
		for (size_t k = from; k < from + count &&
		                      k < c->flow.line_count; k++)
			draw_line(l, &c->flow, k, c->x + CELL_PAD_X,
			          l->y + CELL_PAD_Y + (double)(k - from) * lh,
			          c->width - 2 * CELL_PAD_X, c->align);
	}
	if (borders) {
		text_mode(l, false);
		HPDF_Page_SetGrayStroke(l->page, 0.35f);
		HPDF_Page_SetLineWidth(l->page, 0.5f);
		for (size_t i = 0; i < r->count; i++)
			stroke_rect(l, r->cells[i].x, l->y, r->cells[i].width, h);
	}
	l->y += h;
}

struct table_state {
	const layout_grid *t;
	double *x, *width;         /* per column */
	struct row header;
};

static void draw_header(layout *l, struct table_state *ts)
{
	if (ts->t->header)
		draw_row_part(l, &ts->header, 0, ts->header.lines,
		              ts->t->borders, ts->t->borders ? 0.9 : 0);
}

static double header_height(const struct table_state *ts)
{
	return ts->t->header ? row_height(ts->header.lines) : 0;
}

/* Draws a whole row, moving it to the next page (header repeated) when it
 * does not fit, and splitting it between lines only when it is taller
 * than a page can hold. */
static void draw_row(layout *l, struct table_state *ts, const struct row *r,
                     double shade)
{
	double lh = line_height(TABLE_SIZE);
	double page_room = l->bottom - l->top - header_height(ts);
	size_t done = 0, lines = r->lines > 0 ? r->lines : 1;

	if (row_height(lines) > room(l) + 1e-6 &&
	    row_height(lines) <= page_room + 1e-6) {
		new_page(l);
		draw_header(l, ts);
	}
	while (done < lines) {
		double space = room(l) - 2 * CELL_PAD_Y;
		size_t fit = space > 0 ? (size_t)((space + 1e-6) / lh) : 0;
		if (fit == 0) {
			new_page(l);
			draw_header(l, ts);
			continue;
		}
		if (fit > lines - done)
			fit = lines - done;
		draw_row_part(l, r, done, fit, ts->t->borders, shade);
		done += fit;
	}
}

/* Column widths: fixed shares first, then the others by content: each
 * gets its narrowest width (widest word) and the rest is shared in
 * proportion to what more each would take (HTML's automatic layout). */
static void column_widths(layout *l, const layout_grid *t, double *width)
{
	size_t n = t->column_count;
	double *min = xcalloc(n, sizeof *min), *max = xcalloc(n, sizeof *max);
	double avail = TEXT_WIDTH, sum_min = 0, sum_max = 0, text_slack = 0;

	for (size_t c = 0; c < n; c++) {
		if (t->columns[c].share > 0) {
			width[c] = TEXT_WIDTH * t->columns[c].share;
			avail -= width[c];
			continue;
		}
		for (size_t r = 0; r <= t->row_count + 1; r++) {
			const char *text;
			bool bold = false;
			struct flow f;
			double lo, hi;

			if (r == t->row_count) {
				text = t->header ? t->columns[c].heading : NULL;
				bold = true;
			} else if (r == t->row_count + 1) {
				/* a totals cell that spans counts elsewhere */
				text = t->total != NULL && (c + 1 == n ||
				       t->total[c + 1] != NULL) ? t->total[c] : NULL;
				bold = true;
			} else {
				text = t->cells[r * n + c];
				bold = t->bold_rows != NULL && t->bold_rows[r];
			}
			if (text == NULL)
				continue;
			flow_init(&f, TABLE_SIZE, TEXT_WIDTH);
			flow_add(l, &f, text, bold ? FONT_BOLD : FONT_REGULAR);
			flow_extent(l, &f, &lo, &hi);
			flow_free(&f);
			if (lo > min[c])
				min[c] = lo;
			if (hi > max[c])
				max[c] = hi;
		}
		min[c] += 2 * CELL_PAD_X + 0.5;
		max[c] += 2 * CELL_PAD_X + 0.5;
		if (min[c] < 4 * CELL_PAD_X)
			min[c] = 4 * CELL_PAD_X;
		if (max[c] < min[c])
			max[c] = min[c];
		sum_min += min[c];
		sum_max += max[c];
		if (t->columns[c].align == LAYOUT_LEFT ||
		    t->columns[c].align == LAYOUT_JUSTIFY)
			text_slack += max[c] - min[c];
	}
	if (avail < 0)
		avail = 0;
	for (size_t c = 0; c < n; c++) {
		if (t->columns[c].share > 0)
			continue;
		if (sum_max <= avail) {
			/* room to spare: it goes to the text columns that wrap,
			 * in proportion to how much they wrap */
			bool text = t->columns[c].align == LAYOUT_LEFT ||
			            t->columns[c].align == LAYOUT_JUSTIFY;
			width[c] = max[c];
			if (text_slack > 0 && text)
				width[c] += (avail - sum_max) * (max[c] - min[c]) /
				            text_slack;
			else if (text_slack == 0)
				width[c] += (avail - sum_max) * max[c] / sum_max;
		} else if (sum_min <= avail) {
			width[c] = min[c] + (max[c] - min[c]) *
			           (avail - sum_min) / (sum_max - sum_min);
		} else {
			width[c] = avail * min[c] / sum_min;
		}
	}
	free(min);
	free(max);
}

static void build_row(layout *l, struct table_state *ts, struct row *r,
                      const char *const *texts, bool bold, bool header)
{
	const layout_grid *t = ts->t;

	memset(r, 0, sizeof *r);
	r->bold = bold;
	for (size_t c = 0; c < t->column_count; c++) {
		double width = ts->width[c];
		layout_align align = header ? LAYOUT_LEFT : t->columns[c].align;
		const char *text = header ? t->columns[c].heading : texts[c];
		size_t span = c;

		/* a totals row's text extends over the NULL cells after it */
		if (!header && t->total != NULL && texts == t->total) {
			while (span + 1 < t->column_count && texts[span + 1] == NULL &&
			       text != NULL) {
				span++;
				width += ts->width[span];
			}
		}
		if (align == LAYOUT_JUSTIFY)
			align = LAYOUT_LEFT;
		add_cell(l, r, ts->x[c], width, align, text, bold);
		c = span;
	}
}

void layout_table(layout *l, const layout_grid *t)
{
	struct table_state ts = { .t = t };
	double x = LAYOUT_MARGIN_LEFT;

	if (t->column_count == 0)
		return;
	ts.x = xcalloc(t->column_count, sizeof *ts.x);
	ts.width = xcalloc(t->column_count, sizeof *ts.width);
	column_widths(l, t, ts.width);
	for (size_t c = 0; c < t->column_count; c++) {
		ts.x[c] = x;
		x += ts.width[c];
	}
	if (t->header)
		build_row(l, &ts, &ts.header, NULL, true, true);
	/* the header never stands alone at the foot of a page */
	need(l, header_height(&ts) + row_height(1) + 2);
	draw_header(l, &ts);
	for (size_t r = 0; r < t->row_count; r++) {
		struct row row;
		bool bold = t->bold_rows != NULL && t->bold_rows[r];
		build_row(l, &ts, &row, t->cells + r * t->column_count, bold,
		          false);
		draw_row(l, &ts, &row, 0);
		row_free(&row);
	}
	if (t->total != NULL) {
		struct row row;
		build_row(l, &ts, &row, t->total, true, false);
		draw_row(l, &ts, &row, t->borders ? 0.95 : 0);
		row_free(&row);
	}
	l->y += 6;
	row_free(&ts.header);
	free(ts.x);
	free(ts.width);
}

/* ---- the signature block ------------------------------------------------- */

void layout_signatures(layout *l, const layout_party *firm,
                       const layout_party *client, int *page,
                       double rect[4])
{
	const layout_party *party[2] = { firm, client };
	size_t rows = 1 + (firm->line_count > client->line_count ?
	                   firm->line_count : client->line_count);
	const char **cells = xcalloc(rows * 3, sizeof *cells);
	bool *bold = xcalloc(rows, sizeof *bold);
	layout_column columns[3] = {
		{ NULL, LAYOUT_LEFT, 0.46 }, { NULL, LAYOUT_LEFT, 0.08 },
		{ NULL, LAYOUT_LEFT, 0.46 }
	};
	layout_grid t = { .columns = columns, .column_count = 3,
	                   .cells = cells, .row_count = rows,
	                   .bold_rows = bold };
	double col = TEXT_WIDTH * 0.46, lh = line_height(TABLE_SIZE);
	double seal_lh = line_height(SEAL_SIZE), box = SIGN_BOX;
	double sign_height, estimate;
	struct flow sign[2], seal[2];

	bold[0] = true;
	for (size_t p = 0; p < 2; p++) {
		double inner = col - 2 * CELL_PAD_X;
		cells[p * 2] = party[p]->heading;
		for (size_t i = 0; i < party[p]->line_count; i++)
			cells[(i + 1) * 3 + p * 2] = party[p]->lines[i];
		flow_init(&sign[p], 8.5, inner);
		flow_add(l, &sign[p], party[p]->sign != NULL ? party[p]->sign : "",
		         FONT_REGULAR);
		flow_break(l, &sign[p], inner);
		flow_init(&seal[p], SEAL_SIZE, inner - 2 * SEAL_PAD);
		flow_add(l, &seal[p], party[p]->seal != NULL ? party[p]->seal : "",
		         FONT_REGULAR);
		flow_break(l, &seal[p], inner - 2 * SEAL_PAD);
		if ((double)seal[p].line_count * seal_lh + 2 * SEAL_PAD > box)
			box = (double)seal[p].line_count * seal_lh + 2 * SEAL_PAD;
	}
	sign_height = 14 + box + 4 +
	              (double)(sign[0].line_count > sign[1].line_count ?
	                       sign[0].line_count : sign[1].line_count) *
	              line_height(8.5);
	/* Keep the block together: estimate its height from the lines. */
	estimate = sign_height;
	for (size_t r = 0; r < rows; r++) {
		size_t most = 1;
		for (size_t p = 0; p < 2; p++) {
			struct flow f;
			const char *text = cells[r * 3 + p * 2];
			if (text == NULL)
				continue;
			flow_init(&f, TABLE_SIZE, col - 2 * CELL_PAD_X);
			flow_add(l, &f, text, r == 0 ? FONT_BOLD : FONT_REGULAR);
			flow_break(l, &f, col - 2 * CELL_PAD_X);
			if (f.line_count > most)
				most = f.line_count;
			flow_free(&f);
		}
		estimate += (double)most * lh + 2 * CELL_PAD_Y;
	}
	if (estimate + 8 <= l->bottom - l->top)
		need(l, estimate + 8);
	layout_table(l, &t);
	need(l, sign_height);
	l->y += 14;
	for (size_t p = 0; p < 2; p++) {
		double x = LAYOUT_MARGIN_LEFT + (p == 0 ? 0 : TEXT_WIDTH * 0.54);
		double x1 = x + CELL_PAD_X, x2 = x + col - CELL_PAD_X;
		double line_y = l->y + box;

		text_mode(l, false);
		if (seal[p].line_count > 0) {
			double text_h = (double)seal[p].line_count * seal_lh;
			double top = l->y + (box - text_h) / 2;
			HPDF_Page_SetRGBStroke(l->page, 0.12f, 0.25f, 0.6f);
			HPDF_Page_SetLineWidth(l->page, 0.8f);
			HPDF_Page_Rectangle(l->page, (HPDF_REAL)(x1 + 0.4),
			                    (HPDF_REAL)page_y(line_y - 3),
			                    (HPDF_REAL)(x2 - x1 - 0.8),
			                    (HPDF_REAL)(box - 3.4));
			HPDF_Page_Stroke(l->page);
			HPDF_Page_SetRGBFill(l->page, 0.12f, 0.25f, 0.6f);
			l->cur_gray = -1;
			for (size_t i = 0; i < seal[p].line_count; i++)
				draw_line(l, &seal[p], i, x1 + SEAL_PAD,
				          top - 1.5 + (double)i * seal_lh,
				          x2 - x1 - 2 * SEAL_PAD, LAYOUT_CENTER);
			set_gray(l, 0);
			text_mode(l, false);
		}
		HPDF_Page_SetGrayStroke(l->page, 0);
		HPDF_Page_SetLineWidth(l->page, 0.6f);
		HPDF_Page_MoveTo(l->page, (HPDF_REAL)x1, (HPDF_REAL)page_y(line_y));
		HPDF_Page_LineTo(l->page, (HPDF_REAL)x2, (HPDF_REAL)page_y(line_y));
		HPDF_Page_Stroke(l->page);
		for (size_t i = 0; i < sign[p].line_count; i++)
			draw_line(l, &sign[p], i, x1,
			          line_y + 3 + (double)i * line_height(8.5),
			          x2 - x1, LAYOUT_LEFT);
		if (p == 0) {
			*page = (int)l->page_count - 1;
			rect[0] = x1;
			rect[1] = page_y(line_y);
			rect[2] = x2;
			rect[3] = page_y(l->y);
		}
	}
	l->y += sign_height - 14;
	for (size_t p = 0; p < 2; p++) {
		flow_free(&sign[p]);
		flow_free(&seal[p]);
	}
	free(cells);
	free(bold);
}

/* ---- page furniture ------------------------------------------------------ */

/* One line that must not wrap: set smaller until it fits `avail`. */
static double fitting_size(layout *l, const char *text, int font,
                           double size, double avail)
{
	double width = text_width(l, font, size, text);

	if (width > avail && width > 0)
		size = size * avail / width * 0.999;
	return size;
}

static void draw_single(layout *l, const char *text, int font, double size,
                        double x, double y_top, double avail,
                        layout_align align)
{
	struct flow f;

	flow_init(&f, size, 1e9);
	flow_add(l, &f, text, font);
	flow_break(l, &f, 1e9);
	for (size_t i = 0; i < f.line_count; i++)
		f.lines[i].last = true;
	if (f.line_count > 0)
		draw_line(l, &f, 0, x, y_top, avail, align);
	flow_free(&f);
}

static void draw_stamp(layout *l)
{
	double size = fitting_size(l, l->stamp, FONT_BOLD, STAMP_SIZE,
	                           TEXT_WIDTH - 12);
	double width = text_width(l, FONT_BOLD, size, l->stamp);
	double box_w = width + 12, box_h = line_height(size) + 4;
	double x = LAYOUT_MARGIN_LEFT + TEXT_WIDTH - box_w;
	double y = LAYOUT_MARGIN_TOP;

	text_mode(l, false);
	HPDF_Page_SetRGBStroke(l->page, 0.7f, 0.05f, 0.05f);
	HPDF_Page_SetLineWidth(l->page, 1.0f);
	/* the border's outer edge stays inside the margins */
	HPDF_Page_Rectangle(l->page, (HPDF_REAL)(x + 0.5),
	                    (HPDF_REAL)page_y(y + box_h - 0.5),
	                    (HPDF_REAL)(box_w - 1), (HPDF_REAL)(box_h - 1));
	HPDF_Page_Stroke(l->page);
	text_mode(l, true);
	HPDF_Page_SetRGBFill(l->page, 0.7f, 0.05f, 0.05f);
	l->cur_gray = -1;
	draw_single(l, l->stamp, FONT_BOLD, size, x + 6, y + 2, width,
	            LAYOUT_LEFT);
	set_gray(l, 0);
}

static void draw_footer(layout *l, const char *left, const char *right)
{
	double y = LAYOUT_PAGE_HEIGHT - LAYOUT_MARGIN_BOTTOM -
	           line_height(FOOTER_SIZE);
	double right_w = text_width(l, FONT_REGULAR, FOOTER_SIZE, right);
	double left_avail = TEXT_WIDTH - right_w - 18;
	double left_size;

	if (left_avail < TEXT_WIDTH / 3)
		left_avail = TEXT_WIDTH / 3;
	left_size = fitting_size(l, left, FONT_REGULAR, FOOTER_SIZE,
	                         left_avail);
	right_w = TEXT_WIDTH - left_avail - 18;
	text_mode(l, false);
	HPDF_Page_SetGrayStroke(l->page, 0.5f);
	HPDF_Page_SetLineWidth(l->page, 0.5f);
	HPDF_Page_MoveTo(l->page, (HPDF_REAL)LAYOUT_MARGIN_LEFT,
	                 (HPDF_REAL)page_y(y - 4));
	HPDF_Page_LineTo(l->page,
	                 (HPDF_REAL)(LAYOUT_MARGIN_LEFT + TEXT_WIDTH),
	                 (HPDF_REAL)page_y(y - 4));
	HPDF_Page_Stroke(l->page);
	set_gray(l, 0.3);
	draw_single(l, left, FONT_REGULAR, left_size, LAYOUT_MARGIN_LEFT, y,
	            left_avail, LAYOUT_LEFT);
	draw_single(l, right, FONT_REGULAR,
	            fitting_size(l, right, FONT_REGULAR, FOOTER_SIZE, right_w),
	            LAYOUT_MARGIN_LEFT, y, TEXT_WIDTH, LAYOUT_RIGHT);
	set_gray(l, 0);
}

/* ---- beginning and end --------------------------------------------------- */

layout *layout_begin(const char *stamp)
{
	struct engine *e = engine_get();
	layout *l;

	if (e == NULL)
		return NULL;
	e->error = HPDF_OK;
	if (HPDF_NewDoc(e->pdf) != HPDF_OK) {
		diag_error(NULL, 0, "libharu cannot start a document (error "
		           "0x%04X)", (unsigned)e->error);
		return NULL;
	}
	HPDF_SetCompressionMode(e->pdf, HPDF_COMP_ALL);
	HPDF_SetInfoAttr(e->pdf, HPDF_INFO_CREATOR, "mandate");
	l = xcalloc(1, sizeof *l);
	l->e = e;
	for (int f = 0; f < 2; f++)
		l->font[f] = HPDF_GetFont(e->pdf, e->font_name[f], "UTF-8");
	if (e->ascent == 0) {
		for (int f = 0; f < 2; f++) {
			double a = HPDF_Font_GetAscent(l->font[f]);
			double d = HPDF_Font_GetDescent(l->font[f]);
			if (a > e->ascent)
				e->ascent = a;
			if (d < e->descent)
				e->descent = d;
		}
	}
	l->stamp = stamp != NULL ? xstrdup(stamp) : NULL;
	l->top = BODY_TOP_PLAIN + (stamp != NULL ? STAMP_BAND : 0);
	l->bottom = LAYOUT_PAGE_HEIGHT - LAYOUT_MARGIN_BOTTOM - FOOTER_BAND;
	new_page(l);
	return l;
}

static void layout_free(layout *l)
{
	if (l->pending.flow != NULL) {
		flow_free(l->pending.flow);
		free(l->pending.flow);
	}
	free(l->pages);
	free(l->stamp);
	free(l->scratch);
	free(l);
}

void layout_abort(layout *l)
{
	if (l == NULL)
		return;
	HPDF_FreeDoc(l->e->pdf);
	layout_free(l);
}

static int read_bytes(layout *l, unsigned char **pdf, size_t *length)
{
	HPDF_Doc doc = l->e->pdf;
	HPDF_UINT32 size, done = 0;
	unsigned char *buffer;

	if (HPDF_SaveToStream(doc) != HPDF_OK)
		return -1;
	size = HPDF_GetStreamSize(doc);
	buffer = xmalloc(size > 0 ? size : 1);
	HPDF_ResetStream(doc);
	while (done < size) {
		HPDF_UINT32 chunk = size - done;
		HPDF_STATUS status = HPDF_ReadFromStream(doc, buffer + done,
		                                         &chunk);
		done += chunk;
		if (status == HPDF_STREAM_EOF)
			break;
		if (status != HPDF_OK || chunk == 0) {
			free(buffer);
			return -1;
		}
	}
	if (l->e->error == HPDF_STREAM_EOF)
		l->e->error = HPDF_OK;
	*pdf = buffer;
	*length = done;
	return 0;
}

int layout_finish(layout *l, layout_footer_fn footer, void *ctx,
                  unsigned char **pdf, size_t *length)
{
	int pages, status = 0;

	if (l->pending.active)
		need(l, 0);
	pages = (int)l->page_count;
	for (size_t i = 0; i < l->page_count; i++) {
		char *left = NULL, *right = NULL;

		select_page(l, i);
		if (l->stamp != NULL)
			draw_stamp(l);
		footer(ctx, (int)i + 1, pages, &left, &right);
		draw_footer(l, left != NULL ? left : "", right != NULL ? right
		                                                       : "");
		free(left);
		free(right);
		text_mode(l, false);
	}
	for (int f = 0; f < 2; f++)
		close_composites(&l->e->composites[f], l->font[f]);
	if (l->e->error != HPDF_OK || read_bytes(l, pdf, length) != 0 ||
	    l->e->error != HPDF_OK) {
		status = diag_error(NULL, 0, "cannot draw the document: libharu "
		                    "error 0x%04X (detail %u)",
		                    (unsigned)l->e->error,
		                    (unsigned)l->e->detail);
		if (l->e->error == HPDF_OK)
			status = -1;
	}
	HPDF_FreeDoc(l->e->pdf);
	layout_free(l);
	return status;
}
