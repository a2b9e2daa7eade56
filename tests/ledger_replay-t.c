/* ledger_replay: the sample days booked through the C API, replayed with
 * events; an uncommitted tail delivers nothing; a replay equals the book
 * that wrote the ledger. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger_replay.h"
#include "sample_ledger.h"
#include "tap.h"
#include "util/diag.h"

struct tally {
	size_t events, amend_versions_ok, amends, orders_without_before;
	uint64_t last_seq;
	bool seq_increasing;
	char last_batch[IDENT_MAX + 1];
};

static void count_event(void *ctx, const replay_event *e)
{
	struct tally *t = ctx;

	t->events++;
	if (e->seq <= t->last_seq)
		t->seq_increasing = false;
	t->last_seq = e->seq;
	snprintf(t->last_batch, sizeof t->last_batch, "%s", e->batch_id);
	if (e->op->kind == OP_ORDER && e->before == NULL)
		t->orders_without_before++;
	if (e->op->kind == OP_AMEND) {
		t->amends++;
		if (e->before != NULL && e->after != NULL &&
		    e->after->version == e->before->version + 1 &&
		    e->effect->version == e->after->version)
			t->amend_versions_ok++;
	}
}

int main(void)
{
	char *path = test_tmp_path("replay-t.ledger");
	char *torn = test_tmp_path("replay-t-torn.ledger");
	struct tally t = { .seq_increasing = true };
	order_book *book = order_book_new(true);
	trial_balance *tb = trial_balance_new();
	replay_target target = { .book = book, .balances = tb,
	                         .on_event = count_event, .ctx = &t };
	const order_state *o;
	const balance_line *lines;
	size_t ops, count;
	int64_t total = 0;
	ledger *l;
	FILE *sink = tmpfile();
	char *data;
	size_t length;

	plan(16);
	diag_set_stream(sink);
	unlink(path);
	ops = book_sample_days(path);
	is_int(0, ledger_load(path, LEDGER_READ, &target, &l), "replays");
	ledger_close(l);
	is_int((long long)ops, (long long)t.events, "one event per operation");
	ok(t.seq_increasing, "events come in ledger order");
	is_string("B-2026-11-26", t.last_batch, "the last batch's id");
	ok(t.amends > 0, "the samples amend orders");
	is_int((long long)t.amends, (long long)t.amend_versions_ok,
	       "each amendment raises the version by one");
	ok(t.orders_without_before > 0, "a new order has no before-state");
	o = order_book_find(book, "CON-0103");
	ok(o != NULL, "CON-0103 replayed");
	is_int(STAGE_CLOSED, o ? (int)o->stage : -1, "CON-0103 is closed");
	is_int(3, o ? o->score : -1, "with its score");
	o = order_book_find(book, "LOG-0105");
	is_int(STAGE_CANCELLED, o ? (int)o->stage : -1, "LOG-0105 is cancelled");
	lines = trial_balance_lines(tb, &count);
	for (size_t i = 0; i < count; i++)
		if (strcmp(lines[i].currency, "EUR") == 0)
			total += lines[i].balance;
	is_int(0, total, "the EUR trial balance sums to zero");

	/* Cut the ledger inside its last batch: that batch is not delivered. */
	data = test_read_file(path, &length);
	{
		FILE *out = fopen(torn, "wb");
		fwrite(data, 1, length - 40, out);
		fclose(out);
	}
	order_book_free(book);
	book = order_book_new(true);
	memset(&t, 0, sizeof t);
	t.seq_increasing = true;
	target = (replay_target){ .book = book, .on_event = count_event,
	                          .ctx = &t };
	is_int(0, ledger_load(torn, LEDGER_READ, &target, &l),
	       "a torn ledger replays");
	ledger_close(l);
	is_string("B-2026-11-24", t.last_batch,
	          "the uncommitted last batch delivers no event");
	ok(t.events < ops, "fewer events than operations");
	ok(order_book_has_batch(book, "B-2026-11-24") &&
	   !order_book_has_batch(book, "B-2026-11-26"),
	   "the book holds the committed batches only");

	free(data);
	order_book_free(book);
	trial_balance_free(tb);
	fclose(sink);
	free(path);
	free(torn);
	return tap_done();
}
