/* doc_plan: the documents the sample days call for. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doc_plan.h"
#include "sample_ledger.h"
#include "tap.h"
#include "util/diag.h"

static const doc_job *find(const doc_plan *plan, doc_kind kind,
                           const char *order)
{
	for (size_t i = 0; i < plan->count; i++)
		if (plan->jobs[i].kind == kind &&
		    strcmp(plan->jobs[i].order->id, order) == 0)
			return &plan->jobs[i];
	return NULL;
}

static size_t count(const doc_plan *plan, doc_kind kind)
{
	size_t n = 0;
	for (size_t i = 0; i < plan->count; i++)
		n += plan->jobs[i].kind == kind;
	return n;
}

static void replay_into(const char *path, doc_plan *plan)
{
	order_book *book = order_book_new(true);
	replay_target target = { .book = book, .on_event = doc_plan_on_event,
	                         .wants = doc_plan_wants, .ctx = plan };
	ledger *l;

	if (ledger_load(path, LEDGER_READ, &target, &l) != 0)
		bail("cannot replay %s", path);
	ledger_close(l);
	order_book_free(book);
}

int main(void)
{
	char *path = test_tmp_path("doc_plan-t.ledger");
	char *only[] = { "CON-0103" };
	doc_plan docs;
	const doc_job *job;
	char *file, day[11];
	FILE *sink = tmpfile();

	plan(17);
	diag_set_stream(sink);
	unlink(path);
	book_sample_days(path);

	doc_plan_init(&docs, NULL, 0);
	replay_into(path, &docs);
	is_int(7, (long long)count(&docs, DOC_AGREEMENT),
	       "an agreement for each of the 7 orders fixed");
	is_int(2, (long long)count(&docs, DOC_AMENDMENT),
	       "amendments only for the 2 amended after fixation");
	is_int(3, (long long)count(&docs, DOC_ACT), "an act per completion");
	ok(find(&docs, DOC_AMENDMENT, "FIN-0101") == NULL,
	   "FIN-0101's amendment before fixation issues no document");
	job = find(&docs, DOC_AMENDMENT, "LEG-0102");
	ok(job != NULL && job->before != NULL, "LEG-0102's amendment has a before");
	ok(job != NULL && job->order->version == job->before->version + 1,
	   "and raises the version");
	ok(job != NULL && (job->effect.changed & FIELD_DUE),
	   "its changed fields include the due date");
	date_format(job ? job->date : 0, day);
	is_string("2026-11-20", day, "dated the effective date");
	job = find(&docs, DOC_ACT, "CON-0103");
	ok(job != NULL, "CON-0103 has an act");
	is_int(2400000, job ? job->payments : -1,
	       "the act counts the advance, not the later final payment");
	is_int(4, job ? job->effect.days_late : -1, "four days late");
	is_int(96000, job ? job->effect.penalty : -1, "penalty 960.00 EUR");
	file = doc_job_path(job, "out");
	is_string("out/pdf/CON-0103/CON-0103-v1-act.pdf", file, "act path");
	free(file);
	job = find(&docs, DOC_AGREEMENT, "FIN-0101");
	ok(job != NULL && job->order->stage == STAGE_FIXATION,
	   "the agreement shows the order as fixed");
	date_format(job ? job->date : 0, day);
	is_string("2026-11-13", day, "dated the day of fixation");
	doc_plan_free(&docs);

	doc_plan_init(&docs, only, 1);
	replay_into(path, &docs);
	is_int(2, (long long)docs.count, "--order CON-0103: agreement and act");
	ok(find(&docs, DOC_AGREEMENT, "FIN-0101") == NULL,
	   "and nothing of other orders");
	doc_plan_free(&docs);
	fclose(sink);
	free(path);
	return tap_done();
}
