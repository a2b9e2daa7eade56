/* One replay's state and steps, shared by ledger_replay.c (a replay)
 * and ledger_halves.c (a replay in two halves at once); private to them.
 * See ledger_replay.h. */
#ifndef MANDATE_REPLAY_CORE_H
#define MANDATE_REPLAY_CORE_H

#include "ledger_replay.h"

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
	/* <order> records so far, and the current operation's
	 * replay_event.order_number */
	size_t orders_seen, order_number;
	/* the last failure was replay_postings_done's */
	bool postings_missing;
};

/* The ledger_record_fn of a replay (ctx: a struct replay, zeroed but
 * for target, path and committed_below). */
int replay_record(void *ctx, const record *rec, long line);
/* Whether the last operation got all its postings: LEDGER_OK, or
 * LEDGER_INTEGRITY (reported on line). */
int replay_postings_done(struct replay *r, long line);
/* After the scan: drops the open batch (the uncommitted tail) and what
 * r holds. */
void replay_end(struct replay *r);

#endif
