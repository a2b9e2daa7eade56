/* Collecting the reports' data from replay events; see report_data.h. */
#include "report_data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/money.h"
#include "util/record_cache.h"
#include "util/spill.h"
#include "util/strmap.h"
#include "util/text.h"
#include "util/xalloc.h"

/* ---- a part ------------------------------------------------------------- */

/* Appending to a scratch file through a buffer. */
typedef struct appender {
	int fd;
	uint64_t end;               /* file size once flushed */
	size_t used;
	unsigned char buf[1u << 16];
} appender;

typedef struct text_block {
	struct text_block *next;
	size_t used, size;
	char text[];
} text_block;

/* What one part collects (report_data.h): everything the events of its
 * orders change, so that two parts never share anything while they
 * collect. */
typedef struct report_part {
	unsigned index;
	date_t as_of;
	size_t ordinals;            /* order records, holes included */
	size_t order_count, change_count;
	uint64_t events, ignored;
	/* the first order total that overflowed, said once loaded */
	uint64_t overflow_seq;      /* 0: none */
	char overflow[160];
	trial_balance *balances;    /* exact */
	report_month_costs *month_costs;
	size_t month_cost_count, month_cost_capacity;
	strmap *parties;            /* "c:ID" / "e:ID" -> report_party */
	text_block *strings;        /* the parties' ids and names */
	/* the scratch files */
	int orders;                 /* report_order records by ordinal */
	appender changes;           /* report_change records */
	appender texts;
	record_cache *cache;        /* of the orders file */
	/* texts read back: a window of the file (they are mostly read in the
	 * order they were written) */
	char *window;
	uint64_t window_at;
	size_t window_length;
} report_part;

/* ---- strings ------------------------------------------------------------ */

#define TEXT_BLOCK (1u << 20)

/* A copy of text that lives as long as the part. */
static char *keep(report_part *part, const char *text)
{
	text_block *block = part->strings;
	size_t length = strlen(text) + 1;
	char *copy;

	if (block == NULL || block->size - block->used < length) {
		size_t size = length > TEXT_BLOCK ? length : TEXT_BLOCK;
		text_block *fresh = xmalloc(sizeof *fresh + size);
		fresh->next = block;
		fresh->used = 0;
		fresh->size = size;
		part->strings = block = fresh;
	}
	copy = block->text + block->used;
	memcpy(copy, text, length);
	block->used += length;
	return copy;
}

/* ---- scratch files ------------------------------------------------------ */

static void flush(appender *a)
{
	if (a->used > 0)
		spill_write(a->fd, a->buf, a->used, a->end);
	a->end += a->used;
	a->used = 0;
}

static void add(appender *a, const void *bytes, size_t length)
{
	if (a->used + length > sizeof a->buf)
		flush(a);
	if (length > sizeof a->buf) {
		spill_write(a->fd, bytes, length, a->end);
		a->end += length;
		return;
	}
	memcpy(a->buf + a->used, bytes, length);
	a->used += length;
}

/* Order records being changed: a direct-mapped write-back cache per part,
 * slot ordinal % slots, so it holds the orders received last.  An
 * order's operations follow it for a while: in the benchmark's books (a
 * realistic life per order, 1,000 new orders a batch) 49,152 slots for
 * all orders still miss 7% of the accesses and 65,536 under 1% (15 MB);
 * each of two parts sees half the orders and has half the slots. */
#define CACHE_SLOTS (1u << 16)

static uint64_t record_offset(size_t ordinal)
{
	return (uint64_t)ordinal * sizeof(report_order);
}

/* An order's place: its part and its ordinal there. */
static size_t place_of(const report_part *part, size_t ordinal)
{
	return ordinal * 2 + part->index;
}

/* The record of ordinal, cached (and to be written back): read from the
 * file, or all zeros (not counted) when fresh. */
static report_order *cached(report_part *part, size_t ordinal, bool fresh)
{
	/* past the records so far: nothing to read */
	return record_cache_change(part->cache, ordinal,
	                           fresh || ordinal >= part->ordinals);
}

/* A text kept in the scratch file. */
static report_text keep_text(report_part *part, const char *text)
{
	report_text t = { .at = part->texts.end + part->texts.used,
	                  .part = part->index };
	size_t length = strlen(text);

	if (length > UINT32_MAX)
		length = UINT32_MAX;
	t.length = (uint32_t)length;
	add(&part->texts, text, length);
	return t;
}

static report_text keep_text_owned(report_part *part, char *text)
{
	report_text t = keep_text(part, text);

	free(text);
	return t;
}

#define TEXT_WINDOW (1u << 18)

/* Whether text lies in the window, reading the window from text.at when it
 * does not (and the text is short enough to fit one). */
static bool in_window(report_part *part, report_text text)
{
	uint64_t end = part->texts.end;

	if (text.at >= part->window_at &&
	    text.at + text.length <= part->window_at + part->window_length)
		return true;
	if (text.length > TEXT_WINDOW || text.at + text.length > end)
		return false;
	if (part->window == NULL)
		part->window = xmalloc(TEXT_WINDOW);
	part->window_at = text.at;
	part->window_length = end - text.at < TEXT_WINDOW
	                      ? (size_t)(end - text.at) : TEXT_WINDOW;
	spill_read(part->texts.fd, part->window, part->window_length,
	           text.at);
	return true;
}

/* The texts are read once the collection is over: the window is a cache,
 * so a const report_data may fill it. */
const char *report_text_get(const report_data *data, report_text text,
                            char **buf, size_t *capacity)
{
	report_part *part = &data->parts[text.part];

	*buf = xgrow(*buf, capacity, (size_t)text.length + 1, 1);
	if (in_window(part, text))
		memcpy(*buf, part->window + (text.at - part->window_at),
		       text.length);
	else
		spill_read(part->texts.fd, *buf, text.length, text.at);
	(*buf)[text.length] = '\0';
	return *buf;
}

void report_data_order(const report_data *data, size_t place,
                       report_order *out)
{
	const report_part *part = &data->parts[place % 2];

	spill_read(part->orders, out, sizeof *out, record_offset(place / 2));
}

/* ---- cursors ------------------------------------------------------------ */

#define CURSOR_RECORDS 512

static void cursor_begin(report_cursor *c, const report_data *data,
                         bool orders)
{
	memset(c, 0, sizeof *c);
	c->data = data;
	c->orders = orders;
	c->size = orders ? sizeof(report_order) : sizeof(report_change);
	c->streams = data->part_count;
	for (unsigned i = 0; i < c->streams; i++) {
		const report_part *part = &data->parts[i];
		report_stream *s = &c->stream[i];

		s->fd = orders ? part->orders : part->changes.fd;
		s->total = orders ? part->ordinals : part->change_count;
		s->buf = xmalloc(c->size * CURSOR_RECORDS);
	}
}

/* The stream's next record (counted, for orders), without taking it. */
static const void *peek(const report_cursor *c, report_stream *s)
{
	for (; s->next < s->total; s->next++) {
		const void *at;

		if (s->next >= s->first + s->have || s->have == 0) {
			size_t n = s->total - s->next;
			if (n > CURSOR_RECORDS)
				n = CURSOR_RECORDS;
			spill_read(s->fd, s->buf, n * c->size,
			           (uint64_t)s->next * c->size);
			s->first = s->next;
			s->have = n;
		}
		at = s->buf + (s->next - s->first) * c->size;
		if (!c->orders || ((const report_order *)at)->counted)
			return at;
	}
	return NULL;
}

/* What comes first in ledger order. */
static uint64_t rank(const report_cursor *c, const void *item)
{
	return c->orders ? ((const report_order *)item)->order_number
	                 : ((const report_change *)item)->seq;
}

static const void *cursor_next(report_cursor *c)
{
	const void *best = NULL;
	report_stream *from = NULL;

	for (unsigned i = 0; i < c->streams; i++) {
		const void *at = peek(c, &c->stream[i]);

		if (at != NULL &&
		    (best == NULL || rank(c, at) < rank(c, best))) {
			best = at;
			from = &c->stream[i];
		}
	}
	if (from != NULL)
		from->next++;
	return best;
}

void report_orders_begin(report_cursor *c, const report_data *data)
{
	cursor_begin(c, data, true);
}

const report_order *report_orders_next(report_cursor *c)
{
	return cursor_next(c);
}

void report_changes_begin(report_cursor *c, const report_data *data)
{
	cursor_begin(c, data, false);
}

const report_change *report_changes_next(report_cursor *c)
{
	return cursor_next(c);
}

void report_cursor_end(report_cursor *c)
{
	for (unsigned i = 0; i < c->streams; i++) {
		free(c->stream[i].buf);
		c->stream[i].buf = NULL;
	}
}

/* ---- the collection ----------------------------------------------------- */

static report_month_costs *month_costs_of(report_part *part,
                                          int32_t month, const char *code);

static void free_party(const char *key, void *value, void *ctx)
{
	(void)key;
	(void)ctx;
	free(value);
}

static void part_free(report_part *part)
{
	text_block *block, *next;

	for (block = part->strings; block != NULL; block = next) {
		next = block->next;
		free(block);
	}
	if (part->parties != NULL) {
		strmap_each(part->parties, free_party, NULL);
		strmap_free(part->parties);
	}
	trial_balance_free(part->balances);
	free(part->month_costs);
	if (part->orders >= 0)
		close(part->orders);
	if (part->changes.fd >= 0)
		close(part->changes.fd);
	if (part->texts.fd >= 0)
		close(part->texts.fd);
	free(part->window);
	record_cache_free(part->cache);
}

static bool part_init(report_part *part, unsigned index, unsigned parts,
                      date_t as_of, const char *dir)
{
	part->index = index;
	part->as_of = as_of;
	part->orders = spill_open(dir);
	part->changes.fd = part->orders < 0 ? -1 : spill_open(dir);
	part->texts.fd = part->changes.fd < 0 ? -1 : spill_open(dir);
	if (part->texts.fd < 0)
		return false;
	part->balances = trial_balance_new_exact();
	part->parties = strmap_new();
	part->cache = record_cache_new(part->orders, sizeof(report_order),
	                               CACHE_SLOTS / parts);
	return true;
}

report_data *report_data_new(date_t as_of, const char *dir, unsigned parts)
{
	report_data *data;

	if (make_dirs(dir) != 0)
		return NULL;
	data = xcalloc(1, sizeof *data);
	data->as_of = as_of;
	data->part_count = parts;
	data->parts = xcalloc(parts, sizeof *data->parts);
	for (unsigned i = 0; i < parts; i++)
		data->parts[i].orders = data->parts[i].changes.fd =
		data->parts[i].texts.fd = -1;
	for (unsigned i = 0; i < parts; i++)
		if (!part_init(&data->parts[i], i, parts, as_of, dir)) {
			report_data_free(data);
			return NULL;
		}
	data->balances = data->parts[0].balances;
	return data;
}

void *report_data_part(report_data *data, unsigned i)
{
	return &data->parts[i];
}

/* One party known to both parts: both show the name given last. */
static void same_name(const char *key, void *value, void *ctx)
{
	report_party *p = value, *q = strmap_get(ctx, key);

	if (q == NULL)
		return;
	if (q->named_at > p->named_at)
		p->name = q->name;
	else
		q->name = p->name;
}

/* Adds part's balances and month costs to the first part's. */
static void merge_sums(report_part *first, report_part *part)
{
	trial_balance_merge(first->balances, part->balances);
	for (size_t i = 0; i < part->month_cost_count; i++) {
		const report_month_costs *m = &part->month_costs[i];
		month_costs_of(first, m->month, m->currency)->exact += m->exact;
	}
}

/* Whether every sum fits, once all are in: says the first that does not
 * (an order's total, by the earliest operation that overflowed it; else
 * a balance; else a month's costs).  Sets each month's costs from its
 * exact sum on the way. */
static bool sums_fit(report_data *data)
{
	report_part *first = &data->parts[0], *earliest = NULL;
	const balance_line *unfit;
	char month[11];

	for (unsigned i = 0; i < data->part_count; i++) {
		report_part *part = &data->parts[i];
		if (part->overflow_seq != 0 && (earliest == NULL ||
		    part->overflow_seq < earliest->overflow_seq))
			earliest = part;
	}
	if (earliest != NULL) {
		diag_error(NULL, 0, "report: %s", earliest->overflow);
		return false;
	}
	if ((unfit = trial_balance_unfit(first->balances)) != NULL) {
		diag_error(NULL, 0, "report: balance of %s in %s overflows",
		           unfit->account, unfit->currency);
		return false;
	}
	for (size_t i = 0; i < first->month_cost_count; i++) {
		report_month_costs *m = &first->month_costs[i];
		if (!money_sum_get(m->exact, &m->costs)) {
			date_format(report_month_start(m->month), month);
			month[7] = '\0';        /* YYYY-MM */
			diag_error(NULL, 0, "report: costs of %s in %s "
			           "overflow", month, m->currency);
			return false;
		}
	}
	return true;
}

void report_data_loaded(report_data *data)
{
	report_part *first = &data->parts[0];

	for (unsigned i = 0; i < data->part_count; i++) {
		report_part *part = &data->parts[i];

		if (part->cache != NULL) {
			record_cache_flush(part->cache);
			record_cache_free(part->cache);
			part->cache = NULL;
		}
		flush(&part->changes);
		flush(&part->texts);
		data->order_count += part->order_count;
		data->change_count += part->change_count;
		data->events += part->events;
		data->ignored += part->ignored;
		if (i > 0) {
			strmap_each(part->parties, same_name, first->parties);
			merge_sums(first, part);
		}
	}
	data->overflow = !sums_fit(data);
	data->month_costs = first->month_costs;
	data->month_cost_count = first->month_cost_count;
}

void report_data_free(report_data *data)
{
	if (data == NULL)
		return;
	for (unsigned i = 0; i < data->part_count; i++)
		part_free(&data->parts[i]);
	free(data->parts);
	free(data);
}

int32_t report_month_of(date_t date)
{
	int year, month, day;

	date_to_ymd(date, &year, &month, &day);
	return year * 12 + month - 1;
}

date_t report_month_start(int32_t month)
{
	return date_from_ymd(month / 12, month % 12 + 1, 1);
}

const char *report_field_label(unsigned field)
{
	return field_name(field);
}

/* ---- parties ------------------------------------------------------------ */

/* The party of kind 'c' (client) or 'e' (executor) with this id; its name
 * becomes name when one is given. */
static const report_party *party(report_part *part, char kind,
                                 const char *id, const char *name,
                                 uint64_t seq)
{
	char key[IDENT_MAX + 3];
	report_party *p;

	key[0] = kind;              /* "c:ID" */
	key[1] = ':';
	text_copy(key + 2, sizeof key - 2, id);
	p = strmap_get(part->parties, key);
	if (p == NULL) {
		p = xcalloc(1, sizeof *p);
		p->id = keep(part, id);
		p->name = keep(part, name != NULL ? name : id);
		strmap_put(part->parties, key, p);
	} else if (name != NULL && strcmp(p->name, name) != 0)
		p->name = keep(part, name);
	if (name != NULL)
		p->named_at = seq;
	return p;
}

static const report_party *executor_of(report_part *part,
                                       const order_fields *f, uint64_t seq)
{
	if (!(f->present & FIELD_EXECUTOR) || f->executor_id[0] == '\0')
		return NULL;
	return party(part, 'e', f->executor_id, f->executor_name, seq);
}

/* ---- orders ------------------------------------------------------------- */

/* The record of an order that counts, or NULL. */
static report_order *find_order(report_part *part, size_t ordinal)
{
	report_order *o;

	if (ordinal >= part->ordinals)
		return NULL;
	o = cached(part, ordinal, false);
	return o->counted ? o : NULL;
}

static void take_terms(report_order *o, const order_fields *f)
{
	o->has_penalty = (f->present & FIELD_TERMS) && f->terms.has_penalty;
	o->penalty_rate_per_day = o->has_penalty
	                          ? f->terms.penalty_rate_per_day : 0;
	o->penalty_cap = o->has_penalty ? f->terms.penalty_cap : 0;
}

static void take_price(report_order *o, const order_fields *f)
{
	o->has_price = (f->present & FIELD_PRICE) != 0;
	o->price = o->has_price ? f->price : 0;
	text_copy(o->currency, sizeof o->currency,
	          o->has_price ? f->currency : "");
}

static report_order *add_order(report_part *part, const replay_event *event)
{
	const order_state *s = event->after;
	size_t ordinal = event->effect->ordinal;
	report_order *o = cached(part, ordinal, true);

	if (ordinal >= part->ordinals)
		part->ordinals = ordinal + 1;
	part->order_count++;
	o->counted = true;
	o->order_number = event->order_number;
	o->place = place_of(part, ordinal);
	text_copy(o->id, sizeof o->id, s->id);
	o->client = party(part, 'c', s->client.id, s->client.name,
	                  event->seq);
	o->executor = executor_of(part, &s->fields, event->seq);
	o->title = keep_text(part, s->fields.title != NULL ? s->fields.title
	                                                   : "");
	o->kind = s->kind;
	o->priority = s->priority;
	o->stage = STAGE_IDENTIFICATION;
	o->received = s->received;
	o->start = (s->fields.present & FIELD_START) ? s->fields.start
	                                             : DATE_NONE;
	o->due = (s->fields.present & FIELD_DUE) ? s->fields.due : DATE_NONE;
	o->completed_on = o->closed_on = o->cancelled_on = DATE_NONE;
	o->done_due = DATE_NONE;
	o->last_change = s->received;
	o->progress = -1;
	take_price(o, &s->fields);
	take_terms(o, &s->fields);
	return o;
}

/* ---- amendments --------------------------------------------------------- */

static void append(char **buf, size_t *length, size_t *capacity,
                   const char *text)
{
	size_t n = strlen(text);

	*buf = xgrow(*buf, capacity, *length + n + 1, 1);
	memcpy(*buf + *length, text, n + 1);
	*length += n;
}

/* "1.5" for 1500 at scale 1000: no trailing zeros. */
static void format_scaled(int64_t value, int64_t scale, char out[static 48])
{
	uint64_t magnitude = value < 0 ? -(uint64_t)value : (uint64_t)value;
	uint64_t whole = magnitude / (uint64_t)scale;
	uint64_t frac = magnitude % (uint64_t)scale;
	size_t n = (size_t)snprintf(out, 48, "%s%llu", value < 0 ? "-" : "",
	                            (unsigned long long)whole);

	if (frac == 0)
		return;
	out[n++] = '.';
	for (uint64_t unit = (uint64_t)scale / 10; unit > 0 && frac > 0;
	     unit /= 10) {
		out[n++] = (char)('0' + frac / unit);
		frac %= unit;
	}
	out[n] = '\0';
}

static char *describe_resources(const order_fields *f)
{
	const currency *cur = currency_find(f->currency);
	char *buf = NULL, qty[48], cost[32];
	size_t length = 0, capacity = 0;

	append(&buf, &length, &capacity, "");
	for (size_t i = 0; i < f->resource_count; i++) {
		const resource *r = &f->resources[i];
		char *line;

		format_scaled(r->quantity, QUANTITY_SCALE, qty);
		money_format(r->unit_cost, cur != NULL ? cur->minor_digits : 2,
		             cost);
		line = xasprintf("%s%s (%s): %s %s x %s%s%s", i ? "; " : "",
		                 r->name, cost_kind_name(r->kind), qty, r->unit,
		                 cost, f->currency[0] ? " " : "", f->currency);
		append(&buf, &length, &capacity, line);
		free(line);
	}
	return buf;
}

static char *describe_result(const order_fields *f)
{
	char *buf = NULL;
	size_t length = 0, capacity = 0;

	append(&buf, &length, &capacity, "");
	for (size_t i = 0; i < f->deliverable_count; i++) {
		if (i > 0)
			append(&buf, &length, &capacity, "; ");
		append(&buf, &length, &capacity, f->deliverables[i]);
	}
	if (f->acceptance != NULL) {
		append(&buf, &length, &capacity, length ? ". Acceptance: "
		       : "Acceptance: ");
		append(&buf, &length, &capacity, f->acceptance);
	}
	return buf;
}

static char *describe_terms(const order_terms *t)
{
	char rate[48], cap[48];
	char *penalty, *text;

	if (t->has_penalty) {
		format_scaled(t->penalty_rate_per_day, PERCENT_SCALE, rate);
		format_scaled(t->penalty_cap, PERCENT_SCALE, cap);
		penalty = xasprintf("penalty %s%% a day, cap %s%%", rate, cap);
	} else
		penalty = xstrdup("no penalty");
	text = xasprintf("%s; %s; %zu clause%s", penalty,
	                 t->has_confidentiality
	                 ? confidentiality_name(t->confidentiality)
	                 : "confidentiality not set",
	                 t->clause_count, t->clause_count == 1 ? "" : "s");
	free(penalty);
	return text;
}

static report_value text_value(report_part *part, const char *text)
{
	report_value v = { .type = text != NULL ? VALUE_TEXT : VALUE_NONE };

	if (text != NULL)
		v.text = keep_text(part, text);
	return v;
}

static report_value owned_text(report_part *part, char *text)
{
	return (report_value){ .type = VALUE_TEXT,
	                       .text = keep_text_owned(part, text) };
}

/* The value of field bit in f, typed. */
static report_value field_value(report_part *part, unsigned bit,
                                const order_fields *f)
{
	report_value v = { .type = VALUE_NONE };

	if (!(f->present & bit))
		return v;
	switch (bit) {
	case FIELD_TITLE:
		return text_value(part, f->title);
	case FIELD_DESCRIPTION:
		return text_value(part, f->description);
	case FIELD_EXECUTOR:
		return owned_text(part, xasprintf("%s (%s)",
		        f->executor_name != NULL ? f->executor_name : "",
		        f->executor_id));
	case FIELD_START:
	case FIELD_DUE:
		v.date = bit == FIELD_START ? f->start : f->due;
		v.type = v.date == DATE_NONE ? VALUE_NONE : VALUE_DATE;
		return v;
	case FIELD_PRICE:
		v.type = VALUE_MONEY;
		v.amount = f->price;
		memcpy(v.currency, f->currency, 4);
		return v;
	case FIELD_RESOURCES:
		return owned_text(part, describe_resources(f));
	case FIELD_RESULT:
		return owned_text(part, describe_result(f));
	case FIELD_TERMS:
		return owned_text(part, describe_terms(&f->terms));
	}
	return v;
}

static void log_change(report_part *part, const replay_event *event,
                       unsigned bit)
{
	report_change c;

	memset(&c, 0, sizeof c);    /* no undefined padding in the file */
	c.seq = event->seq;
	c.order = place_of(part, event->effect->ordinal);
	c.effective = event->op->on;
	c.version = event->effect->version;
	c.reason = keep_text(part, event->op->reason != NULL
	                           ? event->op->reason : "");
	c.field = bit;
	c.old_value = field_value(part, bit, &event->before->fields);
	c.new_value = field_value(part, bit, &event->after->fields);
	add(&part->changes, &c, sizeof c);
	part->change_count++;
}

/* Applies the fields an amendment changed to o, and logs each. */
static void apply_amend(report_part *part, report_order *o,
                        const replay_event *event)
{
	const order_fields *f = &event->after->fields;
	unsigned changed = event->effect->changed;

	for (unsigned bit = 1; bit & FIELD_ALL; bit <<= 1) {
		if (!(changed & bit))
			continue;
		log_change(part, event, bit);
		switch (bit) {
		case FIELD_TITLE:
			o->title = keep_text(part, f->title != NULL ? f->title
			                                            : "");
			break;
		case FIELD_EXECUTOR:
			o->executor = executor_of(part, f, event->seq);
			break;
		case FIELD_START:
			o->start = (f->present & FIELD_START) ? f->start
			                                      : DATE_NONE;
			break;
		case FIELD_DUE:
			o->due = (f->present & FIELD_DUE) ? f->due : DATE_NONE;
			break;
		case FIELD_PRICE:
			take_price(o, f);
			break;
		case FIELD_TERMS:
			take_terms(o, f);
			break;
		default:
			break;
		}
	}
	o->amendments++;
}

/* ---- money -------------------------------------------------------------- */

/* Adds amount to an order's total (of its operation seq); an overflow
 * is kept to be said once the replay is over (sums_fit): the earliest
 * one, whichever part finds it. */
static void add_checked(report_part *part, int64_t *total, int64_t amount,
                        const char *what, const char *id, uint64_t seq)
{
	if (money_add(*total, amount, total))
		return;
	if (part->overflow_seq == 0) {
		part->overflow_seq = seq;
		snprintf(part->overflow, sizeof part->overflow,
		         "%s of order '%s' overflow", what, id);
	}
}

/* The costs of month in currency code, made when new. */
static report_month_costs *month_costs_of(report_part *part,
                                          int32_t month, const char *code)
{
	report_month_costs *m;

	for (size_t i = part->month_cost_count; i-- > 0;) {
		m = &part->month_costs[i];
		if (m->month == month && strcmp(m->currency, code) == 0)
			return m;
	}
	part->month_costs = xgrow(part->month_costs,
	                          &part->month_cost_capacity,
	                          part->month_cost_count + 1,
	                          sizeof *part->month_costs);
	m = &part->month_costs[part->month_cost_count++];
	memset(m, 0, sizeof *m);
	m->month = month;
	text_copy(m->currency, sizeof m->currency, code);
	return m;
}

/* ---- events ------------------------------------------------------------- */

/* A completion changes no field: those in force at completion are the
 * ones after it. */
static void apply_complete(report_part *part, report_order *o,
                           const replay_event *event)
{
	const order_fields *f = &event->after->fields;

	o->stage = STAGE_EVALUATION;
	o->completed_on = event->op->on;
	o->done_executor = executor_of(part, f, event->seq);
	o->done_due = (f->present & FIELD_DUE) ? f->due : DATE_NONE;
	o->done_price = f->price;
	o->days_late = event->effect->days_late;
	o->penalty = event->effect->penalty;
}

/* Applies one counted operation (other than <order>) to o. */
static void apply_op(report_part *part, report_order *o,
                     const replay_event *event)
{
	const operation *op = event->op;

	switch (op->kind) {
	case OP_AMEND:
		apply_amend(part, o, event);
		break;
	case OP_ADVANCE:
		if (op->stage > o->stage)
			o->stage = op->stage;
		break;
	case OP_PROGRESS:
		if (op->percent > o->progress)
			o->progress = op->percent;
		break;
	case OP_COST:
		add_checked(part, &o->costs, op->amount, "costs", o->id,
		            event->seq);
		month_costs_of(part, report_month_of(op->on),
		               op->currency)->exact += op->amount;
		break;
	case OP_PAYMENT:
		add_checked(part, &o->payments, op->amount, "payments", o->id,
		            event->seq);
		break;
	case OP_COMPLETE:
		apply_complete(part, o, event);
		break;
	case OP_EVALUATE:
		o->stage = STAGE_CLOSED;
		o->score = op->score;
		o->closed_on = op->on;
		break;
	case OP_CANCEL:
		o->stage = STAGE_CANCELLED;
		o->cancelled_on = op->on;
		break;
	default:
		break;
	}
}

/* Whether the operation counts as of the report's date. */
static bool counts(const report_part *part, const report_order *o,
                   const operation *op)
{
	if (op->on != DATE_NONE && op->on > part->as_of)
		return false;
	if (op->kind == OP_ORDER)
		return true;
	if (o == NULL)
		return false;           /* its order does not count yet */
	/* An evaluation of a completion that does not count yet. */
	if (op->kind == OP_EVALUATE && o->completed_on == DATE_NONE)
		return false;
	return true;
}

bool report_data_wants_states(void *ctx, const operation *op)
{
	(void)ctx;
	return op->kind == OP_AMEND;
}

void report_data_event(void *ctx, const replay_event *event)
{
	report_part *part = ctx;
	const operation *op = event->op;
	report_order *o = op->kind == OP_ORDER ? NULL
	                  : find_order(part, event->effect->ordinal);

	part->events++;
	if (!counts(part, o, op)) {
		part->ignored++;
		return;
	}
	if (op->kind == OP_ORDER)
		o = add_order(part, event);
	else
		apply_op(part, o, event);
	if (op->on != DATE_NONE && op->on > o->last_change)
		o->last_change = op->on;
	for (int i = 0; i < event->effect->posting_count; i++)
		trial_balance_add(part->balances, &event->effect->postings[i]);
}
