/* Which documents the ledger calls for (SPEC §4), found by replaying it:
 *
 *   agreement  when an order enters fixation (the order as fixed; dated the
 *              day of the advance);
 *   amendment  for every amendment accepted in fixation or execution (the
 *              order before and after; dated the effective date);
 *   act        when an order is completed (dated the completion date; the
 *              payments booked so far and dated on or before it).
 *
 * Each planned document owns copies of the states it shows, so the plan
 * outlives the replay (and survives fork() for parallel rendering). */
#ifndef MANDATE_DOC_PLAN_H
#define MANDATE_DOC_PLAN_H

#include <stddef.h>

#include "doc_kind.h"
#include "ledger_replay.h"
#include "order_book.h"


typedef struct doc_job {
	doc_kind kind;
	order_state *order;        /* owned: the order as the document shows it */
	order_state *before;       /* owned: amendment only, else NULL */
	op_effect effect;          /* the operation's effect (changed, penalty) */
	date_t date;               /* the document's date */
	char *reason;              /* owned: amendment's reason, else NULL */
	int64_t payments;          /* act: payments dated on or before `date` */
	uint64_t seq;              /* ledger record that called for it */
} doc_job;

typedef struct doc_plan {
	doc_job *jobs;
	size_t count, capacity;
	/* private: payments seen so far per order, for acts */
	struct strmap *payments;
	/* only these orders (NULL: all) */
	char *const *only;
	size_t only_count;
} doc_plan;

/* only/only_count: restrict to these order ids (0: every order). */
void doc_plan_init(doc_plan *plan, char *const *only, size_t only_count);
void doc_plan_free(doc_plan *plan);
/* The replay_event_fn to give ledger_replay (ctx = the plan), and the
 * filter of the operations it needs (replay_target.wants). */
void doc_plan_on_event(void *ctx, const replay_event *event);
bool doc_plan_wants(void *ctx, const operation *op);
/* "DIR/pdf/ORDER/ORDER-vVERSION-KIND.pdf", owned by the caller. */
char *doc_job_path(const doc_job *job, const char *out_dir);

#endif
