/* ledger_replay: the sample days booked through the C API, replayed with
 * events, at commit and at once; an uncommitted tail delivers nothing;
 * a replay equals the book that wrote the ledger; the last commit line
 * found backwards is the one a scan ends on, wherever the file is cut. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger_replay.h"
#include "sample_ledger.h"
#include "tap.h"
#include "util/diag.h"

struct tally {
	size_t events, amend_versions_ok, amends, orders_without_before;
	size_t without_after;
	uint64_t last_seq;
	bool seq_increasing;
	char last_batch[IDENT_MAX + 1];
};

static void count_event(void *ctx, const replay_event *e)
{
	struct tally *t = ctx;

	t->events++;
	if (e->after == NULL)
		t->without_after++;
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

static bool amends_only(void *ctx, const operation *op)
{
	(void)ctx;
	return op->kind == OP_AMEND;
}

/* Replays path delivering at once (before-states for amendments only);
 * the tally is reset first. */
static int replay_at_once(const char *path, struct tally *t)
{
	order_book *book = order_book_new(true);
	replay_target target = { .book = book, .on_event = count_event,
	                         .wants_states = amends_only, .ctx = t,
	                         .at_once = true };
	ledger *l;
	int status;

	memset(t, 0, sizeof *t);
	t->seq_increasing = true;
	order_book_in_place(book);
	status = ledger_load(path, LEDGER_READ, &target, &l);
	ledger_close(l);
	order_book_free(book);
	return status;
}

/* Whether, for the file cut at every step-th length from `from` on, the
 * last commit found backwards (blocks of `block` bytes) is where a scan
 * ends. */
static bool last_commit_everywhere(const char *data, size_t length,
                                   size_t from, size_t step,
                                   const char *path, size_t block)
{
	for (size_t cut = from; cut <= length; cut += step) {
		FILE *out = fopen(path, "wb");
		uint64_t found = 99, scanned;
		ledger *l;

		fwrite(data, 1, cut, out);
		fclose(out);
		if (ledger_open(path, LEDGER_READ, &l) != LEDGER_OK)
			return false;
		ledger_scan_tune(l, block, 1, true);
		if (ledger_last_commit_seq(l, &found) != LEDGER_OK ||
		    ledger_scan(l, NULL, NULL) != LEDGER_OK) {
			ledger_close(l);
			return false;
		}
		scanned = ledger_head_get(l).seq;
		ledger_close(l);
		if (found != scanned) {
			diag("cut at %zu (block %zu): found %llu, scan ends "
			     "at %llu", cut, block, (unsigned long long)found,
			     (unsigned long long)scanned);
			return false;
		}
	}
	return true;
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

	plan(27);
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

	/* At once: the same events, each with its after-state; the torn
	 * batch's never arrive. */
	is_int(0, replay_at_once(path, &t), "replays at once");
	is_int((long long)ops, (long long)t.events,
	       "at once: one event per operation");
	ok(t.seq_increasing, "at once: in ledger order");
	is_int(0, (long long)t.without_after, "at once: every event has its "
	       "after-state");
	ok(t.amends > 0 && t.amends == t.amend_versions_ok,
	   "at once: each amendment has its before-state, one version back");
	is_int(0, replay_at_once(torn, &t), "a torn ledger replays at once");
	is_string("B-2026-11-24", t.last_batch,
	          "at once: the uncommitted last batch delivers no event");
	{
		/* the operations of the committed batches, counted at commit */
		struct tally committed = { .seq_increasing = true };
		order_book *b = order_book_new(true);
		replay_target at_commit = { .book = b, .on_event = count_event,
		                            .ctx = &committed };
		ledger_load(torn, LEDGER_READ, &at_commit, &l);
		ledger_close(l);
		order_book_free(b);
		is_int((long long)committed.events, (long long)t.events,
		       "at once: as many events as at commit");
	}

	/* The last commit line, for the file cut at every byte of its last
	 * two batches, read in blocks shorter than a line, of a few lines,
	 * and of the whole file. */
	{
		size_t from = length > 6000 ? length - 6000 : 0;
		ok(last_commit_everywhere(data, length, from, 1, torn, 64),
		   "last commit: blocks shorter than a line");
		ok(last_commit_everywhere(data, length, from, 1, torn, 700),
		   "last commit: blocks of a few lines");
		ok(last_commit_everywhere(data, length, 0, 37, torn, 0),
		   "last commit: from an empty file to the whole, one block");
	}

	free(data);
	order_book_free(book);
	trial_balance_free(tb);
	fclose(sink);
	free(path);
	free(torn);
	return tap_done();
}
