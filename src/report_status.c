/* status.xlsx (SPEC §5): Orders, Overdue, Due in 7 days, Amendments,
 * Receivables, Trial balance.
 *
 * Written in constant_memory mode, so a million orders take a few MB:
 * every sheet is written top to bottom and nothing goes back.  Money
 * columns carry each row's own currency format; below each sheet's data,
 * after one empty row, one totals row per currency adds up the money
 * columns with SUMIF over the currency column (plain A1 ranges, their
 * values cached). */
#include "report_xlsx.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"
#include "util/strmap.h"
#include "util/xalloc.h"

/* ---- totals per currency ------------------------------------------------ */

typedef struct totals {
	const kpi_set *kpi;
	size_t columns;             /* money columns */
	const lxw_col_t *cols;
	lxw_col_t currency_col;
	double *sum;                /* [currency][column], minor units */
	bool *present;              /* [currency] */
} totals;

static void totals_init(totals *t, const kpi_set *kpi, lxw_col_t currency_col,
                        const lxw_col_t *cols, size_t columns)
{
	t->kpi = kpi;
	t->cols = cols;
	t->columns = columns;
	t->currency_col = currency_col;
	t->sum = xcalloc(kpi->currency_count * columns + 1, sizeof *t->sum);
	t->present = xcalloc(kpi->currency_count + 1, sizeof *t->present);
}

/* Adds a row's amounts (one per money column, in order). */
static void totals_add(totals *t, const char *code, const int64_t *amounts)
{
	int c = kpi_currency_index(t->kpi, code);

	if (c < 0)
		return;
	t->present[c] = true;
	for (size_t k = 0; k < t->columns; k++)
		t->sum[(size_t)c * t->columns + k] += (double)amounts[k];
}

/* After the data rows 1..last: an empty row, then "Total" rows. */
static void totals_write(totals *t, xl_sheet *s, lxw_row_t last)
{
	char criteria[XL_REF_SIZE], values[XL_REF_SIZE], *formula;

	xl_next_row(s);
	xl_totals(s, true);
	for (size_t c = 0; c < t->kpi->currency_count; c++) {
		const char *code = t->kpi->currencies[c];
		if (!t->present[c])
			continue;
		xl_text(s, 0, "Total");
		xl_text(s, t->currency_col, code);
		xl_range(criteria, 1, t->currency_col, last, t->currency_col,
		         true);
		for (size_t k = 0; k < t->columns; k++) {
			xl_range(values, 1, t->cols[k], last, t->cols[k], true);
			formula = xasprintf("=SUMIF(%s,\"%s\",%s)", criteria,
			                    code, values);
			xl_formula_money(s, t->cols[k], formula,
			                 t->sum[c * t->columns + k], code);
			free(formula);
		}
		xl_next_row(s);
	}
	xl_totals(s, false);
	free(t->sum);
	free(t->present);
}

/* ---- shared columns ----------------------------------------------------- */

/* An order picked for a sheet, with what its place depends on. */
typedef struct picked {
	date_t due;
	size_t place;
	char id[IDENT_MAX + 1];
} picked;

/* The orders keep() picks (open orders: few, unlike all of them), sorted;
 * each sheet row then reads its order by its place. */
static picked *pick_orders(const report_data *data,
                           bool (*keep)(const report_order *, date_t),
                           int (*compare)(const void *, const void *),
                           size_t *count)
{
	picked *list = NULL;
	size_t n = 0, capacity = 0;
	report_cursor c;
	const report_order *o;

	report_orders_begin(&c, data);
	while ((o = report_orders_next(&c)) != NULL) {
		if (!keep(o, data->as_of))
			continue;
		list = xgrow(list, &capacity, n + 1, sizeof *list);
		list[n].due = o->due;
		list[n].place = o->place;
		memcpy(list[n].id, o->id, sizeof list[n].id);
		n++;
	}
	report_cursor_end(&c);
	if (n > 1)
		qsort(list, n, sizeof *list, compare);
	*count = n;
	return list;
}

/* An order's title. */
static void title_cell(xl_sheet *s, lxw_col_t col, const report_data *data,
                       const report_order *o, char **buf, size_t *capacity)
{
	xl_text(s, col, report_text_get(data, o->title, buf, capacity));
}

static double progress_of(const report_order *o)
{
	if (kpi_completed(o))
		return 1.0;
	return o->progress < 0 ? NAN : o->progress / 100.0;
}

/* What the client owes on this order (the receivable as booked): the
 * final amount once completed (price - penalty), less every payment;
 * negative for an advance. */
static int64_t balance_due(const report_order *o)
{
	int64_t invoiced = kpi_completed(o) ? o->done_price - o->penalty : 0;
	return invoiced - o->payments;
}

/* ---- Orders ------------------------------------------------------------- */

enum {
	O_ID, O_CLIENT_ID, O_CLIENT, O_KIND, O_TITLE, O_EXECUTOR_ID,
	O_EXECUTOR, O_STAGE, O_PRIORITY, O_RECEIVED, O_START, O_DUE,
	O_OVERDUE, O_PROGRESS, O_PRICE, O_CURRENCY, O_COSTS, O_PAID,
	O_BALANCE, O_AMENDMENTS, O_LAST_CHANGE, O_COLUMNS
};

static void write_orders(xl_book *book, const report_context *ctx)
{
	static const char *const headers[O_COLUMNS] = {
		"Order", "Client ID", "Client", "Kind", "Title", "Executor ID",
		"Executor", "Stage", "Priority", "Received", "Start", "Due",
		"Days overdue", "Progress", "Price", "Currency", "Costs",
		"Paid", "Balance due", "Amendments", "Last change"
	};
	static const lxw_col_t money_cols[] = {
		O_PRICE, O_COSTS, O_PAID, O_BALANCE
	};
	const report_data *data = ctx->data;
	xl_sheet *s = xl_sheet_new(book, "Orders", headers, O_COLUMNS,
	                           (lxw_row_t)data->order_count);
	totals t;
	report_cursor c;
	const report_order *o;
	char *buf = NULL;
	size_t capacity = 0;

	totals_init(&t, ctx->kpi, O_CURRENCY, money_cols, 4);
	report_orders_begin(&c, data);
	for (; (o = report_orders_next(&c)) != NULL; xl_next_row(s)) {
		xl_text(s, O_ID, o->id);
		xl_text(s, O_CLIENT_ID, o->client->id);
		xl_text(s, O_CLIENT, o->client->name);
		xl_text(s, O_KIND, order_kind_name(o->kind));
		title_cell(s, O_TITLE, data, o, &buf, &capacity);
		if (o->executor != NULL) {
			xl_text(s, O_EXECUTOR_ID, o->executor->id);
			xl_text(s, O_EXECUTOR, o->executor->name);
		}
		xl_text(s, O_STAGE, stage_name(o->stage));
		xl_text(s, O_PRIORITY, priority_name(o->priority));
		xl_date(s, O_RECEIVED, o->received);
		xl_date(s, O_START, o->start);
		xl_date(s, O_DUE, o->due);
		xl_number(s, O_OVERDUE, kpi_days_overdue(o, data->as_of),
		          XL_COUNT);
		xl_number(s, O_PROGRESS, progress_of(o), XL_PERCENT);
		if (o->has_price) {
			int64_t amounts[4] = { o->price, o->costs, o->payments,
			                       balance_due(o) };
			for (size_t k = 0; k < 4; k++)
				xl_money(s, money_cols[k], amounts[k],
				         o->currency);
			xl_text(s, O_CURRENCY, o->currency);
			totals_add(&t, o->currency, amounts);
		}
		xl_number(s, O_AMENDMENTS, o->amendments, XL_COUNT);
		xl_date(s, O_LAST_CHANGE, o->last_change);
	}
	report_cursor_end(&c);
	free(buf);
	totals_write(&t, s, (lxw_row_t)data->order_count);
	xl_sheet_finish(s);
}

/* ---- Overdue ------------------------------------------------------------ */

static bool is_overdue(const report_order *o, date_t as_of)
{
	return kpi_overdue(o, as_of);
}

/* Most days overdue first (the earliest due), then by id. */
static int by_due_then_id(const void *a, const void *b)
{
	const picked *x = a, *y = b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return strcmp(x->id, y->id);
}

enum {
	V_ID, V_CLIENT_ID, V_CLIENT, V_KIND, V_TITLE, V_EXECUTOR, V_STAGE,
	V_DUE, V_DAYS, V_PROGRESS, V_PRICE, V_CURRENCY, V_RATE, V_CAP,
	V_ACCRUED, V_PAID, V_COLUMNS
};

static void write_overdue(xl_book *book, const report_context *ctx)
{
	static const char *const headers[V_COLUMNS] = {
		"Order", "Client ID", "Client", "Kind", "Title", "Executor",
		"Stage", "Due", "Days overdue", "Progress", "Price", "Currency",
		"Penalty a day", "Penalty cap", "Accrued penalty", "Paid"
	};
	static const lxw_col_t money_cols[] = { V_PRICE, V_ACCRUED, V_PAID };
	const report_data *data = ctx->data;
	size_t n;
	picked *list = pick_orders(data, is_overdue, by_due_then_id, &n);
	xl_sheet *s = xl_sheet_new(book, "Overdue", headers, V_COLUMNS,
	                           (lxw_row_t)n);
	totals t;
	report_order order, *o = &order;
	char *buf = NULL;
	size_t capacity = 0;

	totals_init(&t, ctx->kpi, V_CURRENCY, money_cols, 3);
	for (size_t i = 0; i < n; i++, xl_next_row(s)) {
		int64_t accrued;
		report_data_order(data, list[i].place, o);
		xl_text(s, V_ID, o->id);
		xl_text(s, V_CLIENT_ID, o->client->id);
		xl_text(s, V_CLIENT, o->client->name);
		xl_text(s, V_KIND, order_kind_name(o->kind));
		title_cell(s, V_TITLE, data, o, &buf, &capacity);
		if (o->executor != NULL)
			xl_text(s, V_EXECUTOR, o->executor->name);
		xl_text(s, V_STAGE, stage_name(o->stage));
		xl_date(s, V_DUE, o->due);
		xl_number(s, V_DAYS, kpi_days_overdue(o, data->as_of),
		          XL_COUNT);
		xl_number(s, V_PROGRESS, progress_of(o), XL_PERCENT);
		if (o->has_penalty) {
			xl_number(s, V_RATE, (double)o->penalty_rate_per_day
			          / PERCENT_SCALE / 100, XL_RATE);
			xl_number(s, V_CAP, (double)o->penalty_cap
			          / PERCENT_SCALE / 100, XL_RATE);
		}
		if (o->has_price &&
		    kpi_accrued_penalty(o, data->as_of, &accrued)) {
			int64_t amounts[3] = { o->price, accrued, o->payments };
			for (size_t k = 0; k < 3; k++)
				xl_money(s, money_cols[k], amounts[k],
				         o->currency);
			xl_text(s, V_CURRENCY, o->currency);
			totals_add(&t, o->currency, amounts);
		}
	}
	totals_write(&t, s, (lxw_row_t)n);
	xl_sheet_finish(s);
	free(list);
	free(buf);
}

/* ---- Due in 7 days ------------------------------------------------------ */

static bool is_due_soon(const report_order *o, date_t as_of)
{
	return kpi_open(o) && o->due != DATE_NONE && o->due > as_of &&
	       o->due <= as_of + 7;
}

enum {
	D_ID, D_CLIENT_ID, D_CLIENT, D_KIND, D_TITLE, D_EXECUTOR, D_STAGE,
	D_DUE, D_DAYS, D_PROGRESS, D_PRICE, D_CURRENCY, D_PAID, D_COLUMNS
};

static void write_due_soon(xl_book *book, const report_context *ctx)
{
	static const char *const headers[D_COLUMNS] = {
		"Order", "Client ID", "Client", "Kind", "Title", "Executor",
		"Stage", "Due", "Days left", "Progress", "Price", "Currency",
		"Paid"
	};
	static const lxw_col_t money_cols[] = { D_PRICE, D_PAID };
	const report_data *data = ctx->data;
	size_t n;
	picked *list = pick_orders(data, is_due_soon, by_due_then_id, &n);
	xl_sheet *s = xl_sheet_new(book, "Due in 7 days", headers, D_COLUMNS,
	                           (lxw_row_t)n);
	totals t;
	report_order order, *o = &order;
	char *buf = NULL;
	size_t capacity = 0;

	totals_init(&t, ctx->kpi, D_CURRENCY, money_cols, 2);
	for (size_t i = 0; i < n; i++, xl_next_row(s)) {
		report_data_order(data, list[i].place, o);
		xl_text(s, D_ID, o->id);
		xl_text(s, D_CLIENT_ID, o->client->id);
		xl_text(s, D_CLIENT, o->client->name);
		xl_text(s, D_KIND, order_kind_name(o->kind));
		title_cell(s, D_TITLE, data, o, &buf, &capacity);
		if (o->executor != NULL)
			xl_text(s, D_EXECUTOR, o->executor->name);
		xl_text(s, D_STAGE, stage_name(o->stage));
		xl_date(s, D_DUE, o->due);
		xl_number(s, D_DAYS, o->due - data->as_of, XL_COUNT);
		xl_number(s, D_PROGRESS, progress_of(o), XL_PERCENT);
		if (o->has_price) {
			int64_t amounts[2] = { o->price, o->payments };
			for (size_t k = 0; k < 2; k++)
				xl_money(s, money_cols[k], amounts[k],
				         o->currency);
			xl_text(s, D_CURRENCY, o->currency);
			totals_add(&t, o->currency, amounts);
		}
	}
	totals_write(&t, s, (lxw_row_t)n);
	xl_sheet_finish(s);
	free(list);
	free(buf);
}

/* ---- Amendments --------------------------------------------------------- */

enum {
	A_ID, A_CLIENT_ID, A_CLIENT, A_EFFECTIVE, A_VERSION, A_FIELD, A_OLD,
	A_NEW, A_REASON, A_COLUMNS
};

static void write_value(xl_sheet *s, lxw_col_t col, const report_data *data,
                        const report_value *v, char **buf, size_t *capacity)
{
	switch (v->type) {
	case VALUE_TEXT:
		xl_text(s, col, report_text_get(data, v->text, buf, capacity));
		break;
	case VALUE_DATE: xl_date(s, col, v->date); break;
	case VALUE_MONEY: xl_money(s, col, v->amount, v->currency); break;
	default: xl_text(s, col, "(none)"); break;
	}
}

static void write_amendments(xl_book *book, const report_context *ctx)
{
	static const char *const headers[A_COLUMNS] = {
		"Order", "Client ID", "Client", "Effective", "Version", "Field",
		"Old value", "New value", "Reason"
	};
	const report_data *data = ctx->data;
	xl_sheet *s = xl_sheet_new(book, "Amendments", headers, A_COLUMNS,
	                           (lxw_row_t)data->change_count);
	report_cursor cur;
	const report_change *c;
	report_order order, *o = &order;
	char *buf = NULL;
	size_t capacity = 0;

	memset(&order, 0, sizeof order);
	report_changes_begin(&cur, data);
	for (; (c = report_changes_next(&cur)) != NULL; xl_next_row(s)) {
		if (c->order != o->place || !o->counted)
			report_data_order(data, c->order, o);
		xl_text(s, A_ID, o->id);
		xl_text(s, A_CLIENT_ID, o->client->id);
		xl_text(s, A_CLIENT, o->client->name);
		xl_date(s, A_EFFECTIVE, c->effective);
		xl_number(s, A_VERSION, c->version, XL_COUNT);
		xl_text(s, A_FIELD, report_field_label(c->field));
		write_value(s, A_OLD, data, &c->old_value, &buf, &capacity);
		write_value(s, A_NEW, data, &c->new_value, &buf, &capacity);
		xl_text(s, A_REASON, report_text_get(data, c->reason, &buf,
		                                     &capacity));
	}
	report_cursor_end(&cur);
	free(buf);
	xl_sheet_finish(s);
}

/* ---- Receivables -------------------------------------------------------- */

typedef struct receivable {
	const report_party *client;
	char currency[4];
	int64_t invoiced, penalties, paid;
} receivable;

static int by_client_currency(const void *a, const void *b)
{
	const receivable *x = a, *y = b;
	int c = strcmp(x->client->id, y->client->id);

	return c != 0 ? c : strcmp(x->currency, y->currency);
}

/* One line per client and currency with anything invoiced or paid. */
static receivable *collect_receivables(const report_data *data, size_t *count)
{
	strmap *index = strmap_new();
	receivable *list = NULL, *r;
	size_t n = 0, capacity = 0;
	report_cursor c;
	const report_order *o;

	report_orders_begin(&c, data);
	while ((o = report_orders_next(&c)) != NULL) {
		char key[IDENT_MAX + 8];
		uintptr_t at;
		if (!o->has_price || (!kpi_completed(o) && o->payments == 0))
			continue;
		snprintf(key, sizeof key, "%s %s", o->currency, o->client->id);
		at = (uintptr_t)strmap_get(index, key);
		if (at == 0) {
			list = xgrow(list, &capacity, n + 1, sizeof *list);
			memset(&list[n], 0, sizeof *list);
			list[n].client = o->client;
			memcpy(list[n].currency, o->currency, 4);
			at = ++n;
			strmap_put(index, key, (void *)at);
		}
		r = &list[at - 1];
		if (kpi_completed(o)) {
			r->invoiced += o->done_price;
			r->penalties += o->penalty;
		}
		r->paid += o->payments;
	}
	report_cursor_end(&c);
	strmap_free(index);
	if (n > 1)
		qsort(list, n, sizeof *list, by_client_currency);
	*count = n;
	return list;
}

enum {
	R_CLIENT_ID, R_CLIENT, R_CURRENCY, R_INVOICED, R_PENALTIES, R_PAID,
	R_BALANCE, R_COLUMNS
};

static void write_receivables(xl_book *book, const report_context *ctx)
{
	static const char *const headers[R_COLUMNS] = {
		"Client ID", "Client", "Currency", "Invoiced", "Penalties",
		"Paid", "Balance due"
	};
	static const lxw_col_t money_cols[] = {
		R_INVOICED, R_PENALTIES, R_PAID, R_BALANCE
	};
	size_t n;
	receivable *list = collect_receivables(ctx->data, &n);
	xl_sheet *s = xl_sheet_new(book, "Receivables", headers, R_COLUMNS,
	                           (lxw_row_t)n);
	totals t;

	totals_init(&t, ctx->kpi, R_CURRENCY, money_cols, 4);
	for (size_t i = 0; i < n; i++, xl_next_row(s)) {
		const receivable *r = &list[i];
		int64_t balance = r->invoiced - r->penalties - r->paid;
		int64_t amounts[4] = { r->invoiced, r->penalties, r->paid,
		                       balance };
		char d[XL_REF_SIZE], e[XL_REF_SIZE], f[XL_REF_SIZE], *formula;
		xl_text(s, R_CLIENT_ID, r->client->id);
		xl_text(s, R_CLIENT, r->client->name);
		xl_text(s, R_CURRENCY, r->currency);
		for (size_t k = 0; k < 3; k++)
			xl_money(s, money_cols[k], amounts[k], r->currency);
		xl_cell(d, xl_row(s), R_INVOICED);
		xl_cell(e, xl_row(s), R_PENALTIES);
		xl_cell(f, xl_row(s), R_PAID);
		formula = xasprintf("=%s-%s-%s", d, e, f);
		xl_formula_money(s, R_BALANCE, formula, (double)balance,
		                 r->currency);
		free(formula);
		totals_add(&t, r->currency, amounts);
	}
	totals_write(&t, s, (lxw_row_t)n);
	xl_sheet_finish(s);
	free(list);
}

/* ---- Trial balance ------------------------------------------------------ */

enum { T_ACCOUNT, T_CURRENCY, T_DEBIT, T_CREDIT, T_COLUMNS };

static void write_trial_balance(xl_book *book, const report_context *ctx)
{
	static const char *const headers[T_COLUMNS] = {
		"Account", "Currency", "Debit", "Credit"
	};
	static const lxw_col_t money_cols[] = { T_DEBIT, T_CREDIT };
	size_t n;
	const balance_line *lines = trial_balance_lines(ctx->data->balances,
	                                                &n);
	xl_sheet *s = xl_sheet_new(book, "Trial balance", headers, T_COLUMNS,
	                           (lxw_row_t)n);
	totals t;

	totals_init(&t, ctx->kpi, T_CURRENCY, money_cols, 2);
	for (size_t i = 0; i < n; i++, xl_next_row(s)) {
		const balance_line *l = &lines[i];
		/* a positive balance is a debit, a negative one a credit
		 * (shown positive); a zero balance shows as a zero debit */
		int64_t amounts[2] = { l->balance >= 0 ? l->balance : 0,
		                       l->balance < 0 ? -l->balance : 0 };
		xl_text(s, T_ACCOUNT, l->account);
		xl_text(s, T_CURRENCY, l->currency);
		if (l->balance >= 0)
			xl_money(s, T_DEBIT, amounts[0], l->currency);
		else
			xl_money_value(s, T_CREDIT, -(double)l->balance,
			               l->currency);
		totals_add(&t, l->currency, amounts);
	}
	totals_write(&t, s, (lxw_row_t)n);
	xl_sheet_finish(s);
}

/* ---- the workbook ------------------------------------------------------- */

int report_status_write(const report_context *ctx, const char *path)
{
	char as_of[11], *subject, *comments;
	xl_props props = { .title = "Order status", .as_of = ctx->data->as_of };
	xl_book *book;
	int status;

	/* header + orders + an empty row + a total per currency */
	if (ctx->data->order_count + 2 + ctx->kpi->currency_count >
	    LXW_ROW_MAX)
		return diag_error(path, 0, "%zu orders do not fit on one sheet "
		                  "(at most %zu)", ctx->data->order_count,
		                  (size_t)LXW_ROW_MAX - 2 -
		                  ctx->kpi->currency_count);
	date_format(ctx->data->as_of, as_of);
	subject = xasprintf("Orders as of %s", as_of);
	comments = xasprintf("mandate report from ledger head %s", ctx->head);
	props.subject = subject;
	props.comments = comments;
	book = xl_book_new(path, ctx->tmpdir, true, &props);
	free(subject);
	free(comments);
	if (book == NULL)
		return -1;
	write_orders(book, ctx);
	write_overdue(book, ctx);
	write_due_soon(book, ctx);
	write_amendments(book, ctx);
	write_receivables(book, ctx);
	write_trial_balance(book, ctx);
	status = xl_book_close(book);
	return status;
}
