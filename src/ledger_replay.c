/* Replaying and posting batches; see ledger_replay.h. */
#include "ledger_replay.h"
#include "replay_core.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_codec.h"
#include "util/diag.h"
#include "util/text.h"
#include "util/xalloc.h"

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
	p->order_number = r->order_number;
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
		.order_number = r->order_number
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

int replay_postings_done(struct replay *r, long line)
{
	if (r->next_posting != r->expected.posting_count) {
		r->postings_missing = true;
		return integrity(r, line, "postings of the previous operation "
		                 "are missing", "");
	}
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

	if ((status = replay_postings_done(r, line)) != LEDGER_OK)
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
	int status = replay_postings_done(r, line);

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

int replay_record(void *ctx, const record *rec, long line)
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
		r->order_number = strcmp(rec->type, "order") == 0
		                  ? r->orders_seen++ : 0;
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
	replay_end(&r);
	return status;
}

void replay_end(struct replay *r)
{
	/* An uncommitted tail leaves its batch open: it never happened. */
	book_txn_abort(r->target->book);
	drop_events(r);
	free(r->events);
	free(r->pending);
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
