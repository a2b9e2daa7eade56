/* Order states and the rules between them; see order_book.h. */
#include "order_book.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"
#include "util/money.h"
#include "util/record_cache.h"
#include "util/spill.h"
#include "util/strmap.h"
#include "util/text.h"
#include "util/xalloc.h"

/* A finished order of a shedding book, frozen: every scalar of its state
 * (what shed() keeps); the id is kept apart, in memory. */
typedef struct frozen_order {
	uint64_t ordinal;
	int64_t price, costs, payments;
	uint32_t client_at;        /* client id in book->ids */
	int32_t version, amendments, progress, score;
	date_t received, start, due, fixed_on, completed_on, closed_on,
	       cancelled_on;
	uint32_t present;
	uint8_t stage, kind, priority, lang, has_money;
	char currency[4];
} frozen_order;

struct order_book {
	/* orders, txn and thawed borrow their keys: each state's own id */
	strmap *orders;        /* id → order_state*, committed, not frozen */
	strmap *batches;       /* batch id → (void *)1 */
	strmap *txn;           /* id → order_state*, this batch's copies */
	bool in_txn;
	/* in place (order_book_in_place): the states this batch changed or
	 * created, live in orders, each once (order_state.touched) */
	bool in_place;
	order_state **touched;
	size_t touched_count, touched_capacity;
	bool knows_all_orders;
	bool shed_finished;
	size_t next_ordinal, committed_ordinals;
	/* frozen orders: record n has id ids + id_at[n]; slots is an open
	 * addressing table of n + 1 by id, slot_tags the top byte of the
	 * hash of each slot's id; records in memory or in fd */
	strmap *thawed;        /* id → order_state*, read since the commit */
	strmap *client_ids;    /* client id → offset in ids + 1 */
	char *ids;
	size_t ids_used, ids_capacity;
	uint32_t *id_at;
	size_t id_at_capacity;
	uint32_t *slots;
	uint8_t *slot_tags;
	size_t frozen_count, frozen_capacity, slot_capacity;
	frozen_order *frozen;  /* when fd < 0 */
	/* when fd >= 0: the records written last */
	record_cache *cache;
	size_t cache_slots;
	int fd;
};

static void client_copy(client *dst, const client *src)
{
	*dst = *src;
	dst->name = src->name != NULL ? xstrdup(src->name) : NULL;
	dst->tax_id = src->tax_id != NULL ? xstrdup(src->tax_id) : NULL;
	dst->email = src->email != NULL ? xstrdup(src->email) : NULL;
	dst->address = src->address != NULL ? xstrdup(src->address) : NULL;
}

void order_state_free(order_state *o)
{
	if (o == NULL)
		return;
	free(o->client.name);
	free(o->client.tax_id);
	free(o->client.email);
	free(o->client.address);
	order_fields_free(&o->fields);
	free(o);
}

order_state *order_state_clone(const order_state *src)
{
	order_state *o = xmalloc(sizeof *o);
	*o = *src;
	client_copy(&o->client, &src->client);
	order_fields_copy(&o->fields, &src->fields);
	return o;
}

/* ---- snapshots ----------------------------------------------------------- */

static size_t text_size(const char *text)
{
	return text != NULL ? strlen(text) + 1 : 0;
}

static size_t texts_size(char *const *texts, size_t count)
{
	size_t size = 0;

	for (size_t i = 0; i < count; i++)
		size += text_size(texts[i]);
	return size;
}

/* The arrays of a snapshot, right after its state (all of them multiples
 * of 8 bytes, so each stays aligned), then its texts. */
static size_t arrays_size(const order_fields *f)
{
	return f->resource_count * sizeof *f->resources +
	       (f->deliverable_count + f->terms.clause_count) * sizeof(char *);
}

static size_t snapshot_size(const order_state *o)
{
	const order_fields *f = &o->fields;
	size_t size = sizeof *o + arrays_size(f);

	size += text_size(o->client.name) + text_size(o->client.tax_id) +
	        text_size(o->client.email) + text_size(o->client.address);
	size += text_size(f->title) + text_size(f->description) +
	        text_size(f->executor_name) + text_size(f->acceptance);
	for (size_t i = 0; i < f->resource_count; i++)
		size += text_size(f->resources[i].name) +
		        text_size(f->resources[i].unit);
	size += texts_size(f->deliverables, f->deliverable_count);
	size += texts_size(f->terms.clauses, f->terms.clause_count);
	return size;
}

/* Copies text to *at and moves *at past it; NULL stays NULL. */
static char *put_text(char **at, const char *text)
{
	char *copy = *at;
	size_t size = text_size(text);

	if (text == NULL)
		return NULL;
	memcpy(copy, text, size);
	*at += size;
	return copy;
}

static void put_texts(char **at, char **dst, char *const *src, size_t count)
{
	for (size_t i = 0; i < count; i++)
		dst[i] = put_text(at, src[i]);
}

order_state *order_state_snapshot(const order_state *src)
{
	const order_fields *f = &src->fields;
	order_state *o = xmalloc(snapshot_size(src));
	order_fields *d = &o->fields;
	char *arrays = (char *)(o + 1), *at = arrays + arrays_size(f);

	*o = *src;
	d->resources = f->resource_count > 0 ? (resource *)arrays : NULL;
	arrays += f->resource_count * sizeof *f->resources;
	d->deliverables = f->deliverable_count > 0 ? (char **)arrays : NULL;
	arrays += f->deliverable_count * sizeof(char *);
	d->terms.clauses = f->terms.clause_count > 0 ? (char **)arrays : NULL;
	o->client.name = put_text(&at, src->client.name);
	o->client.tax_id = put_text(&at, src->client.tax_id);
	o->client.email = put_text(&at, src->client.email);
	o->client.address = put_text(&at, src->client.address);
	d->title = put_text(&at, f->title);
	d->description = put_text(&at, f->description);
	d->executor_name = put_text(&at, f->executor_name);
	d->acceptance = put_text(&at, f->acceptance);
	for (size_t i = 0; i < f->resource_count; i++) {
		d->resources[i] = f->resources[i];
		d->resources[i].name = put_text(&at, f->resources[i].name);
		d->resources[i].unit = put_text(&at, f->resources[i].unit);
	}
	put_texts(&at, d->deliverables, f->deliverables, f->deliverable_count);
	put_texts(&at, d->terms.clauses, f->terms.clauses,
	          f->terms.clause_count);
	return o;
}

order_book *order_book_new(bool knows_all_orders)
{
	order_book *book = xcalloc(1, sizeof *book);
	/* keyed by the states' own ids */
	book->orders = strmap_new_borrowing();
	book->batches = strmap_new();
	book->txn = strmap_new_borrowing();
	book->knows_all_orders = knows_all_orders;
	book->thawed = strmap_new_borrowing();
	book->client_ids = strmap_new();
	book->fd = -1;
	return book;
}

static void free_state_entry(const char *key, void *value, void *ctx)
{
	(void)key;
	(void)ctx;
	order_state_free(value);
}

void order_book_free(order_book *book)
{
	if (book == NULL)
		return;
	strmap_each(book->orders, free_state_entry, NULL);
	strmap_each(book->txn, free_state_entry, NULL);
	strmap_each(book->thawed, free_state_entry, NULL);
	strmap_free(book->orders);
	strmap_free(book->batches);
	strmap_free(book->txn);
	strmap_free(book->thawed);
	strmap_free(book->client_ids);
	free(book->ids);
	free(book->id_at);
	free(book->slots);
	free(book->slot_tags);
	free(book->frozen);
	record_cache_free(book->cache);
	free(book->touched);
	free(book);
}

/* ---- frozen orders ------------------------------------------------------- */

static uint64_t hash_id(const char *id)
{
	uint64_t hash = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		hash = (hash ^ *p) * 1099511628211ull;
	return hash;
}

/* The slot of id: holding its record number + 1, or 0 (free).  Only ids
 * whose tag matches are compared. */
static uint32_t *frozen_slot(const order_book *book, const char *id)
{
	uint64_t hash = hash_id(id);
	uint8_t tag = (uint8_t)(hash >> 56);
	size_t mask = book->slot_capacity - 1;
	size_t i = (size_t)hash & mask;

	while (book->slots[i] != 0 &&
	       (book->slot_tags[i] != tag ||
	        strcmp(book->ids + book->id_at[book->slots[i] - 1], id) != 0))
		i = (i + 1) & mask;
	return &book->slots[i];
}

/* Fills the free slot of id with record number + 1. */
static void fill_slot(order_book *book, uint32_t *slot, const char *id,
                      uint32_t value)
{
	*slot = value;
	book->slot_tags[slot - book->slots] = (uint8_t)(hash_id(id) >> 56);
}

static void grow_slots(order_book *book)
{
	uint32_t *old = book->slots;
	uint8_t *old_tags = book->slot_tags;
	size_t old_capacity = book->slot_capacity;

	book->slot_capacity = old_capacity ? old_capacity * 2 : 1024;
	book->slots = xcalloc(book->slot_capacity, sizeof *book->slots);
	book->slot_tags = xcalloc(book->slot_capacity,
	                          sizeof *book->slot_tags);
	for (size_t i = 0; i < old_capacity; i++) {
		const char *id;
		if (old[i] == 0)
			continue;
		id = book->ids + book->id_at[old[i] - 1];
		fill_slot(book, frozen_slot(book, id), id, old[i]);
	}
	free(old);
	free(old_tags);
}

static uint32_t keep_id(order_book *book, const char *id)
{
	size_t length = strlen(id) + 1, at = book->ids_used;

	if (at + length > UINT32_MAX) {
		diag_error(NULL, 0, "too many orders for one book");
		exit(4);
	}
	book->ids = xgrow(book->ids, &book->ids_capacity, at + length, 1);
	memcpy(book->ids + at, id, length);
	book->ids_used += length;
	return (uint32_t)at;
}

static uint32_t client_at(order_book *book, const char *id)
{
	uintptr_t at = (uintptr_t)strmap_get(book->client_ids, id);

	if (at == 0) {
		at = (uintptr_t)keep_id(book, id) + 1;
		strmap_put(book->client_ids, id, (void *)at);
	}
	return (uint32_t)(at - 1);
}

/* Frozen records in the spill file pass through a write-back cache (a
 * finished order is often read again soon: paid, evaluated). */
#define SPILL_CACHE (1u << 14)

static void put_spilled(order_book *book, size_t n, const frozen_order *f)
{
	if (book->cache == NULL)
		book->cache = record_cache_new(book->fd, sizeof *f,
		                               book->cache_slots);
	memcpy(record_cache_change(book->cache, n, true), f, sizeof *f);
}

static void get_spilled(const order_book *book, size_t n, frozen_order *f)
{
	if (book->cache != NULL)
		record_cache_read(book->cache, n, f);
	else
		spill_read(book->fd, f, sizeof *f, (uint64_t)n * sizeof *f);
}

static void put_frozen(order_book *book, size_t n, const frozen_order *f)
{
	if (book->fd >= 0) {
		put_spilled(book, n, f);
		return;
	}
	if (n >= book->frozen_capacity)
		book->frozen = xgrow(book->frozen, &book->frozen_capacity, n + 1,
		                     sizeof *book->frozen);
	book->frozen[n] = *f;
}

/* Freezes a finished order's committed state (and frees it). */
static void freeze(order_book *book, order_state *o)
{
	frozen_order f;
	uint32_t *slot;
	size_t n;

	memset(&f, 0, sizeof f);    /* no undefined padding in the file */
	f.ordinal = o->ordinal;
	f.price = o->fields.price;
	f.costs = o->costs;
	f.payments = o->payments;
	f.client_at = client_at(book, o->client.id);
	f.version = o->version;
	f.amendments = o->amendments;
	f.progress = o->progress;
	f.score = o->score;
	f.received = o->received;
	f.start = o->fields.start;
	f.due = o->fields.due;
	f.fixed_on = o->fixed_on;
	f.completed_on = o->completed_on;
	f.closed_on = o->closed_on;
	f.cancelled_on = o->cancelled_on;
	f.present = o->fields.present & (FIELD_PRICE | FIELD_DUE | FIELD_START);
	f.stage = (uint8_t)o->stage;
	f.kind = (uint8_t)o->kind;
	f.priority = (uint8_t)o->priority;
	f.lang = (uint8_t)o->client.lang;
	f.has_money = o->has_money;
	memcpy(f.currency, o->fields.currency, sizeof f.currency);
	if (book->slot_capacity == 0 ||
	    (book->frozen_count + 1) * 4 > book->slot_capacity * 3)
		grow_slots(book);
	slot = frozen_slot(book, o->id);
	if (*slot == 0) {
		if (book->frozen_count >= UINT32_MAX - 1) {
			diag_error(NULL, 0, "too many orders for one book");
			exit(4);
		}
		n = book->frozen_count++;
		book->id_at = xgrow(book->id_at, &book->id_at_capacity, n + 1,
		                    sizeof *book->id_at);
		book->id_at[n] = keep_id(book, o->id);
		fill_slot(book, slot, o->id, (uint32_t)n + 1);
	}
	put_frozen(book, *slot - 1, &f);
	order_state_free(o);
}

/* A state rebuilt from frozen record n, as shed() would have left it. */
static order_state *thaw(const order_book *book, size_t n)
{
	order_state *o = xcalloc(1, sizeof *o);
	frozen_order f;

	if (book->fd >= 0)
		get_spilled(book, n, &f);
	else
		f = book->frozen[n];
	text_copy(o->id, sizeof o->id, book->ids + book->id_at[n]);
	text_copy(o->client.id, sizeof o->client.id, book->ids + f.client_at);
	o->client.lang = (language)f.lang;
	o->ordinal = (size_t)f.ordinal;
	o->stage = (stage)f.stage;
	o->version = f.version;
	o->amendments = f.amendments;
	o->received = f.received;
	o->kind = (order_kind)f.kind;
	o->priority = (priority)f.priority;
	o->fields.present = f.present;
	o->fields.price = f.price;
	memcpy(o->fields.currency, f.currency, sizeof f.currency);
	o->fields.start = f.start;
	o->fields.due = f.due;
	o->progress = f.progress;
	o->has_money = f.has_money != 0;
	o->costs = f.costs;
	o->payments = f.payments;
	o->fixed_on = f.fixed_on;
	o->completed_on = f.completed_on;
	o->closed_on = f.closed_on;
	o->cancelled_on = f.cancelled_on;
	o->score = f.score;
	return o;
}

/* The committed state of id: in memory, or thawed from its record. */
static const order_state *committed(const order_book *book, const char *id)
{
	order_state *o = strmap_get(book->orders, id);
	uint32_t n;

	if (o != NULL || book->frozen_count == 0)
		return o;
	if ((o = strmap_get(book->thawed, id)) != NULL)
		return o;
	if ((n = *frozen_slot(book, id)) == 0)
		return NULL;
	o = thaw(book, n - 1);
	/* The thawed copies are a cache: the book's contents stay as they
	 * were, so a const book may hold them. */
	strmap_put(((order_book *)book)->thawed, o->id, o);
	return o;
}

static void drop_thawed(order_book *book)
{
	strmap_each(book->thawed, free_state_entry, NULL);
	strmap_clear(book->thawed);
}

void order_book_spill(order_book *book, int fd, unsigned share)
{
	book->fd = fd;
	book->cache_slots = SPILL_CACHE / (share > 0 ? share : 1);
}

size_t order_book_count(const order_book *book)
{
	return strmap_count(book->orders) + book->frozen_count;
}

const order_state *order_book_find(const order_book *book, const char *id)
{
	return committed(book, id);
}

struct each_ctx {
	void (*fn)(const order_state *, void *);
	void *ctx;
};

static void each_entry(const char *key, void *value, void *ctx)
{
	struct each_ctx *each = ctx;
	(void)key;
	each->fn(value, each->ctx);
}

void order_book_each(const order_book *book,
                     void (*fn)(const order_state *order, void *ctx),
                     void *ctx)
{
	struct each_ctx each = { fn, ctx };
	strmap_each(book->orders, each_entry, &each);
	for (size_t n = 0; n < book->frozen_count; n++) {
		order_state *o = thaw(book, n);
		fn(o, ctx);
		order_state_free(o);
	}
}

bool order_book_has_batch(const order_book *book, const char *batch_id)
{
	return strmap_get(book->batches, batch_id) != NULL;
}

void order_book_add_batch(order_book *book, const char *batch_id)
{
	strmap_put(book->batches, batch_id, (void *)1);
}

void book_txn_begin(order_book *book)
{
	book_txn_abort(book);
	book->in_txn = true;
}

void order_book_shed_finished(order_book *book)
{
	book->shed_finished = true;
}

void order_book_in_place(order_book *book)
{
	book->in_place = true;
}

static void touch(order_book *book, order_state *state)
{
	if (state->touched)
		return;
	state->touched = true;
	book->touched = xgrow(book->touched, &book->touched_capacity,
	                      book->touched_count + 1, sizeof *book->touched);
	book->touched[book->touched_count++] = state;
}

/* In place: the committed state of id, made writable (a frozen order is
 * thawed back into the book until the commit freezes it again). */
static order_state *writable(order_book *book, const char *id)
{
	order_state *o = strmap_get(book->orders, id);
	uint32_t n;

	if (o == NULL && book->frozen_count > 0) {
		o = strmap_remove(book->thawed, id);
		if (o == NULL && (n = *frozen_slot(book, id)) != 0)
			o = thaw(book, n - 1);
		if (o != NULL)
			strmap_put(book->orders, o->id, o);
	}
	if (o != NULL)
		touch(book, o);
	return o;
}

/* Drops what no rule needs once an order is closed or cancelled: cost and
 * payment still check the price's currency, and post to the client's
 * receivable. */
static void shed(order_state *o)
{
	unsigned keep = o->fields.present & (FIELD_PRICE | FIELD_DUE |
	                                     FIELD_START);
	order_fields kept = { 0 };

	kept.present = keep;
	kept.price = o->fields.price;
	memcpy(kept.currency, o->fields.currency, sizeof kept.currency);
	kept.start = o->fields.start;
	kept.due = o->fields.due;
	order_fields_free(&o->fields);
	o->fields = kept;
	free(o->client.name);
	free(o->client.tax_id);
	free(o->client.email);
	free(o->client.address);
	o->client.name = o->client.tax_id = o->client.email =
		o->client.address = NULL;
}

static void move_into_book(const char *key, void *value, void *ctx)
{
	order_book *book = ctx;
	order_state *state = value;

	state->created_file = NULL;
	if (book->shed_finished && state->stage >= STAGE_EVALUATION) {
		order_state_free(strmap_remove(book->orders, key));
		shed(state);
		freeze(book, state);
		return;
	}
	order_state_free(strmap_put(book->orders, key, state));
}

/* In place: the batch's states are the book's already; freezes those
 * that finished. */
static void settle_touched(order_book *book)
{
	for (size_t i = 0; i < book->touched_count; i++) {
		order_state *state = book->touched[i];
		state->touched = false;
		state->created_file = NULL;
		if (book->shed_finished && state->stage >= STAGE_EVALUATION) {
			strmap_remove(book->orders, state->id);
			shed(state);
			freeze(book, state);
		}
	}
	book->touched_count = 0;
}

void book_txn_commit(order_book *book)
{
	settle_touched(book);
	strmap_each(book->txn, move_into_book, book);
	strmap_clear(book->txn);
	drop_thawed(book);
	book->committed_ordinals = book->next_ordinal;
	book->in_txn = false;
}

void book_txn_abort(order_book *book)
{
	/* in place: what is done stays done */
	for (size_t i = 0; i < book->touched_count; i++)
		book->touched[i]->touched = false;
	book->touched_count = 0;
	strmap_each(book->txn, free_state_entry, NULL);
	strmap_clear(book->txn);
	drop_thawed(book);
	book->next_ordinal = book->committed_ordinals;
	book->in_txn = false;
}

/* The state as this batch sees it (read-only). */
static const order_state *lookup(const order_book *book, const char *id)
{
	const order_state *state = book->in_place ? NULL
	                           : strmap_get(book->txn, id);
	return state != NULL ? state : committed(book, id);
}

const order_state *order_book_lookup(const order_book *book, const char *id)
{
	return lookup(book, id);
}

/* ---- the rules ---------------------------------------------------------- */

struct ctx {
	const operation *op;
	const char *file;
};

#define FAIL(c, ...) diag_error((c)->file, (c)->op->line, __VA_ARGS__)

static void fmt_date(date_t date, char buf[static 11])
{
	if (date == DATE_NONE)
		snprintf(buf, 11, "(none)");
	else
		date_format(date, buf);
}

static int check_date_order(struct ctx *c, date_t received,
                            const order_fields *f)
{
	char a[11], b[11];

	if (f->start != DATE_NONE && received != DATE_NONE &&
	    f->start < received) {
		fmt_date(f->start, a);
		fmt_date(received, b);
		return diag_error(c->file, f->line_start ? f->line_start
		                  : c->op->line, "start date %s is before the "
		                  "received date %s", a, b);
	}
	if (f->due != DATE_NONE && f->start != DATE_NONE && f->due < f->start) {
		fmt_date(f->due, a);
		fmt_date(f->start, b);
		return diag_error(c->file, f->line_due ? f->line_due
		                  : c->op->line, "due date %s is before the "
		                  "start date %s", a, b);
	}
	if (f->due != DATE_NONE && received != DATE_NONE && f->due < received) {
		fmt_date(f->due, a);
		fmt_date(received, b);
		return diag_error(c->file, f->line_due ? f->line_due
		                  : c->op->line, "due date %s is before the "
		                  "received date %s", a, b);
	}
	return 0;
}

static int check_op_date(struct ctx *c, const order_state *o, date_t as_of)
{
	char a[11], b[11];
	date_t on = c->op->on;

	if (on != DATE_NONE && as_of != DATE_NONE && on > as_of) {
		fmt_date(on, a);
		fmt_date(as_of, b);
		return FAIL(c, "date %s is later than the as-of date %s", a, b);
	}
	if (o != NULL && on != DATE_NONE && on < o->received) {
		fmt_date(on, a);
		fmt_date(o->received, b);
		return FAIL(c, "date %s is before order '%s' was received (%s)",
		            a, o->id, b);
	}
	return 0;
}

static bool is_open(const order_state *o)
{
	return o->stage != STAGE_CLOSED && o->stage != STAGE_CANCELLED;
}

static bool before_complete(const order_state *o)
{
	return o->stage <= STAGE_EXECUTION;
}

static int apply_new_order(order_book *book, struct ctx *c, date_t as_of,
                           op_effect *effect)
{
	const operation *op = c->op;
	const order_state *existing = lookup(book, op->order_id);
	order_state *o;

	if (existing != NULL) {
		if (existing->created_file != NULL)
			return FAIL(c, "duplicate order id '%s' (first defined "
			            "at line %ld)", op->order_id,
			            existing->created_line);
		return FAIL(c, "order '%s' already exists in the ledger",
		            op->order_id);
	}
	if (check_op_date(c, NULL, as_of) != 0 ||
	    check_date_order(c, op->on, &op->fields) != 0)
		return -1;
	o = xcalloc(1, sizeof *o);
	text_copy(o->id, sizeof o->id, op->order_id);
	o->stage = STAGE_IDENTIFICATION;
	o->version = 1;
	o->received = op->on;
	client_copy(&o->client, &op->client);
	o->kind = op->order_kind;
	o->priority = op->priority;
	order_fields_copy(&o->fields, &op->fields);
	o->progress = -1;
	o->fixed_on = o->completed_on = o->closed_on = o->cancelled_on =
		DATE_NONE;
	o->created_file = c->file;
	o->created_line = op->line;
	o->ordinal = book->next_ordinal++;
	if (book->in_place) {
		strmap_put(book->orders, o->id, o);
		touch(book, o);
	} else
		strmap_put(book->txn, o->id, o);
	effect->version = o->version;
	effect->ordinal = o->ordinal;
	return 0;
}

/* ---- amendments ---------------------------------------------------------- */

static bool text_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool strings_equal(char *const *a, size_t na, char *const *b,
                          size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!text_equal(a[i], b[i]))
			return false;
	return true;
}

static bool resources_equal(const order_fields *a, const order_fields *b)
{
	if (a->resource_count != b->resource_count)
		return false;
	for (size_t i = 0; i < a->resource_count; i++) {
		const resource *x = &a->resources[i], *y = &b->resources[i];
		if (x->kind != y->kind || x->quantity != y->quantity ||
		    x->unit_cost != y->unit_cost ||
		    !text_equal(x->name, y->name) || !text_equal(x->unit, y->unit))
			return false;
	}
	return true;
}

static bool terms_equal(const order_terms *a, const order_terms *b)
{
	if (a->has_penalty != b->has_penalty ||
	    (a->has_penalty &&
	     (a->penalty_rate_per_day != b->penalty_rate_per_day ||
	      a->penalty_cap != b->penalty_cap)))
		return false;
	if (a->has_confidentiality != b->has_confidentiality ||
	    (a->has_confidentiality &&
	     a->confidentiality != b->confidentiality))
		return false;
	return strings_equal(a->clauses, a->clause_count, b->clauses,
	                     b->clause_count);
}

/* Whether field `bit` has the same value in a and b. */
static bool field_equal(unsigned bit, const order_fields *a,
                        const order_fields *b)
{
	if ((a->present & bit) != (b->present & bit))
		return false;
	if (!(a->present & bit))
		return true;
	switch (bit) {
	case FIELD_TITLE:
		return text_equal(a->title, b->title);
	case FIELD_DESCRIPTION:
		return text_equal(a->description, b->description);
	case FIELD_EXECUTOR:
		return strcmp(a->executor_id, b->executor_id) == 0 &&
		       text_equal(a->executor_name, b->executor_name);
	case FIELD_START:
		return a->start == b->start;
	case FIELD_DUE:
		return a->due == b->due;
	case FIELD_PRICE:
		return a->price == b->price &&
		       strcmp(a->currency, b->currency) == 0;
	case FIELD_RESOURCES:
		return resources_equal(a, b);
	case FIELD_RESULT:
		return strings_equal(a->deliverables, a->deliverable_count,
		                     b->deliverables, b->deliverable_count) &&
		       text_equal(a->acceptance, b->acceptance);
	case FIELD_TERMS:
		return terms_equal(&a->terms, &b->terms);
	}
	return true;
}

/* Replaces field `bit` of dst with src's (both owned). */
static void field_replace(unsigned bit, order_fields *dst,
                          const order_fields *src)
{
	order_fields copy;

	order_fields_copy(&copy, src);
	switch (bit) {
	case FIELD_TITLE:
		free(dst->title);
		dst->title = copy.title;
		copy.title = NULL;
		break;
	case FIELD_DESCRIPTION:
		free(dst->description);
		dst->description = copy.description;
		copy.description = NULL;
		break;
	case FIELD_EXECUTOR:
		memcpy(dst->executor_id, src->executor_id,
		       sizeof dst->executor_id);
		free(dst->executor_name);
		dst->executor_name = copy.executor_name;
		copy.executor_name = NULL;
		break;
	case FIELD_START:
		dst->start = src->start;
		break;
	case FIELD_DUE:
		dst->due = src->due;
		break;
	case FIELD_PRICE:
		dst->price = src->price;
		memcpy(dst->currency, src->currency, sizeof dst->currency);
		break;
	case FIELD_RESOURCES: {
		resource *r = dst->resources;
		size_t n = dst->resource_count;
		dst->resources = copy.resources;
		dst->resource_count = copy.resource_count;
		copy.resources = r;
		copy.resource_count = n;
		break;
	}
	case FIELD_RESULT: {
		char **d = dst->deliverables, *a = dst->acceptance;
		size_t n = dst->deliverable_count;
		dst->deliverables = copy.deliverables;
		dst->deliverable_count = copy.deliverable_count;
		dst->acceptance = copy.acceptance;
		copy.deliverables = d;
		copy.deliverable_count = n;
		copy.acceptance = a;
		break;
	}
	case FIELD_TERMS: {
		order_terms t = dst->terms;
		dst->terms = copy.terms;
		copy.terms = t;
		break;
	}
	}
	dst->present |= bit;
	order_fields_free(&copy);
}

static int apply_amend(struct ctx *c, order_state *o, op_effect *effect)
{
	const order_fields *f = &c->op->fields;
	unsigned changed = 0;
	order_fields merged;
	int status;

	if (!before_complete(o))
		return FAIL(c, "order '%s' is in stage %s: amendments are "
		            "accepted only before complete", o->id,
		            stage_name(o->stage));
	for (unsigned bit = 1; bit & FIELD_ALL; bit <<= 1)
		if ((f->present & bit) && !field_equal(bit, f, &o->fields))
			changed |= bit;
	if (changed == 0)
		return FAIL(c, "amendment of order '%s' changes nothing", o->id);
	if ((changed & FIELD_PRICE) && o->has_money &&
	    strcmp(f->currency, o->fields.currency) != 0)
		return FAIL(c, "amendment may not change the currency of order "
		            "'%s' from %s to %s: costs or payments exist", o->id,
		            o->fields.currency, f->currency);
	order_fields_copy(&merged, &o->fields);
	if (changed & FIELD_START)
		merged.start = f->start, merged.line_start = f->line_start;
	if (changed & FIELD_DUE)
		merged.due = f->due, merged.line_due = f->line_due;
	status = check_date_order(c, o->received, &merged);
	order_fields_free(&merged);
	if (status != 0)
		return -1;
	for (unsigned bit = 1; bit & FIELD_ALL; bit <<= 1)
		if (changed & bit)
			field_replace(bit, &o->fields, f);
	o->version++;
	o->amendments++;
	effect->changed = changed;
	return 0;
}

static int apply_advance(struct ctx *c, order_state *o)
{
	stage target = c->op->stage;
	char missing[64] = "";

	if (target == o->stage)
		return FAIL(c, "order '%s' is already in stage %s", o->id,
		            stage_name(o->stage));
	if (target < o->stage)
		return FAIL(c, "order '%s' cannot go back from stage %s to %s",
		            o->id, stage_name(o->stage), stage_name(target));
	if (target != o->stage + 1 || target > STAGE_EXECUTION)
		return FAIL(c, "order '%s' is in stage %s: cannot skip to %s "
		            "(next is %s)", o->id, stage_name(o->stage),
		            stage_name(target), stage_name(o->stage + 1));
	if (target == STAGE_FIXATION) {
		if (!(o->fields.present & FIELD_PRICE))
			strcat(missing, ", price");
		if (!(o->fields.present & FIELD_DUE))
			strcat(missing, ", due date");
		if (!(o->fields.present & FIELD_EXECUTOR))
			strcat(missing, ", executor");
		if (missing[0] != '\0')
			return FAIL(c, "order '%s' cannot enter fixation "
			            "without %s", o->id, missing + 2);
		o->fixed_on = c->op->on;
	}
	o->stage = target;
	return 0;
}

static int check_money_op(struct ctx *c, const order_state *o)
{
	const char *what = op_kind_name(c->op->kind);

	if (!(o->fields.present & FIELD_PRICE))
		return FAIL(c, "%s on order '%s': order has no price yet", what,
		            o->id);
	if (strcmp(c->op->currency, o->fields.currency) != 0)
		return FAIL(c, "%s in %s on order '%s' priced in %s: currencies "
		            "must match", what, c->op->currency, o->id,
		            o->fields.currency);
	return 0;
}

static void post(op_effect *e, const char *account, int64_t amount,
                 const char *code)
{
	posting *p = &e->postings[e->posting_count++];
	text_copy(p->account, sizeof p->account, account);
	p->amount = amount;
	memcpy(p->currency, code, 4);
}

static int apply_cost(struct ctx *c, order_state *o, op_effect *e)
{
	char account[64];
	int64_t total;

	if (check_money_op(c, o) != 0)
		return -1;
	if (!money_add(o->costs, c->op->amount, &total))
		return FAIL(c, "costs of order '%s' overflow", o->id);
	o->costs = total;
	o->has_money = true;
	text_join(account, sizeof account, "expenses:",
	          cost_kind_name(c->op->cost_kind));
	post(e, account, c->op->amount, c->op->currency);
	post(e, "liabilities:payable", -c->op->amount, c->op->currency);
	return 0;
}

static void receivable(const order_state *o, char account[static 128])
{
	text_join(account, 128, "assets:receivable:", o->client.id);
}

static int apply_payment(struct ctx *c, order_state *o, op_effect *e)
{
	char account[128];
	int64_t total;

	if (check_money_op(c, o) != 0)
		return -1;
	if (!money_add(o->payments, c->op->amount, &total))
		return FAIL(c, "payments of order '%s' overflow", o->id);
	o->payments = total;
	o->has_money = true;
	receivable(o, account);
	post(e, "assets:bank", c->op->amount, c->op->currency);
	post(e, account, -c->op->amount, c->op->currency);
	return 0;
}

bool penalty_amount(int64_t price, const order_terms *terms, int days_late,
                    int64_t *out)
{
	__int128 raw, cap;
	const __int128 scale = (__int128)100 * PERCENT_SCALE;

	*out = 0;
	if (!terms->has_penalty || days_late <= 0)
		return true;
	raw = (__int128)price * terms->penalty_rate_per_day * days_late;
	cap = (__int128)price * terms->penalty_cap;
	if (raw > cap)
		raw = cap;
	raw = raw >= 0 ? (raw + scale / 2) / scale : -((-raw + scale / 2) / scale);
	if (raw > INT64_MAX || raw < INT64_MIN)
		return false;
	*out = (int64_t)raw;
	return true;
}

static int apply_complete(struct ctx *c, order_state *o, op_effect *e)
{
	char account[128], income[64];
	int days_late = 0;
	int64_t penalty;

	if (o->stage != STAGE_EXECUTION)
		return FAIL(c, "order '%s' is in stage %s: complete needs stage "
		            "execution", o->id, stage_name(o->stage));
	if ((o->fields.present & FIELD_DUE) && c->op->on > o->fields.due)
		days_late = c->op->on - o->fields.due;
	if (!penalty_amount(o->fields.price, &o->fields.terms, days_late,
	                    &penalty))
		return FAIL(c, "penalty of order '%s' overflows", o->id);
	o->stage = STAGE_EVALUATION;
	o->completed_on = c->op->on;
	receivable(o, account);
	text_join(income, sizeof income, "income:", order_kind_name(o->kind));
	post(e, account, o->fields.price, o->fields.currency);
	post(e, income, -o->fields.price, o->fields.currency);
	if (penalty > 0) {
		post(e, "expenses:penalties", penalty, o->fields.currency);
		post(e, account, -penalty, o->fields.currency);
	}
	e->days_late = days_late;
	e->penalty = penalty;
	return 0;
}

static int apply_to_existing(struct ctx *c, order_state *o, op_effect *e)
{
	const operation *op = c->op;

	if (!is_open(o) && op->kind != OP_COST && op->kind != OP_PAYMENT)
		return FAIL(c, "order '%s' is %s: only cost and payment are "
		            "accepted", o->id, stage_name(o->stage));
	switch (op->kind) {
	case OP_AMEND:
		return apply_amend(c, o, e);
	case OP_ADVANCE:
		return apply_advance(c, o);
	case OP_PROGRESS:
		if (!before_complete(o))
			return FAIL(c, "order '%s' is in stage %s: progress is "
			            "accepted only before complete", o->id,
			            stage_name(o->stage));
		if (op->percent < o->progress)
			return FAIL(c, "progress %d%% of order '%s' is lower than "
			            "the previous report (%d%%)", op->percent,
			            o->id, o->progress);
		o->progress = op->percent;
		return 0;
	case OP_COST:
		return apply_cost(c, o, e);
	case OP_PAYMENT:
		return apply_payment(c, o, e);
	case OP_COMPLETE:
		return apply_complete(c, o, e);
	case OP_EVALUATE:
		if (o->stage != STAGE_EVALUATION)
			return FAIL(c, "order '%s' is in stage %s: evaluate needs "
			            "stage evaluation", o->id,
			            stage_name(o->stage));
		if (op->score < 1 || op->score > 5)
			return FAIL(c, "score %d is out of range 1-5", op->score);
		o->score = op->score;
		o->stage = STAGE_CLOSED;
		o->closed_on = op->on;
		return 0;
	case OP_CANCEL:
		if (!before_complete(o))
			return FAIL(c, "order '%s' is in stage %s: cancel is "
			            "accepted only before complete", o->id,
			            stage_name(o->stage));
		o->stage = STAGE_CANCELLED;
		o->cancelled_on = op->on;
		return 0;
	default:
		return FAIL(c, "unexpected operation");
	}
}

int book_apply(order_book *book, const operation *op, const char *file,
               date_t as_of, op_effect *effect)
{
	struct ctx c = { op, file };
	op_effect scratch;
	const order_state *current;
	order_state *o;
	int status;

	if (effect == NULL)
		effect = &scratch;
	memset(effect, 0, sizeof *effect);
	if (op->kind == OP_ORDER)
		return apply_new_order(book, &c, as_of, effect);

	current = lookup(book, op->order_id);
	if (current == NULL) {
		if (!book->knows_all_orders)
			return check_op_date(&c, NULL, as_of);
		return FAIL(&c, "unknown order '%s'", op->order_id);
	}
	if (check_op_date(&c, current, as_of) != 0)
		return -1;
	/* Every rule checks before it changes anything, so a refused op
	 * leaves no trace; the batch's own copy can be changed in place, the
	 * committed state is copied on first write. */
	if (book->in_place)
		o = writable(book, op->order_id);
	else if ((o = strmap_get(book->txn, op->order_id)) == NULL)
		o = order_state_clone(current);
	status = apply_to_existing(&c, o, effect);
	if (!book->in_place && o != current &&
	    strmap_get(book->txn, o->id) != o) {
		if (status != 0) {
			order_state_free(o);
			return -1;
		}
		strmap_put(book->txn, o->id, o);
	}
	if (status != 0)
		return -1;
	effect->version = o->version;
	effect->ordinal = o->ordinal;
	return 0;
}
