/* Collecting the reports' data from replay events; see report_data.h. */
#include "report_data.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"
#include "util/money.h"
#include "util/strmap.h"
#include "util/xalloc.h"

/* ---- strings ------------------------------------------------------------ */

#define TEXT_BLOCK (1u << 20)

typedef struct text_block {
	struct text_block *next;
	size_t used, size;
	char text[];
} text_block;

/* A copy of text that lives as long as data. */
static char *keep(report_data *data, const char *text)
{
	text_block *block = data->texts;
	size_t length = strlen(text) + 1;
	char *copy;

	if (block == NULL || block->size - block->used < length) {
		size_t size = length > TEXT_BLOCK ? length : TEXT_BLOCK;
		text_block *fresh = xmalloc(sizeof *fresh + size);
		fresh->next = block;
		fresh->used = 0;
		fresh->size = size;
		data->texts = block = fresh;
	}
	copy = block->text + block->used;
	memcpy(copy, text, length);
	block->used += length;
	return copy;
}

/* keep() for a string the caller allocated: frees it. */
static char *keep_owned(report_data *data, char *text)
{
	char *copy = keep(data, text);

	free(text);
	return copy;
}

/* ---- the collection ----------------------------------------------------- */

report_data *report_data_new(date_t as_of)
{
	report_data *data = xcalloc(1, sizeof *data);

	data->as_of = as_of;
	data->balances = trial_balance_new();
	data->index = strmap_new();
	data->parties = strmap_new();
	return data;
}

void report_data_loaded(report_data *data)
{
	strmap_free(data->index);
	data->index = NULL;
}

static void free_party(const char *key, void *value, void *ctx)
{
	(void)key;
	(void)ctx;
	free(value);
}

void report_data_free(report_data *data)
{
	text_block *block, *next;

	if (data == NULL)
		return;
	for (block = data->texts; block != NULL; block = next) {
		next = block->next;
		free(block);
	}
	strmap_each(data->parties, free_party, NULL);
	strmap_free(data->parties);
	if (data->index != NULL)
		strmap_free(data->index);
	trial_balance_free(data->balances);
	free(data->orders);
	free(data->changes);
	free(data->month_costs);
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
static const report_party *party(report_data *data, char kind,
                                 const char *id, const char *name)
{
	char key[IDENT_MAX + 3];
	report_party *p;

	snprintf(key, sizeof key, "%c:%s", kind, id);
	p = strmap_get(data->parties, key);
	if (p == NULL) {
		p = xcalloc(1, sizeof *p);
		p->id = keep(data, id);
		p->name = keep(data, name != NULL ? name : id);
		strmap_put(data->parties, key, p);
	} else if (name != NULL && strcmp(p->name, name) != 0)
		p->name = keep(data, name);
	return p;
}

static const report_party *executor_of(report_data *data,
                                       const order_fields *f)
{
	if (!(f->present & FIELD_EXECUTOR) || f->executor_id[0] == '\0')
		return NULL;
	return party(data, 'e', f->executor_id, f->executor_name);
}

/* ---- orders ------------------------------------------------------------- */

static report_order *find_order(report_data *data, const char *id)
{
	uintptr_t position = (uintptr_t)strmap_get(data->index, id);

	return position == 0 ? NULL : &data->orders[position - 1];
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
	snprintf(o->currency, sizeof o->currency, "%s",
	         o->has_price ? f->currency : "");
}

static void add_order(report_data *data, const replay_event *event)
{
	const order_state *s = event->after;
	report_order *o;

	data->orders = xgrow(data->orders, &data->order_capacity,
	                     data->order_count + 1, sizeof *data->orders);
	o = &data->orders[data->order_count++];
	memset(o, 0, sizeof *o);
	o->id = keep(data, s->id);
	o->client = party(data, 'c', s->client.id, s->client.name);
	o->executor = executor_of(data, &s->fields);
	o->title = keep(data, s->fields.title != NULL ? s->fields.title : "");
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
	strmap_put(data->index, o->id, (void *)(uintptr_t)data->order_count);
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

static report_value text_value(report_data *data, const char *text)
{
	report_value v = { .type = text != NULL ? VALUE_TEXT : VALUE_NONE };

	v.text = text != NULL ? keep(data, text) : NULL;
	return v;
}

static report_value owned_text(report_data *data, char *text)
{
	return (report_value){ .type = VALUE_TEXT,
	                       .text = keep_owned(data, text) };
}

/* The value of field bit in f, typed. */
static report_value field_value(report_data *data, unsigned bit,
                                const order_fields *f)
{
	report_value v = { .type = VALUE_NONE };

	if (!(f->present & bit))
		return v;
	switch (bit) {
	case FIELD_TITLE:
		return text_value(data, f->title);
	case FIELD_DESCRIPTION:
		return text_value(data, f->description);
	case FIELD_EXECUTOR:
		return owned_text(data, xasprintf("%s (%s)",
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
		return owned_text(data, describe_resources(f));
	case FIELD_RESULT:
		return owned_text(data, describe_result(f));
	case FIELD_TERMS:
		return owned_text(data, describe_terms(&f->terms));
	}
	return v;
}

static void log_change(report_data *data, const report_order *o,
                       const replay_event *event, unsigned bit)
{
	report_change *c;

	data->changes = xgrow(data->changes, &data->change_capacity,
	                      data->change_count + 1, sizeof *data->changes);
	c = &data->changes[data->change_count++];
	c->order = (size_t)(o - data->orders);
	c->effective = event->op->on;
	c->version = event->effect->version;
	c->reason = keep(data, event->op->reason != NULL ? event->op->reason
	                                                 : "");
	c->field = bit;
	c->old_value = field_value(data, bit, &event->before->fields);
	c->new_value = field_value(data, bit, &event->after->fields);
}

/* Applies the fields an amendment changed to o, and logs each. */
static void apply_amend(report_data *data, report_order *o,
                        const replay_event *event)
{
	const order_fields *f = &event->after->fields;
	unsigned changed = event->effect->changed;

	for (unsigned bit = 1; bit & FIELD_ALL; bit <<= 1) {
		if (!(changed & bit))
			continue;
		log_change(data, o, event, bit);
		switch (bit) {
		case FIELD_TITLE:
			o->title = keep(data, f->title != NULL ? f->title : "");
			break;
		case FIELD_EXECUTOR:
			o->executor = executor_of(data, f);
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

static void add_checked(report_data *data, int64_t *total, int64_t amount,
                        const char *what, const char *id)
{
	if (money_add(*total, amount, total))
		return;
	if (!data->overflow)
		diag_error(NULL, 0, "report: %s of order '%s' overflow", what,
		           id);
	data->overflow = true;
}

static void add_month_cost(report_data *data, date_t on, const char *code,
                           int64_t amount, const char *id)
{
	int32_t month = report_month_of(on);
	report_month_costs *m = NULL;

	for (size_t i = data->month_cost_count; i-- > 0;) {
		if (data->month_costs[i].month == month &&
		    strcmp(data->month_costs[i].currency, code) == 0) {
			m = &data->month_costs[i];
			break;
		}
	}
	if (m == NULL) {
		data->month_costs = xgrow(data->month_costs,
		                          &data->month_cost_capacity,
		                          data->month_cost_count + 1,
		                          sizeof *data->month_costs);
		m = &data->month_costs[data->month_cost_count++];
		memset(m, 0, sizeof *m);
		m->month = month;
		memcpy(m->currency, code, 4);
	}
	add_checked(data, &m->costs, amount, "monthly costs", id);
}

/* ---- events ------------------------------------------------------------- */

static void apply_complete(report_data *data, report_order *o,
                           const replay_event *event)
{
	const order_state *before = event->before;

	o->stage = STAGE_EVALUATION;
	o->completed_on = event->op->on;
	o->done_executor = executor_of(data, &before->fields);
	o->done_due = (before->fields.present & FIELD_DUE) ? before->fields.due
	                                                   : DATE_NONE;
	o->done_price = before->fields.price;
	o->days_late = event->effect->days_late;
	o->penalty = event->effect->penalty;
}

/* Applies one counted operation (other than <order>) to o. */
static void apply_op(report_data *data, report_order *o,
                     const replay_event *event)
{
	const operation *op = event->op;

	switch (op->kind) {
	case OP_AMEND:
		apply_amend(data, o, event);
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
		add_checked(data, &o->costs, op->amount, "costs", o->id);
		add_month_cost(data, op->on, op->currency, op->amount, o->id);
		break;
	case OP_PAYMENT:
		add_checked(data, &o->payments, op->amount, "payments", o->id);
		break;
	case OP_COMPLETE:
		apply_complete(data, o, event);
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
static bool counts(const report_data *data, const report_order *o,
                   const operation *op)
{
	if (op->on != DATE_NONE && op->on > data->as_of)
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

void report_data_event(void *ctx, const replay_event *event)
{
	report_data *data = ctx;
	const operation *op = event->op;
	report_order *o = op->kind == OP_ORDER ? NULL
	                  : find_order(data, op->order_id);

	data->events++;
	if (!counts(data, o, op)) {
		data->ignored++;
		return;
	}
	if (op->kind == OP_ORDER) {
		add_order(data, event);
		o = &data->orders[data->order_count - 1];
	} else
		apply_op(data, o, event);
	if (op->on != DATE_NONE && op->on > o->last_change)
		o->last_change = op->on;
	for (int i = 0; i < event->effect->posting_count; i++)
		if (!trial_balance_add(data->balances,
		                       &event->effect->postings[i]) &&
		    !data->overflow) {
			diag_error(NULL, 0, "report: balance of %s overflows",
			           event->effect->postings[i].account);
			data->overflow = true;
		}
}
