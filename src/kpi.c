/* The KPIs, computed once; see kpi.h for the definitions. */
#include "kpi.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"
#include "util/money.h"
#include "util/strmap.h"
#include "util/xalloc.h"

static const struct {
	const char *name;
	kpi_unit unit;
	const char *definition;
} measures[KPI_MEASURES] = {
	[KPI_RECEIVED] = { "Received", KPI_COUNT,
		"Orders received on or before the as-of date." },
	[KPI_COMPLETED] = { "Completed", KPI_COUNT,
		"Orders with a completion dated on or before the as-of date." },
	[KPI_ON_TIME] = { "Completed on time", KPI_COUNT,
		"Completed on or before the due date in force at completion." },
	[KPI_LATE] = { "Completed late", KPI_COUNT,
		"Completed after the due date in force at completion." },
	[KPI_OPEN_OVERDUE] = { "Open overdue", KPI_COUNT,
		"Neither completed nor cancelled, and the as-of date is after "
		"the due date." },
	[KPI_CANCELLED] = { "Cancelled", KPI_COUNT,
		"Orders cancelled on or before the as-of date." },
	[KPI_EVALUATED] = { "Evaluated", KPI_COUNT,
		"Completed orders the client has scored." },
	[KPI_ON_TIME_RATE] = { "On-time rate", KPI_RATE,
		"Completed on time / completed." },
	[KPI_MEAN_CYCLE] = { "Mean cycle days", KPI_DAYS,
		"Mean of completion date - received date over the completed "
		"orders, in calendar days." },
	[KPI_MEDIAN_CYCLE] = { "Median cycle days", KPI_DAYS,
		"Median of the same (an even count: the mean of the middle "
		"two)." },
	[KPI_MEAN_SCORE] = { "Mean score", KPI_SCORE,
		"Mean client score (1-5) over the evaluated orders." },
	[KPI_CANCELLATION_RATE] = { "Cancellation rate", KPI_RATE,
		"Cancelled / received." },
};

const char *kpi_measure_name(kpi_measure m)
{
	return measures[m].name;
}

const char *kpi_measure_definition(kpi_measure m)
{
	return measures[m].definition;
}

kpi_unit kpi_measure_unit(kpi_measure m)
{
	return measures[m].unit;
}

static double ratio(double a, size_t b)
{
	return b == 0 ? NAN : a / (double)b;
}

double kpi_value(const kpi_row *row, kpi_measure m)
{
	switch (m) {
	case KPI_RECEIVED: return (double)row->received;
	case KPI_COMPLETED: return (double)row->completed;
	case KPI_ON_TIME: return (double)row->on_time;
	case KPI_LATE: return (double)row->late;
	case KPI_OPEN_OVERDUE: return (double)row->open_overdue;
	case KPI_CANCELLED: return (double)row->cancelled;
	case KPI_EVALUATED: return (double)row->evaluated;
	case KPI_ON_TIME_RATE:
		return ratio((double)row->on_time, row->completed);
	case KPI_MEAN_CYCLE:
		return ratio((double)row->cycle_days, row->completed);
	case KPI_MEDIAN_CYCLE: return row->median_cycle;
	case KPI_MEAN_SCORE:
		return ratio((double)row->score_sum, row->evaluated);
	case KPI_CANCELLATION_RATE:
		return ratio((double)row->cancelled, row->received);
	default: return NAN;
	}
}

double kpi_margin(const kpi_money *m)
{
	return (double)((__int128)m->revenue - m->penalties - m->costs);
}

double kpi_margin_rate(const kpi_money *m)
{
	return m->revenue == 0 ? NAN : kpi_margin(m) / (double)m->revenue;
}

/* ---- per order ---------------------------------------------------------- */

bool kpi_completed(const report_order *o)
{
	return o->completed_on != DATE_NONE;
}

bool kpi_open(const report_order *o)
{
	return !kpi_completed(o) && o->cancelled_on == DATE_NONE;
}

bool kpi_overdue(const report_order *o, date_t as_of)
{
	return kpi_open(o) && o->due != DATE_NONE && as_of > o->due;
}

int kpi_days_overdue(const report_order *o, date_t as_of)
{
	return kpi_overdue(o, as_of) ? (int)(as_of - o->due) : 0;
}

bool kpi_accrued_penalty(const report_order *o, date_t as_of, int64_t *out)
{
	order_terms terms = {
		.has_penalty = o->has_penalty,
		.penalty_rate_per_day = o->penalty_rate_per_day,
		.penalty_cap = o->penalty_cap
	};

	*out = 0;
	if (!kpi_overdue(o, as_of) || !o->has_price)
		return true;
	return penalty_amount(o->price, &terms, kpi_days_overdue(o, as_of),
	                      out);
}

/* ---- accumulation ------------------------------------------------------- */

/* Which of an order's figures go to a row: a month row takes each figure
 * in the month of its event. */
enum {
	PART_RECEIVED = 1 << 0,    /* received, cancelled */
	PART_COMPLETED = 1 << 1,   /* completed..., revenue, penalties */
	PART_COSTS = 1 << 2,       /* the order's costs */
	PART_OVERDUE = 1 << 3,     /* open overdue, accrued penalty */
	PART_ALL = (1 << 4) - 1
};

/* Cycle days of the completed orders of each row, for the medians: how
 * many orders took each number of days (an exact median in memory that
 * grows with the longest cycle, not with the orders). */
typedef struct cycles {
	size_t *orders;             /* [days]: orders that took that long */
	size_t capacity;            /* days 0 .. capacity - 1 */
	size_t count;
} cycles;

static void count_cycle(cycles *cyc, int32_t days)
{
	size_t d = days > 0 ? (size_t)days : 0;   /* never before receipt */

	if (d >= cyc->capacity) {
		size_t old = cyc->capacity;
		cyc->orders = xgrow(cyc->orders, &cyc->capacity, d + 1,
		                    sizeof *cyc->orders);
		memset(cyc->orders + old, 0,
		       (cyc->capacity - old) * sizeof *cyc->orders);
	}
	cyc->orders[d]++;
	cyc->count++;
}

/* The k-th smallest cycle (from 0). */
static int32_t kth_cycle(const cycles *cyc, size_t k)
{
	size_t seen = 0;

	for (size_t d = 0; d < cyc->capacity; d++) {
		seen += cyc->orders[d];
		if (seen > k)
			return (int32_t)d;
	}
	return 0;
}

typedef struct builder {
	kpi_set *set;
	date_t as_of;
} builder;

static void add_money(builder *b, int64_t *total, int64_t amount)
{
	if (money_add(*total, amount, total))
		return;
	if (!b->set->overflow)
		diag_error(NULL, 0, "report: a money total overflows");
	b->set->overflow = true;
}

static kpi_money *money_of(builder *b, kpi_row *row, const report_order *o)
{
	int i = o->has_price ? kpi_currency_index(b->set, o->currency) : -1;

	return i < 0 ? NULL : &row->money[i];
}

static void add_order(builder *b, kpi_row *row, cycles *cyc,
                      const report_order *o, unsigned parts)
{
	kpi_money *money = money_of(b, row, o);
	int64_t accrued;

	if (parts & PART_RECEIVED) {
		row->received++;
		if (o->cancelled_on != DATE_NONE)
			row->cancelled++;
	}
	if ((parts & PART_COMPLETED) && kpi_completed(o)) {
		row->completed++;
		if (o->days_late > 0)
			row->late++;
		else
			row->on_time++;
		row->cycle_days += o->completed_on - o->received;
		count_cycle(cyc, o->completed_on - o->received);
		if (o->score > 0) {
			row->evaluated++;
			row->score_sum += o->score;
		}
		if (money != NULL) {
			add_money(b, &money->revenue, o->done_price);
			add_money(b, &money->penalties, o->penalty);
		}
	}
	if ((parts & PART_COSTS) && money != NULL)
		add_money(b, &money->costs, o->costs);
	if ((parts & PART_OVERDUE) && kpi_overdue(o, b->as_of)) {
		row->open_overdue++;
		if (!kpi_accrued_penalty(o, b->as_of, &accrued)) {
			if (!b->set->overflow)
				diag_error(NULL, 0, "report: accrued penalty "
				           "of order '%s' overflows", o->id);
			b->set->overflow = true;
		} else if (money != NULL)
			add_money(b, &money->accrued, accrued);
	}
}

/* Sets row's median from its cycle days and frees them. */
static void finish_median(kpi_row *row, cycles *cyc)
{
	size_t n = cyc->count;

	row->median_cycle = NAN;
	if (n > 0)
		row->median_cycle = n % 2 ? kth_cycle(cyc, n / 2)
		        : ((double)kth_cycle(cyc, n / 2 - 1) +
		           kth_cycle(cyc, n / 2)) / 2;
	free(cyc->orders);
	memset(cyc, 0, sizeof *cyc);
}

static void row_init(builder *b, kpi_row *row, const char *key,
                     const char *label)
{
	memset(row, 0, sizeof *row);
	row->key = xstrdup(key);
	row->label = xstrdup(label);
	row->money = xcalloc(b->set->currency_count + 1, sizeof *row->money);
	row->median_cycle = NAN;
}

static void row_free(kpi_row *row)
{
	free(row->key);
	free(row->label);
	free(row->money);
}

/* ---- currencies --------------------------------------------------------- */

static int compare_codes(const void *a, const void *b)
{
	return strcmp(a, b);
}

int kpi_currency_index(const kpi_set *set, const char *code)
{
	const char (*hit)[4];

	if (set->currency_count == 0)
		return -1;
	hit = bsearch(code, set->currencies, set->currency_count,
	              sizeof *set->currencies, compare_codes);
	return hit == NULL ? -1 : (int)(hit - set->currencies);
}

static void collect_currencies(kpi_set *set, const report_data *data)
{
	strmap *seen = strmap_new();
	size_t capacity = 0;
	report_cursor c;
	const report_order *o;

	report_orders_begin(&c, data);
	while ((o = report_orders_next(&c)) != NULL) {
		if (!o->has_price || strmap_get(seen, o->currency) != NULL)
			continue;
		strmap_put(seen, o->currency, (void *)1);
		set->currencies = xgrow(set->currencies, &capacity,
		                        set->currency_count + 1,
		                        sizeof *set->currencies);
		memcpy(set->currencies[set->currency_count++], o->currency, 4);
	}
	report_cursor_end(&c);
	if (set->currency_count > 1)
		qsort(set->currencies, set->currency_count,
		      sizeof *set->currencies, compare_codes);
	strmap_free(seen);
}

/* ---- groupings ---------------------------------------------------------- */

static const report_party *executor_for(const report_order *o)
{
	return kpi_completed(o) ? o->done_executor : o->executor;
}

/* Key and label of o's row in a keyed grouping. */
static void group_of(kpi_grouping g, const report_order *o,
                     const char **key, const char **label)
{
	const report_party *p;

	switch (g) {
	case KPI_BY_EXECUTOR:
		p = executor_for(o);
		*key = p != NULL ? p->id : "";
		*label = p != NULL ? p->name : "(none)";
		return;
	case KPI_BY_CLIENT:
		*key = o->client->id;
		*label = o->client->name;
		return;
	default:
		*key = *label = order_kind_name(o->kind);
		return;
	}
}

/* Rows sorted by key in byte order, "" (no executor) last. */
static int compare_rows(const void *a, const void *b)
{
	const kpi_row *x = a, *y = b;

	if ((x->key[0] == '\0') != (y->key[0] == '\0'))
		return x->key[0] == '\0' ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* Appends a row (and its empty cycle list); returns its position + 1. */
static uintptr_t add_row(builder *b, kpi_table *t, size_t *capacity,
                         cycles **cyc, size_t *cyc_capacity, strmap *index,
                         const char *key, const char *label)
{
	t->rows = xgrow(t->rows, capacity, t->count + 1, sizeof *t->rows);
	*cyc = xgrow(*cyc, cyc_capacity, t->count + 1, sizeof **cyc);
	row_init(b, &t->rows[t->count], key, label);
	memset(&(*cyc)[t->count], 0, sizeof **cyc);
	strmap_put(index, key, (void *)(uintptr_t)(t->count + 1));
	return ++t->count;
}

static void build_keyed(builder *b, kpi_grouping g, const report_data *data)
{
	kpi_table *t = &b->set->by[g];
	strmap *index = strmap_new();
	size_t capacity = 0, cyc_capacity = 0;
	cycles *cyc = NULL;
	report_cursor c;
	const report_order *o;

	if (g == KPI_BY_KIND)       /* every kind, in the schema's order */
		for (int k = 0; k < ORDER_KIND_COUNT; k++)
			add_row(b, t, &capacity, &cyc, &cyc_capacity, index,
			        order_kind_name(k), order_kind_name(k));
	report_orders_begin(&c, data);
	while ((o = report_orders_next(&c)) != NULL) {
		const char *key, *label;
		uintptr_t at;

		group_of(g, o, &key, &label);
		at = (uintptr_t)strmap_get(index, key);
		if (at == 0)
			at = add_row(b, t, &capacity, &cyc, &cyc_capacity,
			             index, key, label);
		add_order(b, &t->rows[at - 1], &cyc[at - 1], o, PART_ALL);
	}
	report_cursor_end(&c);
	for (size_t r = 0; r < t->count; r++)
		finish_median(&t->rows[r], &cyc[r]);
	free(cyc);
	strmap_free(index);
	/* The kind rows keep the schema's order; the others are sorted
	 * (the cycles are gone, so moving rows is safe now). */
	if (g != KPI_BY_KIND && t->count > 1)
		qsort(t->rows, t->count, sizeof *t->rows, compare_rows);
}

static void build_months(builder *b, const report_data *data)
{
	kpi_table *t = &b->set->by[KPI_BY_MONTH];
	int32_t first = report_month_of(b->as_of), last = first;
	cycles *cyc;
	report_cursor cur;
	const report_order *o;

	if (data->order_count == 0)
		return;
	report_orders_begin(&cur, data);
	while ((o = report_orders_next(&cur)) != NULL) {
		int32_t m = report_month_of(o->received);
		if (m < first)
			first = m;
	}
	report_cursor_end(&cur);
	t->count = (size_t)(last - first) + 1;
	t->rows = xcalloc(t->count, sizeof *t->rows);
	cyc = xcalloc(t->count, sizeof *cyc);
	for (size_t r = 0; r < t->count; r++) {
		char key[16];
		int32_t m = first + (int32_t)r;
		snprintf(key, sizeof key, "%04d-%02d", (int)(m / 12),
		         (int)(m % 12 + 1));
		row_init(b, &t->rows[r], key, key);
		t->rows[r].month = m;
	}
	report_orders_begin(&cur, data);
	while ((o = report_orders_next(&cur)) != NULL) {
		size_t r = (size_t)(report_month_of(o->received) - first);
		add_order(b, &t->rows[r], &cyc[r], o, PART_RECEIVED);
		if (kpi_completed(o)) {
			r = (size_t)(report_month_of(o->completed_on) - first);
			add_order(b, &t->rows[r], &cyc[r], o, PART_COMPLETED);
		}
		if (kpi_overdue(o, b->as_of)) {
			r = (size_t)(report_month_of(o->due) - first);
			add_order(b, &t->rows[r], &cyc[r], o, PART_OVERDUE);
		}
	}
	report_cursor_end(&cur);
	for (size_t i = 0; i < data->month_cost_count; i++) {
		const report_month_costs *mc = &data->month_costs[i];
		int c = kpi_currency_index(b->set, mc->currency);
		if (mc->month < first || mc->month > last || c < 0)
			continue;   /* cannot happen: costs follow receipt */
		add_money(b, &t->rows[mc->month - first].money[c].costs,
		          mc->costs);
	}
	for (size_t r = 0; r < t->count; r++)
		finish_median(&t->rows[r], &cyc[r]);
	free(cyc);
}

kpi_set *kpi_compute(const report_data *data)
{
	kpi_set *set = xcalloc(1, sizeof *set);
	builder b = { .set = set, .as_of = data->as_of };
	cycles all = { 0 };
	report_cursor c;
	const report_order *o;

	set->as_of = data->as_of;
	collect_currencies(set, data);
	row_init(&b, &set->total, "", "All orders");
	report_orders_begin(&c, data);
	while ((o = report_orders_next(&c)) != NULL)
		add_order(&b, &set->total, &all, o, PART_ALL);
	report_cursor_end(&c);
	finish_median(&set->total, &all);
	build_keyed(&b, KPI_BY_EXECUTOR, data);
	build_keyed(&b, KPI_BY_KIND, data);
	build_keyed(&b, KPI_BY_CLIENT, data);
	build_months(&b, data);
	return set;
}

void kpi_free(kpi_set *set)
{
	if (set == NULL)
		return;
	row_free(&set->total);
	for (int g = 0; g < KPI_GROUPINGS; g++) {
		for (size_t r = 0; r < set->by[g].count; r++)
			row_free(&set->by[g].rows[r]);
		free(set->by[g].rows);
	}
	free(set->currencies);
	free(set);
}
