/* Planning documents from replay events; see doc_plan.h. */
#include "doc_plan.h"

#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"
#include "util/xalloc.h"

const char *doc_kind_name(doc_kind kind)
{
	switch (kind) {
	case DOC_AGREEMENT:
		return "agreement";
	case DOC_AMENDMENT:
		return "amendment";
	case DOC_ACT:
		break;
	}
	return "act";
}

/* The payments of one order: (date, amount) in booking order. */
struct payment_list {
	struct { date_t on; int64_t amount; } *items;
	size_t count, capacity;
};

void doc_plan_init(doc_plan *plan, char *const *only, size_t only_count)
{
	memset(plan, 0, sizeof *plan);
	plan->payments = strmap_new();
	plan->only = only;
	plan->only_count = only_count;
}

static void free_payments(const char *key, void *value, void *ctx)
{
	struct payment_list *list = value;
	(void)key;
	(void)ctx;
	free(list->items);
	free(list);
}

void doc_plan_free(doc_plan *plan)
{
	for (size_t i = 0; i < plan->count; i++) {
		order_state_free(plan->jobs[i].order);
		order_state_free(plan->jobs[i].before);
		free(plan->jobs[i].reason);
	}
	free(plan->jobs);
	if (plan->payments != NULL) {
		strmap_each(plan->payments, free_payments, NULL);
		strmap_free(plan->payments);
	}
	memset(plan, 0, sizeof *plan);
}

static bool wanted(const doc_plan *plan, const char *order_id)
{
	if (plan->only_count == 0)
		return true;
	for (size_t i = 0; i < plan->only_count; i++)
		if (strcmp(plan->only[i], order_id) == 0)
			return true;
	return false;
}

static void remember_payment(doc_plan *plan, const operation *op)
{
	struct payment_list *list = strmap_get(plan->payments, op->order_id);

	if (list == NULL) {
		list = xcalloc(1, sizeof *list);
		strmap_put(plan->payments, op->order_id, list);
	}
	list->items = xgrow(list->items, &list->capacity, list->count + 1,
	                    sizeof *list->items);
	list->items[list->count].on = op->on;
	list->items[list->count].amount = op->amount;
	list->count++;
}

/* Payments booked so far and dated on or before `on`: what an act shows,
 * the same whatever is booked later. */
static int64_t payments_until(const doc_plan *plan, const char *order_id,
                              date_t on)
{
	const struct payment_list *list = strmap_get(plan->payments, order_id);
	int64_t sum = 0;

	for (size_t i = 0; list != NULL && i < list->count; i++)
		if (list->items[i].on <= on)
			sum += list->items[i].amount;    /* each ≤ total, no wrap:
			                                    the book checked it */
	return sum;
}

static void add_job(doc_plan *plan, doc_kind kind, const replay_event *e)
{
	doc_job *job;

	plan->jobs = xgrow(plan->jobs, &plan->capacity, plan->count + 1,
	                   sizeof *plan->jobs);
	job = &plan->jobs[plan->count++];
	memset(job, 0, sizeof *job);
	job->kind = kind;
	job->order = order_state_clone(e->after);
	job->before = kind == DOC_AMENDMENT ? order_state_clone(e->before)
	                                    : NULL;
	job->effect = *e->effect;
	job->date = e->op->on;
	job->seq = e->seq;
	if (kind == DOC_AMENDMENT && e->op->reason != NULL)
		job->reason = xstrdup(e->op->reason);
	if (kind == DOC_ACT)
		job->payments = payments_until(plan, e->op->order_id, e->op->on);
}

bool doc_plan_wants(void *ctx, const operation *op)
{
	(void)ctx;
	return op->kind == OP_PAYMENT || op->kind == OP_AMEND ||
	       op->kind == OP_COMPLETE ||
	       (op->kind == OP_ADVANCE && op->stage == STAGE_FIXATION);
}

void doc_plan_on_event(void *ctx, const replay_event *e)
{
	doc_plan *plan = ctx;
	const operation *op = e->op;

	if (op->kind == OP_PAYMENT) {
		remember_payment(plan, op);
		return;
	}
	if (!wanted(plan, op->order_id))
		return;
	if (op->kind == OP_ADVANCE && op->stage == STAGE_FIXATION)
		add_job(plan, DOC_AGREEMENT, e);
	else if (op->kind == OP_AMEND && e->before != NULL &&
	         e->before->stage >= STAGE_FIXATION)
		add_job(plan, DOC_AMENDMENT, e);
	else if (op->kind == OP_COMPLETE)
		add_job(plan, DOC_ACT, e);
}

char *doc_job_path(const doc_job *job, const char *out_dir)
{
	return xasprintf("%s/pdf/%s/%s-v%d-%s.pdf", out_dir, job->order->id,
	                 job->order->id, job->order->version,
	                 doc_kind_name(job->kind));
}
