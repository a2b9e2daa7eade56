/* Filling templates with an order and drawing them; see doc_render.h. */
#include "doc_render.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_layout.h"
#include "util/diag.h"
#include "util/money.h"
#include "util/xalloc.h"

#define NBSP "\xC2\xA0"            /* U+00A0 no-break space */
#define NNBSP "\xE2\x80\xAF"       /* U+202F narrow no-break space */
#define MINUS "\xE2\x88\x92"       /* U+2212 minus sign */

/* ---- a growing string ---------------------------------------------------- */

struct sbuf {
	char *data;
	size_t length, capacity;
};

static void sb_addn(struct sbuf *b, const char *text, size_t n)
{
	b->data = xgrow(b->data, &b->capacity, b->length + n + 1, 1);
	memcpy(b->data + b->length, text, n);
	b->length += n;
	b->data[b->length] = '\0';
}

static void sb_add(struct sbuf *b, const char *text)
{
	sb_addn(b, text, strlen(text));
}

__attribute__((format(printf, 2, 3)))
static void sb_addf(struct sbuf *b, const char *format, ...)
{
	char buffer[128];
	va_list args;

	va_start(args, format);
	vsnprintf(buffer, sizeof buffer, format, args);
	va_end(args);
	sb_add(b, buffer);
}

/* Takes the text out (never NULL); the buffer is empty again. */
static char *sb_take(struct sbuf *b)
{
	char *text = b->data != NULL ? b->data : xstrdup("");

	memset(b, 0, sizeof *b);
	return text;
}

/* ---- numbers, money, dates per language ---------------------------------- */

/* Digits of an unsigned decimal with groups of three. */
static void add_grouped(struct sbuf *b, const char *digits, language lang)
{
	size_t n = strlen(digits);

	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			sb_add(b, lang == LANG_RU ? NNBSP : ",");
		sb_addn(b, digits + i, 1);
	}
}

/* "[-]int[.frac]" → grouped, with the language's decimal mark. */
static void add_decimal(struct sbuf *b, const char *plain, language lang)
{
	const char *dot = strchr(plain, '.');
	char integer[40];
	size_t n;

	if (*plain == '-') {
		sb_add(b, MINUS);
		plain++;
	}
	n = dot != NULL ? (size_t)(dot - plain) : strlen(plain);
	if (n >= sizeof integer)
		n = sizeof integer - 1;
	memcpy(integer, plain, n);
	integer[n] = '\0';
	add_grouped(b, integer, lang);
	if (dot != NULL) {
		sb_add(b, lang == LANG_RU ? "," : ".");
		sb_add(b, dot + 1);
	}
}

static int minor_digits(const char *code)
{
	const currency *cur = currency_find(code);
	return cur != NULL ? cur->minor_digits : 2;
}

/* An amount without its currency: "150 000,00" / "150,000.00". */
static void add_number(struct sbuf *b, int64_t minor, const char *code,
                       language lang)
{
	char plain[32];

	money_format(minor, minor_digits(code), plain);
	add_decimal(b, plain, lang);
}

/* The currency as a language writes it next to an amount. */
static const char *currency_mark(const char *code, language lang)
{
	static const struct { const char *code, *sign; } signs[] = {
		{"RUB", "\xE2\x82\xBD"}, {"EUR", "\xE2\x82\xAC"}, {"USD", "$"},
		{"GBP", "\xC2\xA3"}, {"JPY", "\xC2\xA5"}, {"CNY", "\xC2\xA5"},
	};

	if (lang == LANG_RU)
		for (size_t i = 0; i < sizeof signs / sizeof signs[0]; i++)
			if (strcmp(signs[i].code, code) == 0)
				return signs[i].sign;
	return code;
}

static void add_money(struct sbuf *b, int64_t minor, const char *code,
                      language lang)
{
	if (lang == LANG_RU) {
		add_number(b, minor, code, lang);
		sb_add(b, NBSP);
		sb_add(b, currency_mark(code, lang));
	} else {
		sb_add(b, code);
		sb_add(b, NBSP);
		add_number(b, minor, code, lang);
	}
}

/* A fixed-point value with up to `scale_digits` decimals, trailing zeros
 * dropped: quantities (×1000) and percents (×10000). */
static void add_fixed(struct sbuf *b, int64_t value, int scale_digits,
                      language lang)
{
	char plain[40];
	size_t n;
	bool negative = value < 0;
	uint64_t v = negative ? 0 - (uint64_t)value : (uint64_t)value;
	uint64_t scale = 1;

	for (int i = 0; i < scale_digits; i++)
		scale *= 10;
	n = (size_t)snprintf(plain, sizeof plain, "%s%llu.%0*llu",
	                     negative ? "-" : "",
	                     (unsigned long long)(v / scale), scale_digits,
	                     (unsigned long long)(v % scale));
	while (n > 0 && plain[n - 1] == '0')
		plain[--n] = '\0';
	if (n > 0 && plain[n - 1] == '.')
		plain[--n] = '\0';
	add_decimal(b, plain, lang);
}

static void add_percent(struct sbuf *b, int64_t value, language lang)
{
	add_fixed(b, value, 4, lang);
	sb_add(b, lang == LANG_RU ? NBSP "%" : "%");
}

static void add_date(struct sbuf *b, date_t date, bool long_form,
                     language lang)
{
	static const char *const ru_months[12] = {
		"января", "февраля", "марта", "апреля", "мая", "июня", "июля",
		"августа", "сентября", "октября", "ноября", "декабря"
	};
	static const char *const en_months[12] = {
		"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"
	};
	int y, m, d;

	date_to_ymd(date, &y, &m, &d);
	if (lang == LANG_EN)
		sb_addf(b, "%d" NBSP "%s" NBSP "%d", d, en_months[m - 1], y);
	else if (long_form)
		sb_addf(b, "«%02d»" NBSP "%s %d" NBSP "г.", d, ru_months[m - 1], y);
	else
		sb_addf(b, "%02d.%02d.%d", d, m, y);
}

/* The noun after a count: ru has three forms, en two (few = many). */
static const char *plural(const doc_template *t, long n)
{
	long tens = n % 100, ones = n % 10;

	if (t->lang == LANG_EN)
		return n == 1 ? t->days[0] : t->days[2];
	if (ones == 1 && tens != 11)
		return t->days[0];
	if (ones >= 2 && ones <= 4 && (tens < 12 || tens > 14))
		return t->days[1];
	return t->days[2];
}

/* ---- the rendering context ----------------------------------------------- */

struct render {
	const doc_template *tpl;
	const doc_request *req;
	const order_state *o;
	language lang;
	layout *l;
	int section;               /* number of the current section, 0: none */
	int clause;                /* last paragraph number in it */
	bool in_section;
	int64_t resources_total;   /* of o */
	int64_t final_amount, balance;
	int page, pages;           /* while drawing footers */
	int sig_page;
	double sig_rect[4];
	bool signed_block;
};

static const char *or_empty(const char *text)
{
	return text != NULL ? text : "";
}

static bool has_text(const char *text)
{
	return text != NULL && *text != '\0';
}

static date_t agreement_date(const struct render *r)
{
	if (r->req->kind == DOC_AGREEMENT || r->o->fixed_on == DATE_NONE)
		return r->req->date;
	return r->o->fixed_on;
}

/* Appends the value of a placeholder. */
static void add_value(struct render *r, struct sbuf *b, tpl_value id,
                      bool long_form)
{
	const order_state *o = r->o;
	const order_fields *f = &o->fields;
	const doc_template *t = r->tpl;
	language lang = r->lang;

	switch (id) {
	case V_ORDER_ID: sb_add(b, o->id); break;
	case V_ORDER_VERSION: sb_addf(b, "%d", o->version); break;
	case V_ORDER_PREVIOUS_VERSION:
		sb_addf(b, "%d", r->req->before != NULL ? r->req->before->version
		                                        : o->version - 1);
		break;
	case V_CLIENT_NAME: sb_add(b, or_empty(o->client.name)); break;
	case V_CLIENT_ID: sb_add(b, o->client.id); break;
	case V_CLIENT_TAX_ID: sb_add(b, or_empty(o->client.tax_id)); break;
	case V_CLIENT_ADDRESS: sb_add(b, or_empty(o->client.address)); break;
	case V_CLIENT_EMAIL: sb_add(b, or_empty(o->client.email)); break;
	case V_FIRM_NAME: sb_add(b, t->firm_name); break;
	case V_FIRM_TAX_ID: sb_add(b, t->firm_tax_id); break;
	case V_FIRM_ADDRESS: sb_add(b, t->firm_address); break;
	case V_FIRM_CITY: sb_add(b, t->firm_city); break;
	case V_EXECUTOR_NAME: sb_add(b, or_empty(f->executor_name)); break;
	case V_TITLE: sb_add(b, or_empty(f->title)); break;
	case V_DESCRIPTION: sb_add(b, or_empty(f->description)); break;
	case V_ACCEPTANCE: sb_add(b, or_empty(f->acceptance)); break;
	case V_PRICE: add_money(b, f->price, f->currency, lang); break;
	case V_CURRENCY: sb_add(b, currency_mark(f->currency, lang)); break;
	case V_RECEIVED: add_date(b, o->received, long_form, lang); break;
	case V_START: add_date(b, f->start, long_form, lang); break;
	case V_DUE: add_date(b, f->due, long_form, lang); break;
	case V_AGREEMENT_DATE:
		add_date(b, agreement_date(r), long_form, lang);
		break;
	case V_COMPLETED:
		add_date(b, o->completed_on != DATE_NONE ? o->completed_on
		                                         : r->req->date,
		         long_form, lang);
		break;
	case V_PENALTY_RATE:
		add_percent(b, f->terms.penalty_rate_per_day, lang);
		break;
	case V_PENALTY_CAP: add_percent(b, f->terms.penalty_cap, lang); break;
	case V_CONFIDENTIALITY:
		sb_add(b, t->confidentiality[f->terms.confidentiality]);
		break;
	case V_RESOURCES_TOTAL:
		add_money(b, r->resources_total, f->currency, lang);
		break;
	case V_DOC_DATE: add_date(b, r->req->date, long_form, lang); break;
	case V_DAYS_LATE: sb_addf(b, "%d", r->req->effect->days_late); break;
	case V_DAYS_LATE_UNIT:
		sb_add(b, plural(t, r->req->effect->days_late));
		break;
	case V_PENALTY:
		add_money(b, r->req->effect->penalty, f->currency, lang);
		break;
	case V_FINAL_AMOUNT:
		add_money(b, r->final_amount, f->currency, lang);
		break;
	case V_PAYMENTS: add_money(b, r->req->payments, f->currency, lang); break;
	case V_BALANCE_DUE: add_money(b, r->balance, f->currency, lang); break;
	case V_OVERPAYMENT: add_money(b, -r->balance, f->currency, lang); break;
	case V_REASON: sb_add(b, or_empty(r->req->reason)); break;
	case V_SIGNER_NAME: sb_add(b, or_empty(r->req->signer_name)); break;
	case V_PAGE: sb_addf(b, "%d", r->page); break;
	case V_PAGES: sb_addf(b, "%d", r->pages); break;
	case V_COUNT: break;
	}
}

static bool cond_true(const struct render *r, tpl_cond cond)
{
	const order_state *o = r->o;
	const order_fields *f = &o->fields;
	const op_effect *e = r->req->effect;

	if (cond >= C_CHANGED_TITLE && cond <= C_CHANGED_TERMS)
		return e != NULL &&
		       (e->changed & (1u << (cond - C_CHANGED_TITLE))) != 0;
	if (cond >= C_KIND_FINANCIAL && cond <= C_KIND_OTHER)
		return (int)o->kind == (int)(cond - C_KIND_FINANCIAL);
	switch (cond) {
	case C_PENALTY: return f->terms.has_penalty;
	case C_SECRET:
		return f->terms.has_confidentiality &&
		       f->terms.confidentiality == CONF_SECRET;
	case C_CONFIDENTIALITY: return f->terms.has_confidentiality;
	case C_RESTRICTED:
		return f->terms.has_confidentiality &&
		       f->terms.confidentiality != CONF_PUBLIC;
	case C_CLAUSES: return f->terms.clause_count > 0;
	case C_RESOURCES: return f->resource_count > 0;
	case C_DELIVERABLES: return f->deliverable_count > 0;
	case C_ACCEPTANCE: return has_text(f->acceptance);
	case C_START:
		return (f->present & FIELD_START) && f->start != DATE_NONE;
	case C_CLIENT_TAX_ID: return has_text(o->client.tax_id);
	case C_CLIENT_ADDRESS: return has_text(o->client.address);
	case C_CLIENT_EMAIL: return has_text(o->client.email);
	case C_LATE: return e != NULL && e->days_late > 0;
	case C_PENALTY_CHARGED: return e != NULL && e->penalty > 0;
	case C_PAYMENTS: return r->req->payments > 0;
	case C_BALANCE_DUE: return r->balance > 0;
	case C_OVERPAID: return r->balance < 0;
	case C_REASON: return has_text(r->req->reason);
	default: return false;
	}
}

/* Appends literal text; a full stop right after a value that ends a
 * sentence itself ("…руб." + ".") is dropped.  `before` is the character
 * before b's text (0: none). */
static void add_literal(struct sbuf *b, const char *text, char before)
{
	char last = b->length > 0 ? b->data[b->length - 1] : before;

	if (text[0] == '.' && (last == '.' || last == '!' || last == '?'))
		text++;
	sb_add(b, text);
}

/* A template text as one string (bold is ignored); locals for change
 * patterns (NULL elsewhere). */
static char *eval_plain(struct render *r, const tpl_text *t,
                        const char *const *locals)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < t->count; i++) {
		const tpl_segment *s = &t->segs[i];
		if (s->type == SEG_TEXT)
			add_literal(&b, s->text, 0);
		else if (s->type == SEG_VALUE)
			add_value(r, &b, (tpl_value)s->id, s->long_form);
		else if (locals != NULL)
			sb_add(&b, or_empty(locals[s->id]));
	}
	return sb_take(&b);
}

struct runs {
	layout_run *items;
	char **texts;
	size_t count;
};

static void runs_push(struct runs *rs, char *text, bool bold)
{
	rs->items = xrealloc(rs->items, (rs->count + 1) * sizeof *rs->items);
	rs->texts = xrealloc(rs->texts, (rs->count + 1) * sizeof *rs->texts);
	rs->texts[rs->count] = text;
	rs->items[rs->count].text = text;
	rs->items[rs->count].bold = bold;
	rs->count++;
}

static void runs_free(struct runs *rs)
{
	for (size_t i = 0; i < rs->count; i++)
		free(rs->texts[i]);
	free(rs->items);
	free(rs->texts);
	memset(rs, 0, sizeof *rs);
}

/* A template text as runs of regular and bold text, after `prefix`. */
static void eval_runs(struct render *r, const tpl_text *t,
                      const char *prefix, struct runs *rs)
{
	struct sbuf b = { 0 };
	bool bold = false;
	char carried = 0;          /* the last character of the last run */

	if (prefix != NULL)
		sb_add(&b, prefix);
	for (size_t i = 0; i < t->count; i++) {
		const tpl_segment *s = &t->segs[i];
		if (s->bold != bold && b.length > 0) {
			carried = b.data[b.length - 1];
			runs_push(rs, sb_take(&b), bold);
		}
		bold = s->bold;
		if (s->type == SEG_TEXT)
			add_literal(&b, s->text, carried);
		else if (s->type == SEG_VALUE)
			add_value(r, &b, (tpl_value)s->id, s->long_form);
	}
	if (b.length > 0)
		runs_push(rs, sb_take(&b), bold);
	free(b.data);
}

/* ---- blocks -------------------------------------------------------------- */

static void walk(struct render *r, const tpl_node *node);

static void paragraph(struct render *r, const struct runs *rs,
                      layout_style style, layout_align align,
                      const char *label, double indent, double hang)
{
	layout_para p = { .runs = rs->items, .run_count = rs->count,
	                  .style = style, .align = align, .label = label,
	                  .indent = indent, .hang = hang };
	layout_paragraph(r->l, &p);
}

static void single_paragraph(struct render *r, const char *text,
                             const char *prefix, layout_style style,
                             layout_align align, const char *label,
                             double indent, double hang)
{
	struct runs rs = { 0 };
	struct sbuf b = { 0 };

	if (prefix != NULL)
		sb_add(&b, prefix);
	sb_add(&b, text);
	runs_push(&rs, sb_take(&b), style == LAYOUT_HEADING);
	paragraph(r, &rs, style, align, label, indent, hang);
	runs_free(&rs);
}

/* "3.2. " for the next paragraph of the current section. */
static char *clause_number(struct render *r)
{
	return xasprintf("%d.%d. ", r->section, ++r->clause);
}

static void render_p(struct render *r, const tpl_node *node)
{
	struct runs rs = { 0 };
	char *number = r->in_section && node->flag ? clause_number(r) : NULL;

	eval_runs(r, &node->text, number, &rs);
	paragraph(r, &rs, LAYOUT_BODY, LAYOUT_JUSTIFY, NULL, 0, 0);
	runs_free(&rs);
	free(number);
}

static void render_list(struct render *r, const tpl_node *node)
{
	const order_fields *f = &r->o->fields;
	char *const *items = node->list_of == LIST_CLAUSES ? f->terms.clauses
	                                                   : f->deliverables;
	size_t count = node->list_of == LIST_CLAUSES ? f->terms.clause_count
	                                             : f->deliverable_count;

	for (size_t i = 0; i < count; i++) {
		char *label = NULL;

		switch (node->list_style) {
		case LIST_CLAUSE:
			label = clause_number(r);
			single_paragraph(r, items[i], label, LAYOUT_BODY,
			                 LAYOUT_JUSTIFY, NULL, 0, 0);
			break;
		case LIST_NUMBER:
			label = xasprintf("%zu)", i + 1);
			single_paragraph(r, items[i], NULL, LAYOUT_ITEM,
			                 LAYOUT_LEFT, label, 14, 24);
			break;
		case LIST_BULLET:
			single_paragraph(r, items[i], NULL, LAYOUT_ITEM,
			                 LAYOUT_LEFT, "\xE2\x80\x94", 14, 14);
			break;
		}
		free(label);
	}
	layout_space(r->l, 2);
}

/* Line totals and their sum; false (reported) on overflow. */
static bool resources_total(const order_state *o, int64_t *total)
{
	const order_fields *f = &o->fields;
	int64_t sum = 0, line;

	for (size_t i = 0; i < f->resource_count; i++)
		if (!money_muldiv_round(f->resources[i].unit_cost,
		                        f->resources[i].quantity, QUANTITY_SCALE,
		                        &line) ||
		    !money_add(sum, line, &sum)) {
			diag_error(NULL, 0, "order '%s': the resources' total "
			           "overflows", o->id);
			return false;
		}
	*total = sum;
	return true;
}

static layout_align column_align(tpl_res_col col)
{
	switch (col) {
	case RES_NO:
	case RES_QUANTITY:
	case RES_UNIT_COST:
	case RES_TOTAL:
		return LAYOUT_RIGHT;
	default:
		return LAYOUT_LEFT;
	}
}

static char *resource_cell(struct render *r, const resource *res,
                           size_t index, tpl_res_col col)
{
	struct sbuf b = { 0 };
	const char *code = r->o->fields.currency;
	int64_t line = 0;

	switch (col) {
	case RES_NO: sb_addf(&b, "%zu", index + 1); break;
	case RES_NAME: sb_add(&b, or_empty(res->name)); break;
	case RES_KIND:
		sb_add(&b, r->tpl->resource_kinds[res->kind <= COST_TECHNOLOGY ?
		                                  res->kind : 0]);
		break;
	case RES_QUANTITY: add_fixed(&b, res->quantity, 3, r->lang); break;
	case RES_UNIT: sb_add(&b, or_empty(res->unit)); break;
	case RES_UNIT_COST: add_number(&b, res->unit_cost, code, r->lang); break;
	case RES_TOTAL:
		money_muldiv_round(res->unit_cost, res->quantity, QUANTITY_SCALE,
		                   &line);     /* checked in resources_total */
		add_number(&b, line, code, r->lang);
		break;
	}
	return sb_take(&b);
}

static void render_resources(struct render *r, const tpl_node *node)
{
	const order_fields *f = &r->o->fields;
	size_t n = node->column_count, rows = f->resource_count;
	layout_column *columns = xcalloc(n, sizeof *columns);
	char **cells = xcalloc(rows * n + 1, sizeof *cells);
	char **total = NULL;
	size_t total_column = n;

	for (size_t c = 0; c < n; c++) {
		columns[c].heading = eval_plain(r, &node->column_heads[c], NULL);
		columns[c].align = column_align(node->columns[c]);
		if (node->columns[c] == RES_TOTAL)
			total_column = c;
	}
	for (size_t i = 0; i < rows; i++)
		for (size_t c = 0; c < n; c++)
			cells[i * n + c] = resource_cell(r, &f->resources[i], i,
			                                 node->columns[c]);
	if (total_column < n) {
		struct sbuf b = { 0 };
		total = xcalloc(n, sizeof *total);
		total[0] = total_column > 0 ? eval_plain(r, &node->text2, NULL)
		                            : NULL;
		add_number(&b, r->resources_total, f->currency, r->lang);
		total[total_column] = sb_take(&b);
		for (size_t c = total_column + 1; c < n; c++)
			total[c] = xstrdup("");
	}
	{
		layout_grid t = { .columns = columns, .column_count = n,
		                   .cells = (const char *const *)cells,
		                   .row_count = rows, .header = true,
		                   .borders = true,
		                   .total = (const char *const *)total };
		layout_table(r->l, &t);
	}
	for (size_t c = 0; c < n; c++)
		free((char *)columns[c].heading);
	for (size_t i = 0; i < rows * n; i++)
		free(cells[i]);
	for (size_t c = 0; total != NULL && c < n; c++)
		free(total[c]);
	free(total);
	free(cells);
	free(columns);
}

/* ---- the changes table of an amendment ----------------------------------- */

static void add_pattern(struct render *r, struct sbuf *b, const tpl_node *node,
                        tpl_change_value which, const char *const *locals)
{
	char *text = eval_plain(r, &node->change_values[which], locals);

	if (b->length > 0)
		sb_add(b, "\n");
	sb_add(b, text);
	free(text);
}

static char *money_text(int64_t minor, const char *code, language lang)
{
	struct sbuf b = { 0 };
	add_money(&b, minor, code, lang);
	return sb_take(&b);
}

static void describe_resources(struct render *r, struct sbuf *b,
                               const tpl_node *node, const order_fields *f)
{
	const char *locals[L_COUNT] = { 0 };
	int64_t sum = 0, line;
	char *text;

	for (size_t i = 0; i < f->resource_count; i++) {
		const resource *res = &f->resources[i];
		struct sbuf q = { 0 };
		char *unit_cost, *total;

		if (!money_muldiv_round(res->unit_cost, res->quantity,
		                        QUANTITY_SCALE, &line))
			line = 0;
		if (!money_add(sum, line, &sum))
			sum = 0;
		add_fixed(&q, res->quantity, 3, r->lang);
		unit_cost = money_text(res->unit_cost, f->currency, r->lang);
		total = money_text(line, f->currency, r->lang);
		locals[L_NAME] = res->name;
		locals[L_KIND] = r->tpl->resource_kinds[res->kind <=
		                 COST_TECHNOLOGY ? res->kind : 0];
		locals[L_QUANTITY] = q.data;
		locals[L_UNIT] = res->unit;
		locals[L_UNIT_COST] = unit_cost;
		locals[L_TOTAL] = total;
		add_pattern(r, b, node, CV_RESOURCE, locals);
		free(q.data);
		free(unit_cost);
		free(total);
	}
	memset(locals, 0, sizeof locals);
	text = money_text(sum, f->currency, r->lang);
	locals[L_AMOUNT] = text;
	add_pattern(r, b, node, CV_RESOURCES_TOTAL, locals);
	free(text);
}

static void describe_terms(struct render *r, struct sbuf *b,
                           const tpl_node *node, const order_terms *t)
{
	const char *locals[L_COUNT] = { 0 };
	struct sbuf rate = { 0 }, cap = { 0 };

	if (t->has_penalty) {
		add_percent(&rate, t->penalty_rate_per_day, r->lang);
		add_percent(&cap, t->penalty_cap, r->lang);
		locals[L_RATE] = rate.data;
		locals[L_CAP] = cap.data;
		add_pattern(r, b, node, CV_PENALTY, locals);
	} else {
		add_pattern(r, b, node, CV_NO_PENALTY, locals);
	}
	free(rate.data);
	free(cap.data);
	memset(locals, 0, sizeof locals);
	if (t->has_confidentiality) {
		locals[L_LEVEL] = r->tpl->confidentiality[t->confidentiality];
		add_pattern(r, b, node, CV_CONFIDENTIALITY, locals);
	}
	for (size_t i = 0; i < t->clause_count; i++) {
		char n[24];
		snprintf(n, sizeof n, "%zu", i + 1);
		locals[L_LEVEL] = NULL;
		locals[L_N] = n;
		locals[L_TEXT] = t->clauses[i];
		add_pattern(r, b, node, CV_CLAUSE, locals);
	}
}

/* The value of one field of an order's fields, as the changes table shows
 * it. */
static char *describe_field(struct render *r, const tpl_node *node,
                            const order_fields *f, unsigned bit)
{
	struct sbuf b = { 0 };
	const char *locals[L_COUNT] = { 0 };
	bool set = (f->present & bit) != 0;

	switch (bit) {
	case FIELD_TITLE: if (has_text(f->title)) sb_add(&b, f->title); break;
	case FIELD_DESCRIPTION:
		if (has_text(f->description))
			sb_add(&b, f->description);
		break;
	case FIELD_EXECUTOR:
		if (set && has_text(f->executor_name))
			sb_add(&b, f->executor_name);
		break;
	case FIELD_START:
		if (set && f->start != DATE_NONE)
			add_date(&b, f->start, false, r->lang);
		break;
	case FIELD_DUE:
		if (set && f->due != DATE_NONE)
			add_date(&b, f->due, false, r->lang);
		break;
	case FIELD_PRICE:
		if (set)
			add_money(&b, f->price, f->currency, r->lang);
		break;
	case FIELD_RESOURCES:
		if (f->resource_count > 0)
			describe_resources(r, &b, node, f);
		break;
	case FIELD_RESULT:
		for (size_t i = 0; i < f->deliverable_count; i++) {
			locals[L_TEXT] = f->deliverables[i];
			add_pattern(r, &b, node, CV_DELIVERABLE, locals);
		}
		if (has_text(f->acceptance)) {
			locals[L_TEXT] = f->acceptance;
			add_pattern(r, &b, node, CV_ACCEPTANCE, locals);
		}
		break;
	case FIELD_TERMS:
		describe_terms(r, &b, node, &f->terms);
		break;
	}
	if (b.length == 0)
		add_pattern(r, &b, node, CV_NONE, locals);
	return sb_take(&b);
}

static void render_changes(struct render *r, const tpl_node *node)
{
	const order_state *before = r->req->before;
	unsigned changed = r->req->effect->changed;
	layout_column columns[3] = {
		{ NULL, LAYOUT_LEFT, 0.22 }, { NULL, LAYOUT_LEFT, 0.39 },
		{ NULL, LAYOUT_LEFT, 0.39 }
	};
	char **cells = xcalloc(FIELD_COUNT * 3 + 1, sizeof *cells);
	size_t rows = 0;

	for (size_t c = 0; c < 3; c++)
		columns[c].heading = eval_plain(r, &node->change_heads[c], NULL);
	for (unsigned i = 0; i < FIELD_COUNT; i++) {
		unsigned bit = 1u << i;
		if (!(changed & bit))
			continue;
		cells[rows * 3] = eval_plain(r, &node->field_names[i], NULL);
		cells[rows * 3 + 1] = describe_field(r, node, &before->fields,
		                                     bit);
		cells[rows * 3 + 2] = describe_field(r, node, &r->o->fields, bit);
		rows++;
	}
	{
		layout_grid t = { .columns = columns, .column_count = 3,
		                   .cells = (const char *const *)cells,
		                   .row_count = rows, .header = true,
		                   .borders = true };
		layout_table(r->l, &t);
	}
	for (size_t c = 0; c < 3; c++)
		free((char *)columns[c].heading);
	for (size_t i = 0; i < rows * 3; i++)
		free(cells[i]);
	free(cells);
}

/* ---- facts, signatures --------------------------------------------------- */

struct fact_rows {
	char **cells;              /* label, value */
	bool *bold;
	size_t count;
};

static void collect_facts(struct render *r, const tpl_node *node,
                          struct fact_rows *rows)
{
	for (size_t i = 0; i < node->child_count; i++) {
		const tpl_node *c = &node->children[i];
		if (c->type == N_IF) {
			if (cond_true(r, c->cond) != c->negate)
				collect_facts(r, c, rows);
			continue;
		}
		rows->cells = xrealloc(rows->cells,
		                       (rows->count + 1) * 2 * sizeof *rows->cells);
		rows->bold = xrealloc(rows->bold,
		                      (rows->count + 1) * sizeof *rows->bold);
		rows->cells[rows->count * 2] = eval_plain(r, &c->text2, NULL);
		rows->cells[rows->count * 2 + 1] = eval_plain(r, &c->text, NULL);
		rows->bold[rows->count] = c->flag;
		rows->count++;
	}
}

static void render_facts(struct render *r, const tpl_node *node)
{
	struct fact_rows rows = { 0 };
	layout_column columns[2] = {
		{ NULL, LAYOUT_LEFT, 0.64 }, { NULL, LAYOUT_RIGHT, 0.36 }
	};

	collect_facts(r, node, &rows);
	if (rows.count > 0) {
		layout_grid t = { .columns = columns, .column_count = 2,
		                   .cells = (const char *const *)rows.cells,
		                   .row_count = rows.count, .bold_rows = rows.bold,
		                   .borders = true };
		layout_table(r->l, &t);
	}
	for (size_t i = 0; i < rows.count * 2; i++)
		free(rows.cells[i]);
	free(rows.cells);
	free(rows.bold);
}

struct party_lines {
	char **lines;
	size_t count;
};

static void collect_lines(struct render *r, const tpl_node *node,
                          struct party_lines *pl)
{
	for (size_t i = 0; i < node->child_count; i++) {
		const tpl_node *c = &node->children[i];
		if (c->type == N_IF) {
			if (cond_true(r, c->cond) != c->negate)
				collect_lines(r, c, pl);
			continue;
		}
		pl->lines = xrealloc(pl->lines, (pl->count + 1) * sizeof *pl->lines);
		pl->lines[pl->count++] = eval_plain(r, &c->text, NULL);
	}
}

static void render_signatures(struct render *r, const tpl_node *node)
{
	layout_party party[2];
	struct party_lines lines[2] = { { 0 }, { 0 } };

	for (size_t p = 0; p < 2 && p < node->child_count; p++) {
		const tpl_node *c = &node->children[p];
		collect_lines(r, c, &lines[p]);
		party[p].heading = eval_plain(r, &c->text, NULL);
		party[p].lines = (const char *const *)lines[p].lines;
		party[p].line_count = lines[p].count;
		party[p].sign = eval_plain(r, &c->text2, NULL);
		party[p].seal = c->text3.count > 0 ?
		                eval_plain(r, &c->text3, NULL) : NULL;
	}
	layout_signatures(r->l, &party[0], &party[1], &r->sig_page,
	                  r->sig_rect);
	r->signed_block = true;
	for (size_t p = 0; p < 2; p++) {
		for (size_t i = 0; i < lines[p].count; i++)
			free(lines[p].lines[i]);
		free(lines[p].lines);
		free((char *)party[p].heading);
		free((char *)party[p].sign);
		free((char *)party[p].seal);
	}
}

/* ---- the walk ------------------------------------------------------------ */

static void render_section(struct render *r, const tpl_node *node)
{
	char *heading = eval_plain(r, &node->text, NULL);
	char *number = xasprintf("%d. ", ++r->section);

	r->clause = 0;
	single_paragraph(r, heading, number, LAYOUT_HEADING,
	                 r->lang == LANG_RU ? LAYOUT_CENTER : LAYOUT_LEFT,
	                 NULL, 0, 0);
	r->in_section = true;
	walk(r, node);
	r->in_section = false;
	free(number);
	free(heading);
}

static void render_node(struct render *r, const tpl_node *node)
{
	struct runs rs = { 0 };
	char *left, *right;

	switch (node->type) {
	case N_TITLE:
	case N_SUBTITLE:
		eval_runs(r, &node->text, NULL, &rs);
		paragraph(r, &rs, node->type == N_TITLE ? LAYOUT_TITLE
		                                        : LAYOUT_SUBTITLE,
		          LAYOUT_CENTER, NULL, 0, 0);
		runs_free(&rs);
		break;
	case N_DATELINE:
		left = eval_plain(r, &node->text, NULL);
		right = eval_plain(r, &node->text2, NULL);
		layout_dateline(r->l, left, right);
		free(left);
		free(right);
		break;
	case N_SECTION: render_section(r, node); break;
	case N_P: render_p(r, node); break;
	case N_IF:
		if (cond_true(r, node->cond) != node->negate)
			walk(r, node);
		break;
	case N_LIST: render_list(r, node); break;
	case N_RESOURCES: render_resources(r, node); break;
	case N_CHANGES: render_changes(r, node); break;
	case N_FACTS: render_facts(r, node); break;
	case N_SIGNATURES: render_signatures(r, node); break;
	default: break;
	}
}

static void walk(struct render *r, const tpl_node *node)
{
	for (size_t i = 0; i < node->child_count; i++)
		render_node(r, &node->children[i]);
}

static void footer(void *ctx, int page, int pages, char **left,
                   char **right)
{
	struct render *r = ctx;

	r->page = page;
	r->pages = pages;
	*left = eval_plain(r, &r->tpl->footer_left, NULL);
	*right = eval_plain(r, &r->tpl->footer_right, NULL);
}

/* ---- checking the request ------------------------------------------------ */

static int check_request(const doc_template *tpl, const doc_request *req)
{
	const order_state *o = req->order;
	const order_fields *f;
	const char *missing = NULL;

	if (o == NULL)
		return diag_error(NULL, 0, "no order to render");
	f = &o->fields;
	if (req->kind != tpl->kind)
		return diag_error(tpl->path, 0, "this is an %s template, not an "
		                  "%s one", doc_kind_name(tpl->kind),
		                  doc_kind_name(req->kind));
	if (!(f->present & FIELD_PRICE) || currency_find(f->currency) == NULL)
		missing = "a price";
	else if (!(f->present & FIELD_DUE) || f->due == DATE_NONE)
		missing = "a due date";
	else if (!(f->present & FIELD_EXECUTOR) || !has_text(f->executor_name))
		missing = "an executor";
	else if (!has_text(f->title) || !has_text(f->description))
		missing = "a title and description";
	else if (!has_text(o->client.name))
		missing = "a client name";
	else if (!has_text(req->signer_name))
		missing = "a signer's name";
	else if (req->date == DATE_NONE)
		missing = "a document date";
	else if (req->kind == DOC_AMENDMENT &&
	         (req->before == NULL || req->effect == NULL))
		missing = "the state before the amendment";
	else if (req->kind == DOC_ACT && req->effect == NULL)
		missing = "the completion's effect";
	if (missing != NULL)
		return diag_error(NULL, 0, "order '%s': cannot draw the %s without "
		                  "%s", o->id, doc_kind_name(req->kind),
		                  missing);
	return 0;
}

/* ---- entry points -------------------------------------------------------- */

int doc_render_with(const doc_template *tpl, const doc_request *req,
                    unsigned char **pdf, size_t *length, int *sig_page,
                    double sig_rect[4])
{
	struct render r = { .tpl = tpl, .req = req, .o = req->order,
	                    .lang = tpl->lang, .sig_page = -1 };
	char *stamp = NULL;
	int status;

	if (check_request(tpl, req) != 0 ||
	    !resources_total(req->order, &r.resources_total))
		return -1;
	if (req->kind == DOC_ACT &&
	    (!money_add(req->order->fields.price, -req->effect->penalty,
	                &r.final_amount) ||
	     !money_add(r.final_amount, -req->payments, &r.balance)))
		return diag_error(NULL, 0, "order '%s': the act's amounts "
		                  "overflow", req->order->id);
	if (cond_true(&r, C_SECRET))
		stamp = eval_plain(&r, &tpl->stamp, NULL);
	r.l = layout_begin(stamp);
	free(stamp);
	if (r.l == NULL)
		return -1;
	walk(&r, &tpl->body);
	status = layout_finish(r.l, footer, &r, pdf, length);
	if (status == 0) {
		*sig_page = r.sig_page;
		memcpy(sig_rect, r.sig_rect, sizeof r.sig_rect);
	}
	return status;
}

int doc_render(const doc_templates *templates, const doc_request *req,
               unsigned char **pdf, size_t *length, int *sig_page,
               double sig_rect[4])
{
	language lang = req->order != NULL ? req->order->client.lang : LANG_EN;

	if ((unsigned)req->kind >= DOC_KIND_COUNT ||
	    (unsigned)lang >= LANG_COUNT)
		return diag_error(NULL, 0, "no template for this document");
	return doc_render_with(doc_templates_get(templates, req->kind, lang),
	                       req, pdf, length, sig_page, sig_rect);
}
