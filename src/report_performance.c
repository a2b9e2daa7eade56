/* performance.xlsx (SPEC §5): KPI, By executor, By kind, By client,
 * By month, Charts.  Every figure comes from the kpi_set (kpi.h), computed
 * once; this file only lays it out.
 *
 * The KPI sheet is a list (KPI, currency, value, definition): the counts
 * and rates of all orders, then per currency revenue, penalties, costs,
 * margin and margin % (those two as formulas over the rows above) and
 * the accrued penalty.  The By sheets have one row per group, the same
 * measures as columns, then six money columns per currency, and a totals
 * row: sums for the counts and money, ratios of those sums for the rates
 * and means (the "sum" columns of cycle days and scores exist for them),
 * the overall median (a median is not a formula of the rows). */
#include "report_xlsx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"
#include "util/xalloc.h"

static xl_style unit_style(kpi_unit unit)
{
	switch (unit) {
	case KPI_RATE: return XL_PERCENT;
	case KPI_DAYS: return XL_DAYS;
	case KPI_SCORE: return XL_SCORE;
	default: return XL_COUNT;
	}
}

/* ---- KPI ---------------------------------------------------------------- */

enum { K_NAME, K_CURRENCY, K_VALUE, K_DEFINITION, K_COLUMNS };

static const char *const money_names[] = {
	"Revenue", "Penalties", "Costs", "Margin", "Margin %",
	"Accrued penalty"
};
enum { M_REVENUE, M_PENALTIES, M_COSTS, M_MARGIN, M_MARGIN_RATE, M_ACCRUED,
       M_COLUMNS };
static const char *const money_definitions[M_COLUMNS] = {
	"Price in force at completion of the completed orders.",
	"Late penalties booked at completion.",
	"Cost operations booked on the orders, whatever their stage.",
	"Revenue - penalties - costs.",
	"Margin / revenue.",
	/* one string, in two pieces */
	("Penalty the open overdue orders would carry if completed on the "
	 "as-of date.")
};

static void write_kpi(xl_book *book, const report_context *ctx)
{
	static const char *const headers[K_COLUMNS] = {
		"KPI", "Currency", "Value", "Definition"
	};
	const kpi_set *kpi = ctx->kpi;
	/* as of, the measures, the money rows of each currency */
	xl_sheet *s = xl_sheet_new(book, "KPI", headers, K_COLUMNS,
	                           (lxw_row_t)(1 + KPI_MEASURES + M_COLUMNS *
	                                       kpi->currency_count));
	char a[XL_REF_SIZE], b[XL_REF_SIZE], c[XL_REF_SIZE], *formula;

	xl_text(s, K_NAME, "As of");
	xl_date(s, K_VALUE, kpi->as_of);
	xl_text(s, K_DEFINITION, "Operations dated on or before this date "
	        "count; later ones are ignored.");
	xl_next_row(s);
	for (int m = 0; m < KPI_MEASURES; m++, xl_next_row(s)) {
		xl_text(s, K_NAME, kpi_measure_name(m));
		xl_number(s, K_VALUE, kpi_value(&kpi->total, m),
		          unit_style(kpi_measure_unit(m)));
		xl_text(s, K_DEFINITION, kpi_measure_definition(m));
	}
	for (size_t i = 0; i < kpi->currency_count; i++) {
		const char *code = kpi->currencies[i];
		const kpi_money *money = &kpi->total.money[i];
		lxw_row_t revenue_row = xl_row(s);
		int64_t plain[M_COLUMNS] = {
			[M_REVENUE] = money->revenue,
			[M_PENALTIES] = money->penalties,
			[M_COSTS] = money->costs, [M_ACCRUED] = money->accrued
		};
		for (int m = 0; m < M_COLUMNS; m++, xl_next_row(s)) {
			xl_text(s, K_NAME, money_names[m]);
			xl_text(s, K_CURRENCY, code);
			xl_text(s, K_DEFINITION, money_definitions[m]);
			xl_cell(a, revenue_row, K_VALUE);
			xl_cell(b, revenue_row + M_PENALTIES, K_VALUE);
			xl_cell(c, revenue_row + M_COSTS, K_VALUE);
			if (m == M_MARGIN) {
				formula = xasprintf("=%s-%s-%s", a, b, c);
				xl_formula_money(s, K_VALUE, formula,
				                 kpi_margin(money), code);
				free(formula);
			} else if (m == M_MARGIN_RATE) {
				if (money->revenue == 0)
					continue;
				xl_cell(b, revenue_row + M_MARGIN, K_VALUE);
				formula = xasprintf("=%s/%s", b, a);
				xl_formula(s, K_VALUE, formula,
				           kpi_margin_rate(money), XL_PERCENT);
				free(formula);
			} else
				xl_money(s, K_VALUE, plain[m], code);
		}
	}
	xl_sheet_finish(s);
}

/* ---- By executor, kind, client, month ----------------------------------- */

/* The measure columns after the key columns: the seven counts, the two
 * sums, the five ratios. */
enum {
	G_RECEIVED, G_COMPLETED, G_ON_TIME, G_LATE, G_OPEN_OVERDUE,
	G_CANCELLED, G_EVALUATED, G_CYCLE_SUM, G_SCORE_SUM, G_ON_TIME_RATE,
	G_MEAN_CYCLE, G_MEDIAN_CYCLE, G_MEAN_SCORE, G_CANCELLATION_RATE,
	G_MEASURES
};

static const kpi_measure group_measure[G_MEASURES] = {
	[G_RECEIVED] = KPI_RECEIVED, [G_COMPLETED] = KPI_COMPLETED,
	[G_ON_TIME] = KPI_ON_TIME, [G_LATE] = KPI_LATE,
	[G_OPEN_OVERDUE] = KPI_OPEN_OVERDUE, [G_CANCELLED] = KPI_CANCELLED,
	[G_EVALUATED] = KPI_EVALUATED,
	[G_CYCLE_SUM] = KPI_MEASURES, [G_SCORE_SUM] = KPI_MEASURES,
	[G_ON_TIME_RATE] = KPI_ON_TIME_RATE, [G_MEAN_CYCLE] = KPI_MEAN_CYCLE,
	[G_MEDIAN_CYCLE] = KPI_MEDIAN_CYCLE, [G_MEAN_SCORE] = KPI_MEAN_SCORE,
	[G_CANCELLATION_RATE] = KPI_CANCELLATION_RATE
};

/* Ratio columns of the totals row: numerator / denominator columns. */
static const struct {
	int column, numerator, denominator;
} group_ratios[] = {
	{ G_ON_TIME_RATE, G_ON_TIME, G_COMPLETED },
	{ G_MEAN_CYCLE, G_CYCLE_SUM, G_COMPLETED },
	{ G_MEAN_SCORE, G_SCORE_SUM, G_EVALUATED },
	{ G_CANCELLATION_RATE, G_CANCELLED, G_RECEIVED },
};

typedef struct group_sheet {
	const char *name;
	const char *key_header, *label_header;   /* label_header may be NULL */
	const char *overdue_header;
} group_sheet;

static const group_sheet group_sheets[KPI_GROUPINGS] = {
	[KPI_BY_EXECUTOR] = { "By executor", "Executor ID", "Executor",
	                      "Open overdue" },
	[KPI_BY_KIND] = { "By kind", "Kind", NULL, "Open overdue" },
	[KPI_BY_CLIENT] = { "By client", "Client ID", "Client",
	                    "Open overdue" },
	[KPI_BY_MONTH] = { "By month", "Month", NULL,
	                   "Open overdue (by due month)" },
};

/* Where things are on a By sheet. */
typedef struct group_layout {
	lxw_col_t first_measure;    /* column of G_RECEIVED */
	lxw_col_t first_money;      /* Revenue of the first currency */
	lxw_col_t columns;
} group_layout;

static group_layout layout_of(const group_sheet *g, const kpi_set *kpi)
{
	group_layout l;

	l.first_measure = g->label_header != NULL ? 2 : 1;
	l.first_money = l.first_measure + G_MEASURES;
	l.columns = l.first_money + (lxw_col_t)(M_COLUMNS *
	                                        kpi->currency_count);
	return l;
}

static char **group_headers(const group_sheet *g, const kpi_set *kpi,
                            const group_layout *l)
{
	char **headers = xcalloc(l->columns + 1, sizeof *headers);
	lxw_col_t c = 0;

	headers[c++] = xstrdup(g->key_header);
	if (g->label_header != NULL)
		headers[c++] = xstrdup(g->label_header);
	for (int m = 0; m < G_MEASURES; m++)
		headers[c++] = xstrdup(m == G_CYCLE_SUM ? "Cycle days (sum)"
		        : m == G_SCORE_SUM ? "Scores (sum)"
		        : m == G_OPEN_OVERDUE ? g->overdue_header
		        : kpi_measure_name(group_measure[m]));
	for (size_t i = 0; i < kpi->currency_count; i++)
		for (int m = 0; m < M_COLUMNS; m++)
			headers[c++] = xasprintf("%s %s", money_names[m],
			                         kpi->currencies[i]);
	return headers;
}

/* A group with no money in this currency leaves its cells empty. */
static void write_money(xl_sheet *s, lxw_col_t col, const kpi_money *money,
                        const char *code)
{
	if (money->revenue == 0 && money->penalties == 0 && money->costs == 0 &&
	    money->accrued == 0)
		return;
	xl_money(s, col + M_REVENUE, money->revenue, code);
	xl_money(s, col + M_PENALTIES, money->penalties, code);
	xl_money(s, col + M_COSTS, money->costs, code);
	xl_money_value(s, col + M_MARGIN, kpi_margin(money), code);
	xl_number(s, col + M_MARGIN_RATE, kpi_margin_rate(money), XL_PERCENT);
	xl_money(s, col + M_ACCRUED, money->accrued, code);
}

static void write_group_row(xl_sheet *s, const group_sheet *g,
                            const group_layout *l, const kpi_set *kpi,
                            const kpi_row *row, bool month)
{
	if (month)
		xl_month(s, 0, row->month);
	else
		xl_text(s, 0, row->key[0] != '\0' ? row->key : "(none)");
	if (g->label_header != NULL)
		xl_text(s, 1, row->label);
	for (int m = 0; m < G_MEASURES; m++) {
		lxw_col_t col = l->first_measure + (lxw_col_t)m;
		if (m == G_CYCLE_SUM)
			xl_number(s, col, (double)row->cycle_days, XL_COUNT);
		else if (m == G_SCORE_SUM)
			xl_number(s, col, (double)row->score_sum, XL_COUNT);
		else
			xl_number(s, col, kpi_value(row, group_measure[m]),
			          unit_style(kpi_measure_unit(
			                  group_measure[m])));
	}
	for (size_t i = 0; i < kpi->currency_count; i++)
		write_money(s, l->first_money + (lxw_col_t)(i * M_COLUMNS),
		            &row->money[i], kpi->currencies[i]);
}

/* The SUM of column col over rows 1..last, cached. */
static void sum_cell(xl_sheet *s, lxw_col_t col, lxw_row_t last,
                     double cached, const char *code, xl_style style)
{
	char range[XL_REF_SIZE], *formula;

	xl_range(range, 1, col, last, col, false);
	formula = xasprintf("=SUM(%s)", range);
	if (code != NULL)
		xl_formula_money(s, col, formula, cached, code);
	else
		xl_formula(s, col, formula, cached, style);
	free(formula);
}

/* cell(numerator) / cell(denominator) on the current row, when the
 * denominator is not 0. */
static void ratio_cell(xl_sheet *s, lxw_col_t col, lxw_col_t numerator,
                       lxw_col_t denominator, double num, double den,
                       xl_style style)
{
	char a[XL_REF_SIZE], b[XL_REF_SIZE], *formula;

	if (den == 0)
		return;
	xl_cell(a, xl_row(s), numerator);
	xl_cell(b, xl_row(s), denominator);
	formula = xasprintf("=%s/%s", a, b);
	xl_formula(s, col, formula, num / den, style);
	free(formula);
}

/* The totals row below rows 1..last (the sums of all rows). */
static void write_group_totals(xl_sheet *s, const group_layout *l,
                               const kpi_set *kpi, const kpi_table *t,
                               lxw_row_t last)
{
	double sums[G_MEASURES] = { 0 };

	for (size_t r = 0; r < t->count; r++) {
		const kpi_row *row = &t->rows[r];
		for (int m = 0; m <= G_EVALUATED; m++)
			sums[m] += kpi_value(row, group_measure[m]);
		sums[G_CYCLE_SUM] += (double)row->cycle_days;
		sums[G_SCORE_SUM] += (double)row->score_sum;
	}
	xl_next_row(s);
	xl_totals(s, true);
	xl_text(s, 0, "Total");
	for (int m = 0; m <= G_SCORE_SUM; m++)
		sum_cell(s, l->first_measure + (lxw_col_t)m, last, sums[m],
		         NULL, XL_COUNT);
	for (size_t i = 0; i < sizeof group_ratios / sizeof *group_ratios;
	     i++) {
		int col = group_ratios[i].column;
		int num = group_ratios[i].numerator;
		int den = group_ratios[i].denominator;
		ratio_cell(s, l->first_measure + (lxw_col_t)col,
		           l->first_measure + (lxw_col_t)num,
		           l->first_measure + (lxw_col_t)den, sums[num],
		           sums[den],
		           unit_style(kpi_measure_unit(group_measure[col])));
	}
	/* not a formula: the median of all orders */
	xl_number(s, l->first_measure + G_MEDIAN_CYCLE,
	          kpi->total.median_cycle, XL_DAYS);
	for (size_t i = 0; i < kpi->currency_count; i++) {
		const char *code = kpi->currencies[i];
		lxw_col_t col = l->first_money + (lxw_col_t)(i * M_COLUMNS);
		kpi_money total = { 0 };
		for (size_t r = 0; r < t->count; r++) {
			total.revenue += t->rows[r].money[i].revenue;
			total.penalties += t->rows[r].money[i].penalties;
			total.costs += t->rows[r].money[i].costs;
			total.accrued += t->rows[r].money[i].accrued;
		}
		sum_cell(s, col + M_REVENUE, last, (double)total.revenue, code,
		         XL_GENERAL);
		sum_cell(s, col + M_PENALTIES, last, (double)total.penalties,
		         code, XL_GENERAL);
		sum_cell(s, col + M_COSTS, last, (double)total.costs, code,
		         XL_GENERAL);
		sum_cell(s, col + M_MARGIN, last, kpi_margin(&total), code,
		         XL_GENERAL);
		ratio_cell(s, col + M_MARGIN_RATE, col + M_MARGIN,
		           col + M_REVENUE, kpi_margin(&total),
		           (double)total.revenue, XL_PERCENT);
		sum_cell(s, col + M_ACCRUED, last, (double)total.accrued, code,
		         XL_GENERAL);
	}
	xl_totals(s, false);
}

static void write_group(xl_book *book, const report_context *ctx,
                        kpi_grouping grouping)
{
	const group_sheet *g = &group_sheets[grouping];
	const kpi_set *kpi = ctx->kpi;
	const kpi_table *t = &kpi->by[grouping];
	group_layout l = layout_of(g, kpi);
	char **headers = group_headers(g, kpi, &l);
	xl_sheet *s = xl_sheet_new(book, g->name, (const char *const *)headers,
	                           l.columns, (lxw_row_t)t->count);

	for (size_t r = 0; r < t->count; r++, xl_next_row(s))
		write_group_row(s, g, &l, kpi, &t->rows[r],
		                grouping == KPI_BY_MONTH);
	if (t->count > 0)
		write_group_totals(s, &l, kpi, t, (lxw_row_t)t->count);
	xl_sheet_finish(s);
	for (lxw_col_t c = 0; c < l.columns; c++)
		free(headers[c]);
	free(headers);
}

/* ---- Charts ------------------------------------------------------------- */

static lxw_chart_series *add_series(lxw_chart *chart, const char *sheet,
                                    lxw_col_t category_col, lxw_col_t col,
                                    lxw_row_t rows)
{
	lxw_chart_series *series = chart_add_series(chart, NULL, NULL);

	chart_series_set_categories(series, sheet, 1, category_col, rows,
	                            category_col);
	chart_series_set_values(series, sheet, 1, col, rows, col);
	chart_series_set_name_range(series, sheet, 0, col);
	return series;
}

static void on_time_chart(xl_book *book, lxw_worksheet *ws,
                          const kpi_set *kpi)
{
	const group_sheet *g = &group_sheets[KPI_BY_EXECUTOR];
	group_layout l = layout_of(g, kpi);
	lxw_row_t rows = (lxw_row_t)kpi->by[KPI_BY_EXECUTOR].count;
	lxw_chart *chart = workbook_add_chart(xl_workbook(book), LXW_CHART_BAR);
	lxw_chart_options where = { .x_offset = 10, .y_offset = 10,
	                            .x_scale = 1.6, .y_scale = 1.4 };
	lxw_chart_series *series;

	chart_title_set_name(chart, "On-time rate by executor");
	series = add_series(chart, g->name, 1, l.first_measure + G_ON_TIME_RATE,
	                    rows);
	/* labels tell 0% from "nothing completed yet" (no bar, no label) */
	chart_series_set_labels(series);
	chart_series_set_labels_num_format(series, "0%");
	chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
	/* a bar chart's x axis is the horizontal, value axis */
	chart_axis_set_num_format(chart->x_axis, "0%");
	chart_axis_set_min(chart->x_axis, 0);
	chart_axis_set_max(chart->x_axis, 1);
	chart_axis_set_major_unit(chart->x_axis, 0.25);
	chart_axis_set_reverse(chart->y_axis);     /* first executor on top */
	worksheet_insert_chart_opt(ws, 1, 0, chart, &where);
}

/* The month chart's data, beside it on the Charts sheet: the month as a
 * label (LibreOffice draws a single date category as January of its
 * year), and the two counts as formulas linked to By month. */
#define CHART_DATA_COL 14

static void month_chart_data(xl_book *book, lxw_worksheet *ws,
                             const kpi_set *kpi)
{
	const group_sheet *g = &group_sheets[KPI_BY_MONTH];
	group_layout l = layout_of(g, kpi);
	const kpi_table *t = &kpi->by[KPI_BY_MONTH];
	static const char *const headers[] = {
		"Month", "Completed", "Open overdue (by due month)"
	};
	lxw_format *bold = workbook_add_format(xl_workbook(book));

	format_set_bold(bold);
	for (lxw_col_t c = 0; c < 3; c++)
		worksheet_write_string(ws, 0, CHART_DATA_COL + c, headers[c],
		                       bold);
	for (size_t r = 0; r < t->count; r++) {
		lxw_row_t row = (lxw_row_t)r + 1;
		char cell[XL_REF_SIZE], *formula;
		worksheet_write_string(ws, row, CHART_DATA_COL, t->rows[r].key,
		                       NULL);
		xl_cell(cell, row, l.first_measure + G_COMPLETED);
		formula = xasprintf("='%s'!%s", g->name, cell);
		worksheet_write_formula_num(ws, row, CHART_DATA_COL + 1,
		                            formula, NULL,
		                            (double)t->rows[r].completed);
		free(formula);
		xl_cell(cell, row, l.first_measure + G_OPEN_OVERDUE);
		formula = xasprintf("='%s'!%s", g->name, cell);
		worksheet_write_formula_num(ws, row, CHART_DATA_COL + 2,
		                            formula, NULL,
		                            (double)t->rows[r].open_overdue);
		free(formula);
	}
	worksheet_set_column(ws, CHART_DATA_COL, CHART_DATA_COL + 2, 14, NULL);
}

static void month_chart(xl_book *book, lxw_worksheet *ws, const kpi_set *kpi)
{
	const kpi_table *t = &kpi->by[KPI_BY_MONTH];
	lxw_chart *chart = workbook_add_chart(xl_workbook(book),
	                                      LXW_CHART_COLUMN);
	lxw_chart_options where = { .x_offset = 10, .y_offset = 10,
	                            .x_scale = 1.6, .y_scale = 1.4 };
	size_t most = 0;

	for (size_t r = 0; r < t->count; r++) {
		if (t->rows[r].completed > most)
			most = t->rows[r].completed;
		if (t->rows[r].open_overdue > most)
			most = t->rows[r].open_overdue;
	}
	month_chart_data(book, ws, kpi);
	chart_title_set_name(chart, "Completed vs open overdue by month");
	add_series(chart, "Charts", CHART_DATA_COL, CHART_DATA_COL + 1,
	           (lxw_row_t)t->count);
	add_series(chart, "Charts", CHART_DATA_COL, CHART_DATA_COL + 2,
	           (lxw_row_t)t->count);
	chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
	chart_axis_set_num_format(chart->y_axis, "#,##0");
	chart_axis_set_min(chart->y_axis, 0);
	/* whole numbers on the axis: about five steps */
	chart_axis_set_major_unit(chart->y_axis, most < 5 ? 1
	                          : ceil((double)most / 5));
	worksheet_insert_chart_opt(ws, 23, 0, chart, &where);
}

static void write_charts(xl_book *book, const kpi_set *kpi)
{
	lxw_worksheet *ws = workbook_add_worksheet(xl_workbook(book), "Charts");

	if (ws == NULL)
		return;
	worksheet_set_landscape(ws);
	worksheet_set_paper(ws, 9);
	worksheet_fit_to_pages(ws, 1, 1);
	worksheet_set_footer(ws, "&CPage &P of &N");
	if (kpi->by[KPI_BY_EXECUTOR].count == 0)
		worksheet_write_string(ws, 0, 0, "No orders: no charts.", NULL);
	if (kpi->by[KPI_BY_EXECUTOR].count > 0)
		on_time_chart(book, ws, kpi);
	if (kpi->by[KPI_BY_MONTH].count > 0)
		month_chart(book, ws, kpi);
}

#define PERFORMANCE_ROWS_IN_MEMORY 50000

/* ---- the workbook ------------------------------------------------------- */

int report_performance_write(const report_context *ctx, const char *path)
{
	char as_of[11], *subject, *comments;
	xl_props props = { .title = "Order performance",
	                   .as_of = ctx->data->as_of };
	xl_book *book;
	size_t most = 0;

	date_format(ctx->data->as_of, as_of);
	subject = xasprintf("KPIs as of %s", as_of);
	comments = xasprintf("mandate report from ledger head %s", ctx->head);
	props.subject = subject;
	props.comments = comments;
	/* Normal mode keeps every cell in memory, and so fills the charts'
	 * data caches (viewers that do not read the cells show them too);
	 * a By sheet of more than PERFORMANCE_ROWS_IN_MEMORY rows (a client
	 * list in the millions) is written in constant memory instead,
	 * which the code here allows: rows go strictly in order. */
	for (int g = 0; g < KPI_GROUPINGS; g++)
		if (ctx->kpi->by[g].count > most)
			most = ctx->kpi->by[g].count;
	book = xl_book_new(path, ctx->tmpdir, most > PERFORMANCE_ROWS_IN_MEMORY,
	                   &props);
	free(subject);
	free(comments);
	if (book == NULL)
		return -1;
	write_kpi(book, ctx);
	for (int g = 0; g < KPI_GROUPINGS; g++)
		write_group(book, ctx, g);
	write_charts(book, ctx->kpi);
	return xl_book_close(book);
}
