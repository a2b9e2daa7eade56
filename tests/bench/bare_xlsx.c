/* The bare libxlsxwriter program tests/bench/report.sh races `mandate
 * report` against: it writes a workbook with the cells of a sampled
 * status.xlsx (tests/bench/xlsx_sample.py): every sheet with its column
 * widths, frozen header, autofilter and row count; the header row; data
 * rows cycling through the sampled rows (same types, values, formats);
 * the totals block with its formulas and cached values.  constant_memory
 * mode, scratch files in TMPDIR, one workbook.
 *
 *     bare_xlsx SAMPLE OUT.xlsx TMPDIR
 *
 * Reading the sample costs a few milliseconds; the rest is libxlsxwriter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

typedef struct cell {
	unsigned row, col;
	int xf;
	char kind;                  /* s n f */
	char *value;
	double number, cached;
} cell;

typedef struct sheet {
	char *name;
	unsigned data_rows, freeze;
	char *autofilter;
	cell *cells;
	size_t count, capacity;
	struct { unsigned first, last; double width; } cols[256];
	size_t col_count;
} sheet;

static void *grow(void *p, size_t *capacity, size_t need, size_t size)
{
	if (need <= *capacity)
		return p;
	*capacity = *capacity ? *capacity * 2 : 64;
	if (*capacity < need)
		*capacity = need;
	p = realloc(p, *capacity * size);
	if (p == NULL) {
		perror("bare_xlsx");
		exit(1);
	}
	return p;
}

/* Splits line at tabs in place, unescaping \t \n \\; returns the count. */
static int fields(char *line, char **out, int max)
{
	int n = 0;
	char *w = line, *r = line;

	out[n++] = w;
	for (; *r && *r != '\n'; r++) {
		if (*r == '\t') {
			*w++ = '\0';
			if (n < max)
				out[n++] = w;
		} else if (*r == '\\' && r[1]) {
			r++;
			*w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r;
		} else
			*w++ = *r;
	}
	*w = '\0';
	return n;
}

static lxw_format *formats[1024];

static lxw_format *format_of(int xf)
{
	return xf >= 0 && xf < 1024 ? formats[xf] : NULL;
}

static void write_cell(lxw_worksheet *ws, unsigned row, const cell *c)
{
	switch (c->kind) {
	case 's':
		worksheet_write_string(ws, row, (lxw_col_t)c->col, c->value,
		                       format_of(c->xf));
		break;
	case 'n':
		worksheet_write_number(ws, row, (lxw_col_t)c->col, c->number,
		                       format_of(c->xf));
		break;
	default:
		worksheet_write_formula_num(ws, row, (lxw_col_t)c->col,
		                            c->value, format_of(c->xf),
		                            c->cached);
		break;
	}
}

static void write_sheet(lxw_workbook *wb, const sheet *s)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, s->name);
	unsigned samples = 0;
	size_t first_sample = s->count, first_total = s->count, i, k;

	if (ws == NULL) {
		fprintf(stderr, "bare_xlsx: cannot add sheet %s\n", s->name);
		exit(1);
	}
	for (i = 0; i < s->col_count; i++)
		worksheet_set_column(ws, (lxw_col_t)s->cols[i].first,
		                     (lxw_col_t)s->cols[i].last,
		                     s->cols[i].width, NULL);
	if (s->freeze)
		worksheet_freeze_panes(ws, s->freeze, 0);
	if (s->autofilter[0]) {
		lxw_row_t r1, r2;
		lxw_col_t c1, c2;
		r1 = lxw_name_to_row(s->autofilter);
		c1 = lxw_name_to_col(s->autofilter);
		r2 = lxw_name_to_row_2(s->autofilter);
		c2 = lxw_name_to_col_2(s->autofilter);
		worksheet_autofilter(ws, r1, c1, r2, c2);
	}
	/* cells: header (row 0), samples (1..), totals (after the data) */
	for (i = 0; i < s->count; i++) {
		if (s->cells[i].row >= 1 && s->cells[i].row <= s->data_rows) {
			if (first_sample == s->count)
				first_sample = i;
			if (s->cells[i].row > samples)
				samples = s->cells[i].row;
		} else if (s->cells[i].row > s->data_rows &&
		           first_total == s->count)
			first_total = i;
	}
	for (i = 0; i < s->count && s->cells[i].row == 0; i++)
		write_cell(ws, 0, &s->cells[i]);
	for (unsigned row = 1; samples > 0 && row <= s->data_rows; row++) {
		unsigned want = (row - 1) % samples + 1;
		for (k = first_sample; k < first_total &&
		     s->cells[k].row <= want; k++)
			if (s->cells[k].row == want)
				write_cell(ws, row, &s->cells[k]);
	}
	for (k = first_total; k < s->count; k++)
		write_cell(ws, s->cells[k].row, &s->cells[k]);
}

int main(int argc, char **argv)
{
	lxw_workbook_options options = { .constant_memory = LXW_TRUE };
	lxw_workbook *wb;
	sheet *sheets = NULL, *s = NULL;
	size_t count = 0, capacity = 0;
	char *line = NULL, *f[8];
	size_t size = 0;
	FILE *in;
	lxw_error err;

	if (argc != 4) {
		fprintf(stderr, "usage: bare_xlsx SAMPLE OUT.xlsx TMPDIR\n");
		return 2;
	}
	options.tmpdir = argv[3];
	if ((in = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	wb = workbook_new_opt(argv[2], &options);
	if (wb == NULL) {
		fprintf(stderr, "bare_xlsx: cannot create %s\n", argv[2]);
		return 1;
	}
	while (getline(&line, &size, in) > 0) {
		int n = fields(line, f, 8);
		if (f[0][0] == 'X' && n >= 7) {
			int id = atoi(f[1]), builtin = atoi(f[2]);
			lxw_format *fmt;
			if (id <= 0 || id >= 1024)
				continue;
			fmt = formats[id] = workbook_add_format(wb);
			if (f[3][0])
				format_set_num_format(fmt, f[3]);
			else if (builtin > 0)
				format_set_num_format_index(fmt,
				                            (uint8_t)builtin);
			if (atoi(f[4]))
				format_set_bold(fmt);
			if (atoi(f[5]))
				format_set_border(fmt, LXW_BORDER_THIN);
			if (atoi(f[6]))
				format_set_bg_color(fmt, 0xD9E1F2);
		} else if (f[0][0] == 'S' && n >= 5) {
			sheets = grow(sheets, &capacity, count + 1,
			              sizeof *sheets);
			s = &sheets[count++];
			memset(s, 0, sizeof *s);
			s->name = strdup(f[1]);
			s->data_rows = (unsigned)strtoul(f[2], NULL, 10);
			s->freeze = (unsigned)strtoul(f[3], NULL, 10);
			s->autofilter = strdup(f[4]);
		} else if (f[0][0] == 'W' && n >= 4 && s != NULL &&
		           s->col_count < 256) {
			s->cols[s->col_count].first = (unsigned)atoi(f[1]);
			s->cols[s->col_count].last = (unsigned)atoi(f[2]);
			s->cols[s->col_count++].width = strtod(f[3], NULL);
		} else if (f[0][0] == 'C' && n >= 6 && s != NULL) {
			cell *c;
			s->cells = grow(s->cells, &s->capacity, s->count + 1,
			                sizeof *s->cells);
			c = &s->cells[s->count++];
			c->row = (unsigned)strtoul(f[1], NULL, 10);
			c->col = (unsigned)strtoul(f[2], NULL, 10);
			c->xf = atoi(f[3]);
			c->kind = f[4][0];
			c->value = strdup(f[5]);
			c->number = strtod(f[5], NULL);
			c->cached = n >= 7 ? strtod(f[6], NULL) : 0;
		}
	}
	free(line);
	fclose(in);
	/* constant_memory writes each sheet as it goes: sheets in order */
	for (size_t i = 0; i < count; i++)
		write_sheet(wb, &sheets[i]);
	err = workbook_close(wb);
	if (err != LXW_NO_ERROR) {
		fprintf(stderr, "bare_xlsx: %s\n", lxw_strerror(err));
		return 1;
	}
	return 0;
}
