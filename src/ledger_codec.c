/* Operations ⇄ ledger records; see ledger_codec.h. */
#include "ledger_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/money.h"
#include "util/text.h"
#include "util/xalloc.h"

/* ---- encoding ------------------------------------------------------------ */

static void add_date(record_builder *rb, const char *key, date_t date)
{
	char text[11];
	date_format(date, text);
	record_add_str(rb, key, text);
}

static void add_optional(record_builder *rb, const char *key,
                         const char *value)
{
	if (value != NULL)
		record_add_str(rb, key, value);
}

/* "title,due,price": the names of the FIELD_* bits set in mask. */
static void field_list(unsigned mask, char out[static 128])
{
	out[0] = '\0';
	for (unsigned bit = 1; bit & FIELD_ALL; bit <<= 1) {
		if (!(mask & bit))
			continue;
		if (out[0] != '\0')
			strcat(out, ",");
		strcat(out, field_name(bit));
	}
}

static void encode_fields(record_builder *rb, const order_fields *f)
{
	char list[128];

	field_list(f->present, list);
	record_add_str(rb, "set", list);
	if (f->present & FIELD_TITLE)
		record_add_str(rb, "title", f->title);
	if (f->present & FIELD_DESCRIPTION)
		record_add_str(rb, "description", f->description);
	if (f->present & FIELD_EXECUTOR) {
		record_add_str(rb, "executor", f->executor_id);
		record_add_str(rb, "executor_name", f->executor_name);
	}
	if (f->present & FIELD_START)
		add_date(rb, "start", f->start);
	if (f->present & FIELD_DUE)
		add_date(rb, "due", f->due);
	if (f->present & FIELD_PRICE) {
		record_add_int(rb, "price", f->price);
		record_add_str(rb, "price_cur", f->currency);
	}
	for (size_t i = 0; i < f->resource_count; i++) {
		const resource *r = &f->resources[i];
		record_add_str(rb, "res_kind", cost_kind_name(r->kind));
		record_add_str(rb, "res_name", r->name);
		record_add_str(rb, "res_unit", r->unit);
		record_add_int(rb, "res_qty", r->quantity);
		record_add_int(rb, "res_cost", r->unit_cost);
	}
	for (size_t i = 0; i < f->deliverable_count; i++)
		record_add_str(rb, "deliverable", f->deliverables[i]);
	add_optional(rb, "acceptance", f->acceptance);
	if (f->terms.has_penalty) {
		record_add_int(rb, "penalty_rate", f->terms.penalty_rate_per_day);
		record_add_int(rb, "penalty_cap", f->terms.penalty_cap);
	}
	if (f->terms.has_confidentiality)
		record_add_str(rb, "conf",
		               confidentiality_name(f->terms.confidentiality));
	for (size_t i = 0; i < f->terms.clause_count; i++)
		record_add_str(rb, "clause", f->terms.clauses[i]);
}

static void encode_order(record_builder *rb, const operation *op)
{
	record_add_str(rb, "priority", priority_name(op->priority));
	record_add_str(rb, "kind", order_kind_name(op->order_kind));
	record_add_str(rb, "client", op->client.id);
	record_add_str(rb, "lang", language_name(op->client.lang));
	record_add_str(rb, "client_name", op->client.name);
	add_optional(rb, "tax_id", op->client.tax_id);
	add_optional(rb, "email", op->client.email);
	add_optional(rb, "address", op->client.address);
	encode_fields(rb, &op->fields);
}

void codec_encode_op(record_builder *rb, const operation *op,
                     const op_effect *effect)
{
	char list[128];

	record_begin(rb, op_kind_name(op->kind));
	record_add_str(rb, "order", op->order_id);
	add_date(rb, "on", op->on);
	record_add_int(rb, "version", effect->version);
	switch (op->kind) {
	case OP_ORDER:
		encode_order(rb, op);
		break;
	case OP_AMEND:
		record_add_str(rb, "reason", op->reason);
		field_list(effect->changed, list);
		record_add_str(rb, "changed", list);
		encode_fields(rb, &op->fields);
		break;
	case OP_ADVANCE:
		record_add_str(rb, "stage", stage_name(op->stage));
		break;
	case OP_PROGRESS:
		record_add_int(rb, "percent", op->percent);
		add_optional(rb, "note", op->text);
		break;
	case OP_COST:
		record_add_str(rb, "cost_kind", cost_kind_name(op->cost_kind));
		record_add_int(rb, "amount", op->amount);
		record_add_str(rb, "cur", op->currency);
		add_optional(rb, "note", op->text);
		break;
	case OP_PAYMENT:
		record_add_int(rb, "amount", op->amount);
		record_add_str(rb, "cur", op->currency);
		record_add_str(rb, "reference", op->reference);
		break;
	case OP_COMPLETE:
		record_add_int(rb, "days_late", effect->days_late);
		record_add_int(rb, "penalty", effect->penalty);
		add_optional(rb, "note", op->text);
		break;
	case OP_EVALUATE:
		record_add_int(rb, "score", op->score);
		add_optional(rb, "note", op->text);
		break;
	case OP_CANCEL:
		record_add_str(rb, "reason", op->reason);
		break;
	default:
		break;
	}
}

void codec_encode_posting(record_builder *rb, const char *order_id,
                          const posting *p)
{
	record_begin(rb, "post");
	record_add_str(rb, "order", order_id);
	record_add_str(rb, "account", p->account);
	record_add_int(rb, "amount", p->amount);
	record_add_str(rb, "cur", p->currency);
}

/* ---- decoding ------------------------------------------------------------ */

bool codec_is_op(const char *type)
{
	return op_kind_from_name(type) >= 0;
}

struct dec {
	const record *rec;
	char *why;
	bool failed;
};

static const char *need(struct dec *d, const char *key)
{
	const char *value = record_get(d->rec, key);
	if (value == NULL && !d->failed) {
		snprintf(d->why, 128, "%s record without %s=", d->rec->type, key);
		d->failed = true;
	}
	return value != NULL ? value : "";
}

static char *dup_optional(const record *rec, const char *key)
{
	const char *value = record_get(rec, key);
	return value != NULL ? xstrdup(value) : NULL;
}

static void bad(struct dec *d, const char *key, const char *value)
{
	if (!d->failed)
		snprintf(d->why, 128, "bad %s='%.60s'", key, value);
	d->failed = true;
}

static int64_t need_int(struct dec *d, const char *key)
{
	int64_t value = 0;
	if (!record_get_int(d->rec, key, &value))
		bad(d, key, need(d, key));
	return value;
}

static date_t need_date(struct dec *d, const char *key)
{
	const char *text = need(d, key);
	date_t date = DATE_NONE;
	if (!d->failed && !date_parse(text, &date))
		bad(d, key, text);
	return date;
}

static void need_ident(struct dec *d, const char *key, char out[IDENT_MAX + 1])
{
	const char *text = need(d, key);
	if (!d->failed && !ident_valid(text))
		bad(d, key, text);
	text_copy(out, IDENT_MAX + 1, text);
}

static int need_enum(struct dec *d, const char *key,
                     int (*from_name)(const char *))
{
	const char *text = need(d, key);
	int value = from_name(text);
	if (value < 0) {
		bad(d, key, text);
		value = 0;
	}
	return value;
}

static void need_currency(struct dec *d, const char *key, char out[4])
{
	const char *text = need(d, key);
	const currency *cur = currency_find(text);
	if (cur == NULL) {
		bad(d, key, text);
		out[0] = '\0';
		return;
	}
	memcpy(out, cur->code, 4);
}

static unsigned parse_field_list(struct dec *d, const char *key)
{
	const char *text = need(d, key);
	unsigned mask = 0;

	while (*text != '\0') {
		size_t length = strcspn(text, ",");
		unsigned bit;
		for (bit = 1; bit & FIELD_ALL; bit <<= 1)
			if (strncmp(field_name(bit), text, length) == 0 &&
			    field_name(bit)[length] == '\0')
				break;
		if (!(bit & FIELD_ALL)) {
			bad(d, key, text);
			return 0;
		}
		mask |= bit;
		text += length + (text[length] == ',');
	}
	return mask;
}

static char **collect(const record *rec, const char *key, size_t *count)
{
	size_t index = 0, capacity = 0;
	const char *value;
	char **list = NULL;

	*count = 0;
	while ((value = record_next(rec, key, &index)) != NULL) {
		list = xgrow(list, &capacity, *count + 1, sizeof *list);
		list[(*count)++] = xstrdup(value);
	}
	return list;
}

static void decode_resources(struct dec *d, order_fields *f)
{
	size_t i_kind = 0, i_name = 0, i_unit = 0, i_qty = 0, i_cost = 0;
	size_t capacity = 0;
	const char *kind;

	while ((kind = record_next(d->rec, "res_kind", &i_kind)) != NULL) {
		const char *name = record_next(d->rec, "res_name", &i_name);
		const char *unit = record_next(d->rec, "res_unit", &i_unit);
		const char *qty = record_next(d->rec, "res_qty", &i_qty);
		const char *cost = record_next(d->rec, "res_cost", &i_cost);
		resource *r;

		if (name == NULL || unit == NULL || qty == NULL || cost == NULL) {
			bad(d, "res_kind", kind);
			return;
		}
		f->resources = xgrow(f->resources, &capacity,
		                     f->resource_count + 1, sizeof *f->resources);
		r = &f->resources[f->resource_count++];
		r->kind = cost_kind_from_name(kind);
		r->name = xstrdup(name);
		r->unit = xstrdup(unit);
		r->quantity = strtoll(qty, NULL, 10);
		r->unit_cost = strtoll(cost, NULL, 10);
		if ((int)r->kind < 0 || r->kind == COST_OTHER)
			bad(d, "res_kind", kind);
	}
}

static void decode_fields(struct dec *d, order_fields *f)
{
	const char *text;

	f->present = parse_field_list(d, "set");
	f->start = f->due = DATE_NONE;
	if (f->present & FIELD_TITLE)
		f->title = xstrdup(need(d, "title"));
	if (f->present & FIELD_DESCRIPTION)
		f->description = xstrdup(need(d, "description"));
	if (f->present & FIELD_EXECUTOR) {
		need_ident(d, "executor", f->executor_id);
		f->executor_name = xstrdup(need(d, "executor_name"));
	}
	if (f->present & FIELD_START)
		f->start = need_date(d, "start");
	if (f->present & FIELD_DUE)
		f->due = need_date(d, "due");
	if (f->present & FIELD_PRICE) {
		f->price = need_int(d, "price");
		need_currency(d, "price_cur", f->currency);
	}
	decode_resources(d, f);
	f->deliverables = collect(d->rec, "deliverable", &f->deliverable_count);
	f->acceptance = dup_optional(d->rec, "acceptance");
	if (record_get(d->rec, "penalty_rate") != NULL) {
		f->terms.has_penalty = true;
		f->terms.penalty_rate_per_day = need_int(d, "penalty_rate");
		f->terms.penalty_cap = need_int(d, "penalty_cap");
	}
	if ((text = record_get(d->rec, "conf")) != NULL) {
		f->terms.has_confidentiality = true;
		f->terms.confidentiality =
			need_enum(d, "conf", confidentiality_from_name);
	}
	f->terms.clauses = collect(d->rec, "clause", &f->terms.clause_count);
}

static void decode_order(struct dec *d, operation *op)
{
	op->priority = need_enum(d, "priority", priority_from_name);
	op->order_kind = need_enum(d, "kind", order_kind_from_name);
	need_ident(d, "client", op->client.id);
	op->client.lang = need_enum(d, "lang", language_from_name);
	op->client.name = xstrdup(need(d, "client_name"));
	op->client.tax_id = dup_optional(d->rec, "tax_id");
	op->client.email = dup_optional(d->rec, "email");
	op->client.address = dup_optional(d->rec, "address");
	decode_fields(d, &op->fields);
}

static void decode_amount(struct dec *d, operation *op)
{
	op->amount = need_int(d, "amount");
	need_currency(d, "cur", op->currency);
	if (op->amount <= 0)
		bad(d, "amount", need(d, "amount"));
}

int codec_decode_op(const record *rec, operation *op, char why[128])
{
	struct dec d = { rec, why, false };

	memset(op, 0, sizeof *op);
	op->kind = op_kind_from_name(rec->type);
	if ((int)op->kind < 0) {
		snprintf(why, 128, "unknown record type '%s'", rec->type);
		return -1;
	}
	need_ident(&d, "order", op->order_id);
	op->on = need_date(&d, "on");
	switch (op->kind) {
	case OP_ORDER:
		decode_order(&d, op);
		break;
	case OP_AMEND:
		op->reason = xstrdup(need(&d, "reason"));
		decode_fields(&d, &op->fields);
		break;
	case OP_ADVANCE:
		op->stage = need_enum(&d, "stage", stage_from_name);
		break;
	case OP_PROGRESS:
		op->percent = (int)need_int(&d, "percent");
		op->text = dup_optional(rec, "note");
		break;
	case OP_COST:
		op->cost_kind = need_enum(&d, "cost_kind", cost_kind_from_name);
		decode_amount(&d, op);
		op->text = dup_optional(rec, "note");
		break;
	case OP_PAYMENT:
		decode_amount(&d, op);
		op->reference = xstrdup(need(&d, "reference"));
		break;
	case OP_COMPLETE:
		op->text = dup_optional(rec, "note");
		break;
	case OP_EVALUATE:
		op->score = (int)need_int(&d, "score");
		op->text = dup_optional(rec, "note");
		break;
	case OP_CANCEL:
		op->reason = xstrdup(need(&d, "reason"));
		break;
	default:
		break;
	}
	if (d.failed) {
		operation_clear(op);
		return -1;
	}
	return 0;
}

int codec_decode_posting(const record *rec, posting *p, char why[128])
{
	struct dec d = { rec, why, false };
	const char *account = need(&d, "account");

	memset(p, 0, sizeof *p);
	if (strlen(account) >= sizeof p->account)
		bad(&d, "account", account);
	text_copy(p->account, sizeof p->account, account);
	p->amount = need_int(&d, "amount");
	need_currency(&d, "cur", p->currency);
	return d.failed ? -1 : 0;
}
