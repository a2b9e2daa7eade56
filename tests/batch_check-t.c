/* The order rules: every stage transition, legal and illegal; money rules;
 * atomicity of a transaction; the penalty arithmetic. */
#include <stdlib.h>
#include <string.h>

#include <stdint.h>
#include <unistd.h>

#include "order_book.h"
#include "tap.h"
#include "util/diag.h"
#include "util/spill.h"
#include "util/strmap.h"

static date_t day(const char *text)
{
	date_t d;
	if (!date_parse(text, &d))
		bail("bad date %s", text);
	return d;
}

static operation new_order(const char *id)
{
	operation op = { .kind = OP_ORDER, .line = 1 };
	snprintf(op.order_id, sizeof op.order_id, "%s", id);
	snprintf(op.client.id, sizeof op.client.id, "C1");
	op.order_kind = KIND_LEGAL;
	op.on = day("2026-11-01");
	op.fields.present = FIELD_PRICE | FIELD_DUE | FIELD_EXECUTOR;
	op.fields.price = 100000;
	memcpy(op.fields.currency, "RUB", 4);
	op.fields.start = DATE_NONE;
	op.fields.due = day("2026-11-10");
	snprintf(op.fields.executor_id, sizeof op.fields.executor_id, "E1");
	op.fields.terms.has_penalty = true;
	op.fields.terms.penalty_rate_per_day = 1 * PERCENT_SCALE;  /* 1%/day */
	op.fields.terms.penalty_cap = 5 * PERCENT_SCALE;           /* 5% */
	return op;
}

static operation simple(op_kind kind, const char *id, const char *on)
{
	operation op = { .kind = kind, .line = 2 };
	snprintf(op.order_id, sizeof op.order_id, "%s", id);
	op.on = day(on);
	return op;
}

static operation advance(const char *id, stage to)
{
	operation op = simple(OP_ADVANCE, id, "2026-11-02");
	op.stage = to;
	return op;
}

static int apply(order_book *book, operation op, op_effect *effect)
{
	return book_apply(book, &op, "t.xml", day("2026-11-26"), effect);
}

/* Brings order id to stage `to` the legal way. */
static void bring_to(order_book *book, const char *id, stage to)
{
	operation op = new_order(id);
	/* a cancelled order is cancelled from planning */
	stage last = to == STAGE_CANCELLED ? STAGE_PLANNING : to;

	if (apply(book, op, NULL) != 0)
		bail("cannot create %s", id);
	for (stage s = STAGE_PLANNING; s <= last && s <= STAGE_EXECUTION; s++)
		if (apply(book, advance(id, s), NULL) != 0)
			bail("cannot advance %s to %s", id, stage_name(s));
	if (last >= STAGE_EVALUATION && last <= STAGE_CLOSED &&
	    apply(book, simple(OP_COMPLETE, id, "2026-11-05"), NULL) != 0)
		bail("cannot complete %s", id);
	if (to == STAGE_CLOSED) {
		operation ev = simple(OP_EVALUATE, id, "2026-11-06");
		ev.score = 5;
		if (apply(book, ev, NULL) != 0)
			bail("cannot evaluate %s", id);
	}
	if (to == STAGE_CANCELLED &&
	    apply(book, simple(OP_CANCEL, id, "2026-11-06"), NULL) != 0)
		bail("cannot cancel %s", id);
}

/* For every stage an order can be in and every target of <advance>, the
 * advance is legal exactly when the target is the next stage. */
static void test_advances(void)
{
	static const stage from[] = {
		STAGE_IDENTIFICATION, STAGE_PLANNING, STAGE_AGREEMENT,
		STAGE_FIXATION, STAGE_EXECUTION, STAGE_EVALUATION,
		STAGE_CLOSED, STAGE_CANCELLED
	};
	int n = 0;

	for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
		for (stage to = STAGE_PLANNING; to <= STAGE_EXECUTION; to++) {
			order_book *book = order_book_new(true);
			char id[16];
			bool legal = from[i] <= STAGE_EXECUTION &&
			             to == from[i] + 1;
			snprintf(id, sizeof id, "O%d", n++);
			book_txn_begin(book);
			bring_to(book, id, from[i]);
			is_int(legal ? 0 : -1, apply(book, advance(id, to), NULL),
			       "advance %s -> %s is %s", stage_name(from[i]),
			       stage_name(to), legal ? "legal" : "refused");
			book_txn_abort(book);
			order_book_free(book);
		}
	}
}

/* Which operations each stage accepts (besides advance). */
static void test_operations_by_stage(void)
{
	static const op_kind kinds[] = {
		OP_AMEND, OP_PROGRESS, OP_COST, OP_PAYMENT, OP_COMPLETE,
		OP_EVALUATE, OP_CANCEL
	};
	int n = 0;

	for (stage s = STAGE_IDENTIFICATION; s < STAGE_COUNT; s++) {
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			order_book *book = order_book_new(true);
			char id[16];
			operation op;
			bool open = s <= STAGE_EXECUTION, legal;

			snprintf(id, sizeof id, "P%d", n++);
			book_txn_begin(book);
			bring_to(book, id, s);
			op = simple(kinds[k], id, "2026-11-07");
			switch (kinds[k]) {
			case OP_AMEND:
				op.fields.present = FIELD_TITLE;
				op.fields.title = "New title";
				legal = open;
				break;
			case OP_PROGRESS:
				op.percent = 50;
				legal = open;
				break;
			case OP_COST:
			case OP_PAYMENT:
				op.amount = 500;
				memcpy(op.currency, "RUB", 4);
				legal = true;
				break;
			case OP_COMPLETE:
				legal = s == STAGE_EXECUTION;
				break;
			case OP_EVALUATE:
				op.score = 4;
				legal = s == STAGE_EVALUATION;
				break;
			default:
				legal = open;
				break;
			}
			is_int(legal ? 0 : -1, apply(book, op, NULL),
			       "%s in stage %s is %s", op_kind_name(kinds[k]),
			       stage_name(s), legal ? "accepted" : "refused");
			book_txn_abort(book);
			order_book_free(book);
		}
	}
}

static void test_rules(void)
{
	order_book *book = order_book_new(true);
	operation op;
	op_effect effect;

	book_txn_begin(book);
	op = new_order("R1");
	op.fields.present &= ~(unsigned)FIELD_PRICE;
	is_int(0, apply(book, op, NULL), "an order without a price");
	op = simple(OP_COST, "R1", "2026-11-02");
	op.amount = 100;
	memcpy(op.currency, "RUB", 4);
	is_int(-1, apply(book, op, NULL), "cost before a price is refused");
	is_int(-1, apply(book, simple(OP_PROGRESS, "nope", "2026-11-02"), NULL),
	       "unknown order is refused");
	is_int(-1, apply(book, new_order("R1"), NULL), "duplicate id refused");
	op = simple(OP_PROGRESS, "R1", "2026-10-31");
	is_int(-1, apply(book, op, NULL), "date before received is refused");
	op = simple(OP_PROGRESS, "R1", "2026-11-27");
	is_int(-1, apply(book, op, NULL), "date after as-of is refused");
	op = simple(OP_PROGRESS, "R1", "2026-11-03");
	op.percent = 40;
	is_int(0, apply(book, op, NULL), "progress 40");
	op.percent = 39;
	is_int(-1, apply(book, op, NULL), "progress may not go down");
	op.percent = 40;
	is_int(0, apply(book, op, NULL), "the same progress again is fine");
	apply(book, advance("R1", STAGE_PLANNING), NULL);
	apply(book, advance("R1", STAGE_AGREEMENT), NULL);
	is_int(-1, apply(book, advance("R1", STAGE_FIXATION), NULL),
	       "fixation without a price is refused");
	op = simple(OP_AMEND, "R1", "2026-11-03");
	op.fields.present = FIELD_PRICE;
	op.fields.price = 5000;
	memcpy(op.fields.currency, "EUR", 4);
	is_int(0, apply(book, op, &effect), "a price by amendment");
	is_int(2, effect.version, "amendment raises the version");
	is_int(FIELD_PRICE, effect.changed, "the price changed");
	is_int(-1, apply(book, op, NULL), "the same amendment changes nothing");
	is_int(2, order_book_lookup(book, "R1")->version,
	       "a refused op leaves the batch's copy as it was");
	op = simple(OP_PAYMENT, "R1", "2026-11-03");
	op.amount = 100;
	memcpy(op.currency, "RUB", 4);
	is_int(-1, apply(book, op, NULL), "payment in another currency");
	memcpy(op.currency, "EUR", 4);
	is_int(0, apply(book, op, &effect), "payment in the order currency");
	is_string("assets:bank", effect.postings[0].account, "debit bank");
	is_int(-100, effect.postings[1].amount, "credit receivable");
	is_string("assets:receivable:C1", effect.postings[1].account,
	          "receivable of the client");
	op = simple(OP_AMEND, "R1", "2026-11-03");
	op.fields.present = FIELD_PRICE;
	op.fields.price = 7000;
	memcpy(op.fields.currency, "USD", 4);
	is_int(-1, apply(book, op, NULL),
	       "currency may not change once money exists");
	op = simple(OP_AMEND, "R1", "2026-11-03");
	op.fields.present = FIELD_DUE;
	op.fields.due = day("2026-10-01");
	is_int(-1, apply(book, op, NULL), "due before received is refused");

	/* Atomicity: the transaction drops every change. */
	book_txn_abort(book);
	ok(order_book_find(book, "R1") == NULL, "abort leaves the book empty");
	book_txn_begin(book);
	apply(book, new_order("R2"), NULL);
	book_txn_commit(book);
	ok(order_book_find(book, "R2") != NULL, "commit keeps the order");
	order_book_free(book);
}

static void test_complete_postings(void)
{
	order_book *book = order_book_new(true);
	op_effect effect;

	book_txn_begin(book);
	bring_to(book, "L1", STAGE_EXECUTION);
	/* due 2026-11-10, completed 2026-11-13: 3 days × 1% = 3% of 1000.00 */
	is_int(0, apply(book, simple(OP_COMPLETE, "L1", "2026-11-13"), &effect),
	       "late completion");
	is_int(3, effect.days_late, "three days late");
	is_int(3000, effect.penalty, "penalty 30.00");
	is_int(4, effect.posting_count, "four postings");
	is_string("income:legal", effect.postings[1].account, "income by kind");
	is_string("expenses:penalties", effect.postings[2].account,
	          "penalty expense");
	book_txn_abort(book);
	order_book_free(book);
}

/* A closed order shed of its texts still takes costs and payments. */
static void test_shed(void)
{
	order_book *book = order_book_new(true);
	operation op;
	op_effect effect;
	const order_state *o;

	order_book_shed_finished(book);
	book_txn_begin(book);
	bring_to(book, "S1", STAGE_CLOSED);
	book_txn_commit(book);
	o = order_book_find(book, "S1");
	ok(o != NULL && o->client.name == NULL && o->fields.title == NULL,
	   "a closed order keeps no texts");
	book_txn_begin(book);
	op = simple(OP_PAYMENT, "S1", "2026-11-20");
	op.amount = 700;
	memcpy(op.currency, "RUB", 4);
	is_int(0, apply(book, op, &effect), "a late payment is accepted");
	is_string("assets:receivable:C1", effect.postings[1].account,
	          "to the client's receivable");
	memcpy(op.currency, "EUR", 4);
	is_int(-1, apply(book, op, NULL), "in the order's currency only");
	is_int(-1, apply(book, simple(OP_CANCEL, "S1", "2026-11-20"), NULL),
	       "and nothing else");
	book_txn_commit(book);
	order_book_free(book);
}

/* Completed, closed and cancelled orders freeze, in memory or spilled to
 * a scratch file, and thaw with what later operations need; each order
 * keeps the ordinal it was created with. */
static void test_frozen(bool spill)
{
	order_book *book = order_book_new(true);
	const char *what = spill ? "spilled" : "in memory";
	int fd = -1;
	operation op;
	op_effect effect;
	const order_state *o;
	char id[16];
	stage stages[] = { STAGE_EVALUATION, STAGE_CLOSED, STAGE_CANCELLED,
	                   STAGE_EXECUTION };

	if (spill && (fd = spill_open(".")) < 0)
		bail("no scratch file");
	order_book_shed_finished(book);
	if (spill)
		order_book_spill(book, fd, 1);
	/* many orders, so the frozen table grows and wraps */
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof id, "F%d", i);
		book_txn_begin(book);
		bring_to(book, id, stages[i % 4]);
		book_txn_commit(book);
	}
	is_int(3000, (long)order_book_count(book), "%s: every order counted",
	       what);
	o = order_book_find(book, "F2998");
	ok(o != NULL && o->stage == STAGE_CANCELLED && o->ordinal == 2998 &&
	   o->fields.title == NULL && strcmp(o->client.id, "C1") == 0 &&
	   strcmp(o->fields.currency, "RUB") == 0 &&
	   o->received == day("2026-11-01"),
	   "%s: a cancelled order thaws with its ordinal, client, currency and "
	   "dates, without texts", what);
	o = order_book_find(book, "F2999");
	ok(o != NULL && o->stage == STAGE_EXECUTION && o->ordinal == 2999,
	   "%s: an open order stays whole", what);
	ok(order_book_find(book, "F3000") == NULL, "%s: unknown stays unknown",
	   what);
	/* a completed order takes its evaluation and payments, twice over */
	for (int round = 0; round < 2; round++) {
		book_txn_begin(book);
		op = simple(OP_PAYMENT, "F4", "2026-11-20");
		op.amount = 700;
		memcpy(op.currency, "RUB", 4);
		is_int(0, apply(book, op, &effect), "%s: a payment on a frozen "
		       "order (round %d)", what, round + 1);
		is_int(4, (long)effect.ordinal, "%s: its effect names the "
		       "ordinal", what);
		book_txn_commit(book);
	}
	o = order_book_find(book, "F4");
	ok(o != NULL && o->payments == 1400 && o->has_money,
	   "%s: the payments add up across thaws", what);
	book_txn_begin(book);
	op = simple(OP_EVALUATE, "F4", "2026-11-21");
	op.score = 4;
	is_int(0, apply(book, op, NULL), "%s: evaluated", what);
	is_int(-1, apply(book, new_order("F4"), NULL),
	       "%s: a frozen id cannot be created again", what);
	book_txn_abort(book);
	o = order_book_find(book, "F4");
	ok(o != NULL && o->stage == STAGE_EVALUATION,
	   "%s: an aborted batch leaves the frozen order as it was", what);
	book_txn_begin(book);
	is_int(0, apply(book, new_order("G1"), &effect), "%s: a new order",
	       what);
	is_int(3000, (long)effect.ordinal, "%s: gets the next ordinal", what);
	book_txn_abort(book);
	book_txn_begin(book);
	is_int(0, apply(book, new_order("G2"), &effect), "%s: after an abort",
	       what);
	is_int(3000, (long)effect.ordinal, "%s: the ordinal is reused", what);
	book_txn_commit(book);
	order_book_free(book);
	if (fd >= 0)
		close(fd);
}

static void test_strmap_remove(void)
{
	strmap *map = strmap_new();
	char key[16];
	size_t missing = 0;

	for (int i = 0; i < 500; i++) {
		snprintf(key, sizeof key, "k%d", i);
		strmap_put(map, key, (void *)(uintptr_t)(i + 1));
	}
	for (int i = 0; i < 500; i += 3) {
		snprintf(key, sizeof key, "k%d", i);
		if (strmap_remove(map, key) != (void *)(uintptr_t)(i + 1))
			missing++;
	}
	ok(strmap_remove(map, "k0") == NULL, "strmap: removing twice finds "
	   "nothing");
	for (int i = 0; i < 500; i++) {
		snprintf(key, sizeof key, "k%d", i);
		if ((strmap_get(map, key) != NULL) != (i % 3 != 0))
			missing++;
	}
	is_int(0, (long)missing, "strmap: the removed keys are gone, every "
	       "other is still found");
	is_int(333, (long)strmap_count(map), "strmap: the count follows");
	strmap_free(map);
}

struct penalty_case {
	int64_t price;
	int64_t rate, cap;      /* × PERCENT_SCALE */
	int days;
	int64_t expected;
	bool fits;
	const char *what;
};

static void test_penalties(void)
{
	static const struct penalty_case cases[] = {
		{ 15000000, 1000, 100000, 5, 75000, true, "0.1%/day × 5 days" },
		{ 15000000, 1000, 100000, 0, 0, true, "zero days: no penalty" },
		{ 15000000, 1000, 100000, 500, 1500000, true, "capped at 10%" },
		{ 15000000, 1000, 0, 5, 0, true, "cap 0%: nothing" },
		{ 999, 5000, 1000000, 1, 5, true, "4.995 rounds up to 5" },
		{ 1001, 5000, 1000000, 1, 5, true, "5.005 rounds down to 5" },
		{ 3, 500000, 1000000, 1, 2, true, "1.5 rounds half up to 2" },
		{ 123456, 1, 1000000, 1, 0, true, "JPY: 0.12 yen rounds to 0" },
		{ 1234567, 1, 1000000, 1, 1, true, "JPY: 1.23 yen rounds to 1" },
		{ 1000000, 10000, 1000000, 1, 10000, true, "JPY: 1% of 1,000,000" },
		{ INT64_MAX, 1000000, 1000000, 2, INT64_MAX, true,
		  "100% cap of INT64_MAX fits" },
		{ INT64_MAX, 1000000, 2000000, 2, 0, false,
		  "200% of INT64_MAX overflows: refused" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct penalty_case *c = &cases[i];
		order_terms terms = { .has_penalty = true,
		                      .penalty_rate_per_day = c->rate,
		                      .penalty_cap = c->cap };
		int64_t got = -1;
		bool fits = penalty_amount(c->price, &terms, c->days, &got);
		is_int(c->fits, fits, "%s: %s", c->what,
		       c->fits ? "fits" : "overflow reported");
		if (c->fits)
			is_int(c->expected, got, "%s: amount", c->what);
	}
}

int main(void)
{
	FILE *sink = tmpfile();

	plan_lazy();
	diag_set_stream(sink);
	test_advances();
	test_operations_by_stage();
	test_rules();
	test_complete_postings();
	test_shed();
	test_frozen(false);
	test_frozen(true);
	test_strmap_remove();
	test_penalties();
	fclose(sink);
	return tap_done();
}
