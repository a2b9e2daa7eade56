/* Replaying and posting batches; see ledger_replay.h. */
#include "ledger_replay.h"

#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_codec.h"
#include "util/diag.h"
#include "util/text.h"
#include "util/xalloc.h"

/* An event waiting for its batch's commit; owns its copies.  Its effect
 * is kept without the postings (most of op_effect's size): they are the
 * batch's pending postings from posting_at on, checked equal to them. */
struct pending_event {
	uint64_t seq;
	long line;
	operation op;
	/* op_effect but the postings */
	int posting_count, version, days_late;
	unsigned changed;
	int64_t penalty;
	size_t ordinal, order_number;
	size_t posting_at;         /* in struct replay.pending */
	order_state *before;       /* order_state_snapshot()s */
	order_state *after;
};

struct replay {
	const replay_target *target;
	const char *path;
	char batch_id[IDENT_MAX + 1];
	bool in_batch;
	/* postings the last operation must be followed by */
	op_effect expected;
	int next_posting;
	char order_id[IDENT_MAX + 1];
	/* postings of the open batch, applied to the balances at commit */
	posting *pending;
	size_t pending_count, pending_capacity;
	/* events of the open batch, delivered at commit */
	struct pending_event *events;
	size_t event_count, event_capacity;
	/* target->at_once: operations numbered below this are committed */
	uint64_t committed_below;
	/* <order> records so far, and the number of the current one */
	size_t orders_seen, order_number;
	/* a split replay's half (ledger_replay_halves) */
	struct split *split;        /* NULL: not split */
	int half;                   /* 0 or 1 */
	bool op_mine;               /* the last operation is this half's */
	record rec;                 /* the line being replayed */
	long line;                  /* the last line looked at */
	long failed_line;           /* where this half failed, 0: it did not */
	int status;
	diag_deferred *messages;
};

static void drop_events(struct replay *r)
{
	for (size_t i = 0; i < r->event_count; i++) {
		operation_clear(&r->events[i].op);
		free(r->events[i].before);
		free(r->events[i].after);
	}
	r->event_count = 0;
}

static void deliver_events(struct replay *r)
{
	for (size_t i = 0; i < r->event_count; i++) {
		struct pending_event *p = &r->events[i];
		op_effect effect;
		replay_event event = {
			.seq = p->seq, .line = p->line, .batch_id = r->batch_id,
			.op = &p->op, .effect = &effect, .before = p->before,
			.after = p->after, .order_number = p->order_number
		};
		effect.posting_count = p->posting_count;
		effect.version = p->version;
		effect.changed = p->changed;
		effect.days_late = p->days_late;
		effect.penalty = p->penalty;
		effect.ordinal = p->ordinal;
		if (effect.posting_count > 0)
			memcpy(effect.postings, r->pending + p->posting_at,
			       (size_t)effect.posting_count *
			       sizeof *effect.postings);
		r->target->on_event(r->target->ctx, &event);
	}
	drop_events(r);
}

/* Keeps op (moved into the event) with copies of the order around it. */
static void keep_event(struct replay *r, const record *rec, long line,
                       operation *op, bool states, order_state *before)
{
	struct pending_event *p;

	r->events = xgrow(r->events, &r->event_capacity, r->event_count + 1,
	                  sizeof *r->events);
	p = &r->events[r->event_count++];
	p->seq = rec->seq;
	p->line = line;
	p->op = *op;
	memset(op, 0, sizeof *op);
	p->posting_count = r->expected.posting_count;
	p->version = r->expected.version;
	p->changed = r->expected.changed;
	p->days_late = r->expected.days_late;
	p->penalty = r->expected.penalty;
	p->ordinal = r->expected.ordinal;
	p->order_number = p->op.kind == OP_ORDER ? r->order_number : 0;
	p->posting_at = r->pending_count;  /* the op's postings come next */
	p->before = before;
	p->after = states ? order_state_snapshot(order_book_lookup(
	                            r->target->book, p->op.order_id)) : NULL;
}

/* Delivers the event of the operation just applied (at_once). */
static void deliver_now(struct replay *r, const record *rec, long line,
                        const operation *op, order_state *before)
{
	replay_event event = {
		.seq = rec->seq, .line = line, .batch_id = r->batch_id,
		.op = op, .effect = &r->expected, .before = before,
		.after = order_book_lookup(r->target->book, op->order_id),
		.order_number = op->kind == OP_ORDER ? r->order_number : 0
	};

	r->target->on_event(r->target->ctx, &event);
	free(before);
}

static int integrity(struct replay *r, long line, const char *what,
                     const char *detail)
{
	diag_error(r->path, line, "%s%s%s", what, detail[0] ? ": " : "",
	           detail);
	return LEDGER_INTEGRITY;
}

static int check_postings_done(struct replay *r, long line)
{
	if (r->next_posting != r->expected.posting_count)
		return integrity(r, line, "postings of the previous operation "
		                 "are missing", "");
	return LEDGER_OK;
}

static int replay_op(struct replay *r, const record *rec, long line)
{
	operation op;
	char why[128];
	int64_t version;
	int status;
	order_state *before = NULL;
	const order_state *current;
	bool keep, states;

	if ((status = check_postings_done(r, line)) != LEDGER_OK)
		return status;
	if (codec_decode_op(rec, &op, why) != 0)
		return integrity(r, line, "malformed operation", why);
	op.line = line;
	keep = r->target->on_event != NULL &&
	       (!r->target->at_once || rec->seq < r->committed_below) &&
	       (r->target->wants == NULL ||
	        r->target->wants(r->target->ctx, &op));
	states = keep && (r->target->wants_states == NULL ||
	                  r->target->wants_states(r->target->ctx, &op));
	if (states && op.kind != OP_ORDER &&
	    (current = order_book_lookup(r->target->book, op.order_id)) != NULL)
		before = order_state_snapshot(current);
	if (book_apply(r->target->book, &op, r->path, DATE_NONE,
	               &r->expected) != 0) {
		free(before);
		operation_clear(&op);
		return integrity(r, line, "booked operation does not replay",
		                 "");
	}
	if (!record_get_int(rec, "version", &version) ||
	    version != r->expected.version) {
		free(before);
		operation_clear(&op);
		return integrity(r, line, "version does not match the replay",
		                 "");
	}
	text_copy(r->order_id, sizeof r->order_id, op.order_id);
	r->next_posting = 0;
	if (keep && r->target->at_once) {
		deliver_now(r, rec, line, &op, before);
		operation_clear(&op);
	} else if (keep)
		keep_event(r, rec, line, &op, states, before);
	else
		operation_clear(&op);
	return LEDGER_OK;
}

static int replay_posting(struct replay *r, const record *rec, long line)
{
	posting p;
	const posting *want;
	char why[128];

	if (codec_decode_posting(rec, &p, why) != 0)
		return integrity(r, line, "malformed posting", why);
	if (r->next_posting >= r->expected.posting_count)
		return integrity(r, line, "posting without an operation that "
		                 "makes it", "");
	want = &r->expected.postings[r->next_posting++];
	if (strcmp(want->account, p.account) != 0 ||
	    want->amount != p.amount ||
	    strcmp(want->currency, p.currency) != 0 ||
	    strcmp(record_get(rec, "order") ? record_get(rec, "order") : "",
	           r->order_id) != 0)
		return integrity(r, line, "posting does not match its operation",
		                 "");
	r->pending = xgrow(r->pending, &r->pending_capacity,
	                   r->pending_count + 1, sizeof *r->pending);
	r->pending[r->pending_count++] = p;
	return LEDGER_OK;
}

static int replay_commit(struct replay *r, long line)
{
	int status = check_postings_done(r, line);

	if (status != LEDGER_OK)
		return status;
	book_txn_commit(r->target->book);
	order_book_add_batch(r->target->book, r->batch_id);
	if (r->target->on_event != NULL && !r->target->at_once)
		deliver_events(r);
	for (size_t i = 0; i < r->pending_count; i++)
		if (r->target->balances != NULL &&
		    !trial_balance_add(r->target->balances, &r->pending[i]))
			return integrity(r, line, "balance overflows", "");
	r->pending_count = 0;
	r->in_batch = false;
	return LEDGER_OK;
}

static int replay_record(void *ctx, const record *rec, long line)
{
	struct replay *r = ctx;
	const char *id;

	if (strcmp(rec->type, "begin") == 0) {
		id = record_get(rec, "batch");
		snprintf(r->batch_id, sizeof r->batch_id, "%s", id ? id : "");
		if (order_book_has_batch(r->target->book, r->batch_id))
			return integrity(r, line, "batch booked twice",
			                 r->batch_id);
		book_txn_begin(r->target->book);
		drop_events(r);
		memset(&r->expected, 0, sizeof r->expected);
		r->next_posting = 0;
		r->pending_count = 0;
		r->in_batch = true;
		return LEDGER_OK;
	}
	if (strcmp(rec->type, "commit") == 0)
		return replay_commit(r, line);
	if (strcmp(rec->type, "post") == 0)
		return replay_posting(r, rec, line);
	if (codec_is_op(rec->type)) {
		if (strcmp(rec->type, "order") == 0)
			r->order_number = r->orders_seen++;
		return replay_op(r, rec, line);
	}
	return integrity(r, line, "unknown record type", rec->type);
}

int ledger_replay(ledger *l, const replay_target *target)
{
	struct replay r = { .target = target, .path = ledger_path(l) };
	int status = LEDGER_OK;

	if (target->at_once)
		status = ledger_last_commit_seq(l, &r.committed_below);
	if (status == LEDGER_OK)
		status = ledger_scan(l, replay_record, &r);

	/* An uncommitted tail leaves its batch open: it never happened. */
	book_txn_abort(target->book);
	drop_events(&r);
	free(r.events);
	free(r.pending);
	return status;
}

/* ---- split in halves ---------------------------------------------------- */

/* A half's callback returns this when the other half has failed on an
 * earlier line (nothing this half finds later can count), or when its
 * unchecked line is not one the scan accepts (the scan will say so). */
#define REPLAY_STOPPED (-1)

struct split {
	ledger *l;
	/* the earliest line either half failed on so far */
	_Atomic long first_failure;
	struct replay halves[2];
};

int half_of_order(const char *id, size_t length)
{
	uint64_t hash = 14695981039346656037u;          /* FNV-1a */

	for (size_t i = 0; i < length; i++) {
		hash ^= (unsigned char)id[i];
		hash *= 1099511628211u;
	}
	return (int)(hash >> 63);   /* the best-mixed bit */
}

typedef enum {
	LINE_BAD,                   /* not a line the scan accepts */
	LINE_BEGIN, LINE_COMMIT, LINE_POST,
	LINE_ORDER, LINE_OP,        /* operations: *half is set */
	LINE_OTHER                  /* an unknown type */
} line_kind;

/* What a half must know of a line before it parses it (or not): its kind
 * and, for an operation, its order's half.  Operations are written with
 * the order first and bare; anything else is parsed in full (in scratch). */
static line_kind classify(const char *line, size_t length, record *scratch,
                          int *half)
{
	const char *p = line, *end = line + length, *type, *id;
	char name[16];
	size_t type_length;
	line_kind kind;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == line || p == end || *p != ' ')
		return LINE_BAD;
	type = ++p;
	while (p < end && *p >= 'a' && *p <= 'z')
		p++;
	type_length = (size_t)(p - type);
	if (type_length == 0 || p == end || *p != ' ')
		return LINE_BAD;    /* every line goes on with " h=" */
	if (type_length >= sizeof name)
		return LINE_OTHER;
	memcpy(name, type, type_length);
	name[type_length] = '\0';
	if (strcmp(name, "begin") == 0)
		return LINE_BEGIN;
	if (strcmp(name, "commit") == 0)
		return LINE_COMMIT;
	if (strcmp(name, "post") == 0)
		return LINE_POST;
	if (!codec_is_op(name))
		return LINE_OTHER;
	kind = strcmp(name, "order") == 0 ? LINE_ORDER : LINE_OP;
	p++;
	if (end - p > 6 && memcmp(p, "order=", 6) == 0 && p[6] != '"') {
		id = p + 6;
		for (p = id; p < end && *p != ' '; p++)
			continue;
		*half = half_of_order(id, (size_t)(p - id));
		return kind;
	}
	if (record_parse(line, length, scratch) != 0)
		return LINE_BAD;
	id = record_get(scratch, "order");
	*half = id != NULL ? half_of_order(id, strlen(id)) : 0;
	return kind;
}

/* Notes a failure of r on line (status is not LEDGER_OK). */
static int failed(struct replay *r, long line, int status)
{
	long first;

	if (status == LEDGER_OK || status == REPLAY_STOPPED)
		return status;
	r->failed_line = line;
	first = atomic_load(&r->split->first_failure);
	while (line < first &&
	       !atomic_compare_exchange_weak(&r->split->first_failure, &first,
	                                     line))
		continue;
	return status;
}

/* One line for one half: the lines of its own operations and what frames
 * them (begin, commit) are replayed; of the other half's operations only
 * the count of orders and the end of this half's last operation. */
static int half_line(struct replay *r, const char *line, size_t length,
                     long number)
{
	int half = 0;
	line_kind kind;

	if (number > atomic_load_explicit(&r->split->first_failure,
	                                  memory_order_relaxed))
		return REPLAY_STOPPED;
	r->line = number;
	kind = classify(line, length, &r->rec, &half);
	switch (kind) {
	case LINE_BAD:
		return REPLAY_STOPPED;
	case LINE_BEGIN:
		r->op_mine = r->half == 0;  /* postings without operation */
		break;
	case LINE_COMMIT:
		break;
	case LINE_POST:
		if (!r->op_mine)
			return LEDGER_OK;
		break;
	case LINE_OTHER:
		if (r->half != 0)
			return LEDGER_OK;
		break;
	case LINE_ORDER:
	case LINE_OP:
		if (half != r->half) {
			int status = check_postings_done(r, number);

			if (kind == LINE_ORDER)
				r->orders_seen++;
			r->op_mine = false;
			r->expected.posting_count = 0;
			r->next_posting = 0;
			return failed(r, number, status);
		}
		r->op_mine = true;
		break;
	}
	if (record_parse(line, length, &r->rec) != 0)
		return REPLAY_STOPPED;
	return failed(r, number, replay_record(r, &r->rec, number));
}

/* Half 0, on the scan's lines (checked). */
static int first_half_view(void *ctx, const record_view *view, long number)
{
	size_t length = (size_t)(view->end - view->line) + 3 +
	                2 * LEDGER_HASH_SIZE;       /* " h=" and the hash */

	return half_line(ctx, view->line, length, number);
}

static int second_half_line(void *ctx, const char *line, size_t length,
                            long number)
{
	return half_line(ctx, line, length, number);
}

static void *second_half(void *arg)
{
	struct replay *r = arg;

	diag_defer_begin();
	r->status = ledger_read_lines(r->split->l, second_half_line, r);
	if (r->status == LEDGER_ENV)
		failed(r, r->line + 1, r->status);
	r->messages = diag_defer_end();
	return NULL;
}

/* The result of both halves, with the messages of the one that counts. */
static int settle(struct split *s)
{
	struct replay *a = &s->halves[0], *b = &s->halves[1], *winner;

	if (a->status == LEDGER_OK && b->status == LEDGER_OK) {
		diag_replay(a->messages);
		diag_replay(b->messages);
		return LEDGER_OK;
	}
	/* the earlier line; on one line the scan's verdict (half 0) */
	if (a->failed_line > 0 &&
	    (b->failed_line == 0 || a->failed_line <= b->failed_line))
		winner = a;
	else if (b->failed_line > 0)
		winner = b;
	else {                      /* cannot happen: a half lost its way */
		diag_replay_discard(a->messages);
		diag_replay_discard(b->messages);
		diag_error(ledger_path(s->l), b->line, "the second reader of "
		           "the ledger stopped where the scan did not");
		return LEDGER_ENV;
	}
	diag_replay(winner->messages);
	diag_replay_discard((winner == a ? b : a)->messages);
	return winner->status;
}

int ledger_replay_halves(ledger *l, const replay_target targets[2])
{
	struct split s = { .l = l, .first_failure = LONG_MAX };
	struct replay *a = &s.halves[0], *b = &s.halves[1];
	uint64_t committed_below = 0;
	pthread_t thread;
	int status = LEDGER_OK;

	if (targets[0].at_once || targets[1].at_once)
		status = ledger_last_commit_seq(l, &committed_below);
	if (status != LEDGER_OK)
		return status;
	for (int i = 0; i < 2; i++) {
		struct replay *r = &s.halves[i];

		r->target = &targets[i];
		r->path = ledger_path(l);
		r->committed_below = committed_below;
		r->split = &s;
		r->half = i;
		record_init(&r->rec);
	}
	if (pthread_create(&thread, NULL, second_half, b) != 0) {
		diag_error(NULL, 0, "cannot start a thread");
		status = LEDGER_ENV;
	} else {
		diag_defer_begin();
		a->status = ledger_scan_views(l, first_half_view, a);
		if (a->status != LEDGER_OK && a->status != REPLAY_STOPPED &&
		    a->failed_line == 0)        /* the scan's: the next line */
			failed(a, a->line + 1, a->status);
		a->messages = diag_defer_end();
		pthread_join(thread, NULL);
		status = settle(&s);
	}
	for (int i = 0; i < 2; i++) {
		struct replay *r = &s.halves[i];

		book_txn_abort(targets[i].book);
		drop_events(r);
		free(r->events);
		free(r->pending);
		record_free(&r->rec);
	}
	return status;
}

static void append(ledger *l, record_builder *rb)
{
	ledger_append(l, rb);
}

int ledger_post_batch(ledger *l, const batch *b, const op_effect *effects)
{
	record_builder rb;
	char hex[2 * LEDGER_HASH_SIZE + 1];
	char *path_copy = xstrdup(b->path);
	int status;

	record_builder_init(&rb);
	ledger_batch_begin(l);
	record_begin(&rb, "begin");
	record_add_str(&rb, "batch", b->id);
	record_add_str(&rb, "file", basename(path_copy));
	ledger_hash_hex(b->sha256, hex);
	record_add_str(&rb, "sha256", hex);
	record_add_str(&rb, "issued", b->issued != NULL ? b->issued : "");
	record_add_int(&rb, "ops", (int64_t)b->op_count);
	append(l, &rb);
	for (size_t i = 0; i < b->op_count; i++) {
		codec_encode_op(&rb, &b->ops[i], &effects[i]);
		append(l, &rb);
		for (int k = 0; k < effects[i].posting_count; k++) {
			codec_encode_posting(&rb, b->ops[i].order_id,
			                     &effects[i].postings[k]);
			append(l, &rb);
		}
	}
	status = ledger_batch_commit(l);
	record_builder_free(&rb);
	free(path_copy);
	return status;
}

/* ledger_load with one target, or (halves) ledger_load_halves. */
static int load(const char *path, ledger_mode mode,
                const replay_target *targets, bool halves, ledger **out)
{
	ledger *l;
	int status = ledger_open(path, mode, &l);

	/* Without events nobody reads a finished order's texts again. */
	for (int i = 0; i < (halves ? 2 : 1); i++)
		if (targets[i].on_event == NULL)
			order_book_shed_finished(targets[i].book);
	*out = NULL;
	if (status != LEDGER_OK)
		return status;
	status = halves ? ledger_replay_halves(l, targets)
	                : ledger_replay(l, targets);
	if (status == LEDGER_OK && mode == LEDGER_WRITE)
		status = ledger_rollback_tail(l);
	else if (status == LEDGER_OK && ledger_tail_bytes(l) > 0)
		diag_warning(path, 0, "%llu bytes of an uncommitted batch after "
		             "the last commit (rolled back by the next writer)",
		             (unsigned long long)ledger_tail_bytes(l));
	if (status != LEDGER_OK) {
		ledger_close(l);
		return status;
	}
	*out = l;
	return LEDGER_OK;
}

int ledger_load(const char *path, ledger_mode mode,
                const replay_target *target, ledger **out)
{
	return load(path, mode, target, false, out);
}

int ledger_load_halves(const char *path, const replay_target targets[2],
                       ledger **out)
{
	return load(path, LEDGER_READ, targets, true, out);
}
