/* What the XLSX reports need, collected from one replay of the ledger
 * (SPEC §5): a compact record per order, the amendment log and the trial
 * balance, all as of a date.
 *
 * As of a date D: an operation counts when its date (`on`, `effective`
 * for an amendment, `received` for an order) is on or before D; the
 * operations that count are applied in ledger order, and the others are
 * ignored as if they had not been booked yet.  So an order received after
 * D is absent, a payment dated after D is not in "paid", a completion
 * dated after D leaves the order open (and perhaps overdue), an amendment
 * effective after D is neither in the log nor in the fields shown.  The
 * facts of a completion (executor, due date and price in force, days late,
 * penalty) are taken as the ledger booked them.  An evaluation whose
 * completion does not count is ignored too.  The trial balance holds the
 * postings of the operations that count: `ledger -f EXPORT bal -e D+1`
 * gives the same balances.
 *
 * The collection may be split in two parts, each fed by one half of a
 * split replay (ledger_replay_halves) on its own thread: a part holds
 * what its orders need, and report_data_loaded puts the parts together
 * (sums, names); the cursors then read both parts' records merged into
 * ledger order, so everything after the replay reads as if one part
 * had collected it all.
 *
 * Memory does not grow with the orders: each order's record (fixed size,
 * addressed by its ordinal in its part's book, order_state.ordinal) and
 * the amendment log live in unnamed scratch files in the output folder
 * (util/spill.h: gone when closed, whatever happens), and so do the
 * texts (titles, reasons, amended values), read back by report_text_get.
 * About 250 bytes of scratch space per order (plus the texts and the
 * amendments); in memory only the parties (the records point at them:
 * the files live as long as this process), the month costs, the trial
 * balance and a cache of the order records being changed (16 MB for
 * all parts: an order's operations spread over tens of thousands of
 * later orders).
 *
 * Use: report_data_new(as_of, dir, parts); replay the ledger with
 * report_data_event as the replay_target's on_event and
 * report_data_wants_states as its wants_states (ctx = report_data_part,
 * at_once = true; with two parts, ledger_replay_halves with part i as
 * the ctx of target i);
 * report_data_loaded; then read the orders and changes with a cursor, or
 * one order by its place.  report_data_free releases everything. */
#ifndef MANDATE_REPORT_DATA_H
#define MANDATE_REPORT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "ledger_replay.h"
#include "trial_balance.h"
#include "util/date.h"
#include "util/money.h"

/* A client or an executor: id and the name the latest order gave it.
 * Interned: one per id, shared by every order that names it. */
typedef struct report_party {
	const char *id;
	const char *name;
	uint64_t named_at;          /* seq of the operation that named it */
} report_party;

/* A text in the scratch file. */
typedef struct report_text {
	uint64_t at;
	uint32_t length;
	uint32_t part;              /* whose scratch file */
} report_text;

typedef struct report_order {
	/* (largest fields first: little padding, 248 bytes; the caches
	 * hold 65,536 of them in all) */
	size_t order_number;                /* place in ledger order
	                                       (replay_event.order_number) */
	size_t place;                       /* report_data_order's key: its
	                                       part and ordinal there */
	const report_party *client;
	const report_party *executor;       /* in force now; NULL: none */
	const report_party *done_executor;  /* in force at completion */
	int64_t price;                      /* in force now, minor units */
	int64_t costs, payments;            /* minor units of currency */
	/* at completion, as booked */
	int64_t done_price;
	int64_t penalty;
	/* penalty terms in force now, for the accrued penalty */
	int64_t penalty_rate_per_day, penalty_cap;  /* as in order_terms */
	report_text title;
	order_kind kind;
	priority priority;
	stage stage;
	date_t received, start, due;        /* DATE_NONE when not set */
	date_t completed_on, closed_on, cancelled_on;  /* DATE_NONE: not yet */
	date_t last_change;                 /* latest date of its operations */
	date_t done_due;                    /* at completion, as booked */
	int days_late;                      /* at completion, as booked */
	int progress;                       /* last report, -1: none */
	int amendments;                     /* amendments that count */
	int score;                          /* 0: not evaluated */
	char currency[4];                   /* "" until the first price */
	bool has_price;
	bool has_penalty;
	bool counted;                       /* false: not an order that
	                                       counts (a hole) */
	char id[IDENT_MAX + 1];
} report_order;

/* One value of an amended field, typed so the sheet keeps it typed. */
typedef enum { VALUE_NONE, VALUE_TEXT, VALUE_DATE, VALUE_MONEY } value_type;
typedef struct report_value {
	value_type type;
	report_text text;                   /* VALUE_TEXT */
	date_t date;                        /* VALUE_DATE */
	int64_t amount;                     /* VALUE_MONEY, minor units */
	char currency[4];                   /* VALUE_MONEY */
} report_value;

/* One changed field of one amendment. */
typedef struct report_change {
	uint64_t seq;                       /* of the amendment */
	size_t order;                       /* the order's place */
	date_t effective;
	int version;                        /* the version the amendment made */
	report_text reason;
	unsigned field;                     /* FIELD_* bit */
	report_value old_value, new_value;
} report_change;

/* Costs booked in a month, per currency (for the By month sheet). */
typedef struct report_month_costs {
	int32_t month;                      /* year * 12 + month - 1 */
	char currency[4];
	int64_t costs;                      /* once loaded */
	money_sum exact;                    /* (private) summed */
} report_month_costs;

typedef struct report_data {
	date_t as_of;
	size_t order_count;                 /* orders that count */
	size_t change_count;                /* amendment log, ledger order */
	report_month_costs *month_costs;    /* unsorted */
	size_t month_cost_count;
	trial_balance *balances;
	uint64_t events, ignored;           /* operations seen, after as-of */
	bool overflow;                      /* a sum does not fit (reported
	                                       once loaded) */
	/* private */
	struct report_part *parts;
	unsigned part_count;
} report_data;

/* Makes dir (and its parents) if needed and the scratch files of `parts`
 * parts (1 or 2) in it; NULL (reported) when it cannot. */
report_data *report_data_new(date_t as_of, const char *dir,
                             unsigned parts);
void report_data_free(report_data *data);
/* The ctx of report_data_event for part i (< parts). */
void *report_data_part(report_data *data, unsigned i);
/* The replay_event_fn: ctx is a report_data_part.  Each part on one
 * thread at a time. */
void report_data_event(void *ctx, const replay_event *event);
/* The replay_target's wants_states: <amend> (its `before`).  The
 * replay must deliver at_once (every event's `after` is needed). */
bool report_data_wants_states(void *ctx, const operation *op);
/* Once the replay is over: writes out what is cached and puts the parts
 * together (overflowing sums are reported, and set overflow). */
void report_data_loaded(report_data *data);

/* The record of the order with this place (report_order.place). */
void report_data_order(const report_data *data, size_t place,
                       report_order *out);
/* A text, NUL-terminated, in *buf (grown as needed; free it). */
const char *report_text_get(const report_data *data, report_text text,
                            char **buf, size_t *capacity);

/* Reading every counted order in ledger order, or every change:
 *     report_cursor c;
 *     report_orders_begin(&c, data);
 *     while ((o = report_orders_next(&c)) != NULL) ...
 *     report_cursor_end(&c);
 * Each pointer is valid until the next call. */
typedef struct report_stream {          /* one part's file */
	int fd;
	size_t next, total;                 /* record index, count */
	unsigned char *buf;
	size_t first, have;                 /* records in buf from first */
} report_stream;
typedef struct report_cursor {
	const report_data *data;
	size_t size;                        /* of a record */
	bool orders;                        /* else changes */
	unsigned streams;
	report_stream stream[2];
} report_cursor;
void report_orders_begin(report_cursor *c, const report_data *data);
const report_order *report_orders_next(report_cursor *c);
void report_changes_begin(report_cursor *c, const report_data *data);
const report_change *report_changes_next(report_cursor *c);
void report_cursor_end(report_cursor *c);

/* The month key of a date, and the first day of a month key. */
int32_t report_month_of(date_t date);
date_t report_month_start(int32_t month);

/* "title", "due", ... as the Amendments sheet names a FIELD_* bit. */
const char *report_field_label(unsigned field);

#endif
