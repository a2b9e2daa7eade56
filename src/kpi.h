/* The key performance indicators (SPEC §5), defined once and computed
 * once from the report data, for both workbooks.  mandate(1), section
 * KPI DEFINITIONS, says the same in words; keep them together.
 *
 * Per order, as of the report's date D (report_data.h says which
 * operations count):
 *   completed     it has a completion dated on or before D;
 *   on time       completed, and the completion date is on or before the
 *                 due date in force at completion (as booked: days late 0);
 *   late          completed after that due date;
 *   open          neither completed nor cancelled;
 *   open overdue  open, with a due date, and D is after the due date;
 *   cycle days    completion date - received date, calendar days;
 *   revenue       the price in force at completion, when completed;
 *   penalty       the late penalty booked at completion;
 *   costs         the cost operations that count, whatever the stage;
 *   accrued penalty  of an open overdue order: the penalty it would carry
 *                 if completed on D (price and terms in force now,
 *                 D - due days late; penalty_amount()).
 * Per group of orders:
 *   on-time rate = on time / completed; cancellation rate = cancelled /
 *   received; mean and median cycle days over the completed orders (the
 *   median of an even count is the mean of the middle two); mean score
 *   over the evaluated orders; margin = revenue - penalties - costs;
 *   margin % = margin / revenue.  A ratio with a zero denominator is
 *   undefined (NAN here, an empty cell in the sheets).
 *   Money is never added across currencies: every money figure is per
 *   currency.
 * Groups:
 *   executor  the executor in force at completion, or now if not
 *             completed (orders without one: the "(none)" row);
 *   kind, client;
 *   month     every month from the earliest received month to D's month.
 *             Each figure goes to the month of its own event, so every
 *             column adds up to the overall figure: received and
 *             cancelled (and so the cancellation rate) by the month the
 *             order was received; completed, on time, late, cycle days,
 *             scores, revenue and penalties by the completion month;
 *             costs by the month of each cost operation; open overdue and
 *             accrued penalty by the month the order fell due. */
#ifndef MANDATE_KPI_H
#define MANDATE_KPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report_data.h"

/* Money of one currency. */
typedef struct kpi_money {
	int64_t revenue, penalties, costs, accrued;
} kpi_money;

typedef struct kpi_row {
	char *key;                  /* executor id, kind, client id, YYYY-MM;
	                               "" for orders without an executor */
	char *label;                /* executor or client name, kind, month */
	int32_t month;              /* By month rows: report_month_of() */
	size_t received, completed, on_time, late, open_overdue, cancelled,
	       evaluated;
	int64_t cycle_days;         /* sum over the completed orders */
	int64_t score_sum;          /* sum over the evaluated orders */
	double median_cycle;        /* NAN when none completed */
	kpi_money *money;           /* [kpi_set.currency_count] */
} kpi_row;

typedef struct kpi_table {
	kpi_row *rows;
	size_t count;
} kpi_table;

typedef enum kpi_grouping {
	KPI_BY_EXECUTOR, KPI_BY_KIND, KPI_BY_CLIENT, KPI_BY_MONTH,
	KPI_GROUPINGS
} kpi_grouping;

typedef struct kpi_set {
	date_t as_of;
	char (*currencies)[4];      /* of the priced orders, sorted */
	size_t currency_count;
	kpi_row total;              /* all orders */
	kpi_table by[KPI_GROUPINGS];
	bool overflow;              /* a money sum overflowed (reported) */
} kpi_set;

/* The measures of a row, in the order the sheets show them. */
typedef enum kpi_measure {
	KPI_RECEIVED, KPI_COMPLETED, KPI_ON_TIME, KPI_LATE, KPI_OPEN_OVERDUE,
	KPI_CANCELLED, KPI_EVALUATED, KPI_ON_TIME_RATE, KPI_MEAN_CYCLE,
	KPI_MEDIAN_CYCLE, KPI_MEAN_SCORE, KPI_CANCELLATION_RATE,
	KPI_MEASURES
} kpi_measure;

typedef enum kpi_unit { KPI_COUNT, KPI_RATE, KPI_DAYS, KPI_SCORE } kpi_unit;

const char *kpi_measure_name(kpi_measure m);       /* "On-time rate" */
const char *kpi_measure_definition(kpi_measure m); /* one sentence */
kpi_unit kpi_measure_unit(kpi_measure m);
/* The value of m for row, NAN when undefined (a zero denominator). */
double kpi_value(const kpi_row *row, kpi_measure m);

/* Margin (revenue - penalties - costs) in minor units; margin rate =
 * margin / revenue (NAN when there is no revenue). */
double kpi_margin(const kpi_money *m);
double kpi_margin_rate(const kpi_money *m);

/* Per-order predicates, shared with the status workbook. */
bool kpi_completed(const report_order *o);
bool kpi_open(const report_order *o);
bool kpi_overdue(const report_order *o, date_t as_of);
/* as_of - due for an open overdue order, else 0. */
int kpi_days_overdue(const report_order *o, date_t as_of);
/* Accrued penalty of an open overdue order (0 otherwise); false on
 * overflow. */
bool kpi_accrued_penalty(const report_order *o, date_t as_of, int64_t *out);

/* Computes every KPI of data; never NULL.  kpi_free releases it. */
kpi_set *kpi_compute(const report_data *data);
void kpi_free(kpi_set *set);
/* Position of code in set->currencies, or -1. */
int kpi_currency_index(const kpi_set *set, const char *code);

#endif
