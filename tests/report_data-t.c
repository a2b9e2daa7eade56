/* report_data in two parts, fed events as the two halves of a replay
 * would: the orders come back merged in ledger order, and money sums do
 * not depend on how the orders were shared out.  A balance or a month's
 * costs is judged exactly, once everything is in; an order's total that
 * overflows is said once, the earliest, whichever part found it.  One
 * part fed the same events in ledger order says the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_data.h"
#include "tap.h"
#include "util/diag.h"

#define DAY date_from_ymd(2026, 11, 20)

/* The orders of the test, each with its state (as `after`). */
typedef struct order {
	order_state state;
	unsigned part;              /* which part collects it */
	size_t ordinal;             /* in its part's book */
} order;

static void order_init(order *o, const char *id, unsigned part,
                       size_t ordinal)
{
	memset(o, 0, sizeof *o);
	snprintf(o->state.id, sizeof o->state.id, "%s", id);
	snprintf(o->state.client.id, sizeof o->state.client.id, "CL");
	o->state.client.name = "Client";
	o->state.received = DAY;
	o->state.kind = KIND_OTHER;
	o->part = part;
	o->ordinal = ordinal;
}

/* Feeds data one operation of o: <order> (number: its place in the
 * ledger), or a cost or payment of amount with one posting of
 * posted to assets:bank. */
static void feed(report_data *data, unsigned parts, order *o, op_kind kind,
                 uint64_t seq, size_t number, int64_t amount,
                 int64_t posted)
{
	operation op = { .kind = kind, .on = DAY, .amount = amount,
	                 .currency = "RUB" };
	op_effect effect = { .ordinal = o->ordinal, .version = 1 };
	replay_event e = { .seq = seq, .line = (long)seq, .batch_id = "B",
	                   .op = &op, .effect = &effect, .after = &o->state,
	                   .order_number = number };

	snprintf(op.order_id, sizeof op.order_id, "%s", o->state.id);
	if (posted != 0) {
		effect.posting_count = 1;
		snprintf(effect.postings[0].account,
		         sizeof effect.postings[0].account, "assets:bank");
		memcpy(effect.postings[0].currency, "RUB", 4);
		effect.postings[0].amount = posted;
	}
	report_data_event(report_data_part(data, parts == 1 ? 0 : o->part),
	                  &e);
}

/* What loading said, and whether it found an overflow. */
static char *load(report_data *data, bool *overflow)
{
	FILE *sink = tmpfile();
	long size;
	char *text;

	diag_set_stream(sink);
	report_data_loaded(data);
	diag_set_stream(NULL);
	size = ftell(sink);
	rewind(sink);
	text = calloc(1, (size_t)size + 1);
	if (fread(text, 1, (size_t)size, sink) != (size_t)size)
		bail("cannot read the messages back");
	fclose(sink);
	*overflow = data->overflow;
	return text;
}

/* The bank balance, or a note of why there is none. */
static long long bank(report_data *data)
{
	size_t n;
	const balance_line *lines = trial_balance_lines(data->balances, &n);

	return n == 1 && strcmp(lines[0].account, "assets:bank") == 0
	       ? (long long)lines[0].balance : -1;
}

int main(void)
{
	char *dir = test_tmp_path("report_data-t");
	order a, b;
	bool overflow;
	char *said;

	plan(12);
	for (unsigned parts = 1; parts <= 2; parts++) {
		report_data *data = report_data_new(DAY, dir, parts);
		report_cursor c;
		const report_order *ro;
		char ids[16] = "";

		/* B is first in the ledger, but collected by the second part */
		order_init(&b, "B", 1, 0);
		order_init(&a, "A", 0, parts == 1 ? 1 : 0);
		if (parts == 1)
			b.ordinal = 0;
		feed(data, parts, &b, OP_ORDER, 1, 0, 0, 0);
		feed(data, parts, &a, OP_ORDER, 2, 1, 0, 0);
		/* MAX + 2 - MAX: past 64 bits on the way in ledger order */
		feed(data, parts, &a, OP_PAYMENT, 3, 0, 1, INT64_MAX);
		feed(data, parts, &b, OP_PAYMENT, 4, 0, 1, 2);
		feed(data, parts, &a, OP_PAYMENT, 5, 0, 1, -INT64_MAX);
		said = load(data, &overflow);
		ok(!overflow && said[0] == '\0',
		   "%u part(s): a balance that passes 64 bits on the way only "
		   "is no overflow", parts);
		is_int(2, bank(data), "%u part(s): it is summed exactly", parts);
		report_orders_begin(&c, data);
		while ((ro = report_orders_next(&c)) != NULL)
			strncat(ids, ro->id, sizeof ids - strlen(ids) - 1);
		report_cursor_end(&c);
		is_string("BA", ids, "%u part(s): the orders in ledger order",
		          parts);
		free(said);
		report_data_free(data);
	}

	/* A balance that does not fit once all is in. */
	{
		report_data *data = report_data_new(DAY, dir, 2);

		order_init(&a, "A", 0, 0);
		order_init(&b, "B", 1, 0);
		feed(data, 2, &a, OP_ORDER, 1, 0, 0, 0);
		feed(data, 2, &b, OP_ORDER, 2, 1, 0, 0);
		feed(data, 2, &a, OP_PAYMENT, 3, 0, 1, INT64_MAX);
		feed(data, 2, &b, OP_PAYMENT, 4, 0, 1, 2);
		said = load(data, &overflow);
		ok(overflow && strstr(said, "report: balance of assets:bank in "
		                      "RUB overflows") != NULL,
		   "a balance past 64 bits: said, with its account");
		free(said);
		report_data_free(data);
	}

	/* Orders' totals: the earliest overflow is said, once. */
	for (unsigned parts = 1; parts <= 2; parts++) {
		report_data *data = report_data_new(DAY, dir, parts);

		order_init(&a, "A", 0, 0);
		order_init(&b, "B", 1, parts == 1 ? 1 : 0);
		feed(data, parts, &a, OP_ORDER, 1, 0, 0, 0);
		feed(data, parts, &b, OP_ORDER, 2, 1, 0, 0);
		feed(data, parts, &b, OP_COST, 3, 0, INT64_MAX, 0);
		feed(data, parts, &b, OP_COST, 4, 0, 1, 0);     /* first */
		feed(data, parts, &a, OP_COST, 5, 0, INT64_MAX, 0);
		feed(data, parts, &a, OP_COST, 6, 0, 1, 0);
		said = load(data, &overflow);
		ok(overflow, "%u part(s): an order's costs overflow", parts);
		is_string("mandate: error: report: costs of order 'B' "
		          "overflow\n", said,
		          "%u part(s): the earliest is said, alone", parts);
		free(said);
		report_data_free(data);
	}

	/* A month's costs: each order's fit, their sum does not. */
	{
		report_data *data = report_data_new(DAY, dir, 2);

		order_init(&a, "A", 0, 0);
		order_init(&b, "B", 1, 0);
		feed(data, 2, &a, OP_ORDER, 1, 0, 0, 0);
		feed(data, 2, &b, OP_ORDER, 2, 1, 0, 0);
		feed(data, 2, &a, OP_COST, 3, 0, INT64_MAX / 2 + 1, 0);
		feed(data, 2, &b, OP_COST, 4, 0, INT64_MAX / 2 + 1, 0);
		said = load(data, &overflow);
		ok(overflow && strstr(said, "report: costs of 2026-11 in RUB "
		                      "overflow") != NULL,
		   "a month's costs past 64 bits, summed over both parts: said");
		free(said);
		report_data_free(data);
	}
	free(dir);
	return tap_done();
}
