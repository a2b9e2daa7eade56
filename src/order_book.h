/* The state of every order, and the rules that move it (SPEC §1–§3).
 *
 * A book maps order ids to their current state.  Operations are checked and
 * applied inside a transaction (one batch): the states a batch touches are
 * copied on first write (and every rule checks before it changes anything,
 * so a refused operation leaves no trace), so a batch that fails anywhere
 * is dropped whole
 * and the book is exactly as before (book_txn_abort); book_txn_commit makes
 * the batch's states the book's.
 *
 * The same rules serve `validate` (an empty book that does not know the
 * ledger: operations on orders it has never seen are not judged), `apply`
 * (the book replayed from the ledger) and replay itself. */
#ifndef MANDATE_ORDER_BOOK_H
#define MANDATE_ORDER_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"

typedef struct order_state {
	char id[IDENT_MAX + 1];
	stage stage;
	int version;               /* 1 when created, +1 per amendment */
	int amendments;
	date_t received;
	client client;
	order_kind kind;
	priority priority;
	order_fields fields;       /* in force; `present` says which are set */
	int progress;              /* -1 until the first report */
	bool has_money;            /* a cost or a payment has been booked */
	int64_t costs;
	int64_t payments;
	date_t fixed_on;           /* DATE_NONE until then */
	date_t completed_on;
	date_t closed_on;
	date_t cancelled_on;
	int score;                 /* 0 until evaluated */
	size_t ordinal;            /* orders the book had before this one */
	/* where it was created, when in the batch being checked */
	const char *created_file;
	long created_line;
	/* the book's own: in the open batch's list of changed states (a book
	 * changed in place: order_book_in_place) */
	bool touched;
} order_state;

/* A posting: debit positive, credit negative, minor units. */
typedef struct posting {
	char account[128];
	int64_t amount;
	char currency[4];
} posting;

#define OP_MAX_POSTINGS 4

/* What applying one operation did, for the ledger writer. */
typedef struct op_effect {
	posting postings[OP_MAX_POSTINGS];
	int posting_count;
	int version;               /* the order's version after the op */
	unsigned changed;          /* amend: FIELD_* bits that changed */
	int days_late;             /* complete */
	int64_t penalty;           /* complete */
	size_t ordinal;            /* the order's ordinal (order_state) */
} op_effect;

/* A deep copy of an order's state (owned by the caller), and its release. */
order_state *order_state_clone(const order_state *src);
void order_state_free(order_state *state);
/* The same copy in one allocation, to read only (its texts and arrays
 * live inside it): release it with free(), never order_state_free. */
order_state *order_state_snapshot(const order_state *src);

typedef struct order_book order_book;

/* knows_all_orders: false for a book that does not hold the ledger; then
 * operations on orders it has not seen are accepted unjudged. */
order_book *order_book_new(bool knows_all_orders);
/* From now on, a completed (stage evaluation), closed or cancelled order
 * keeps in the committed book only what later operations on it need (ids,
 * kind, currency, money totals, dates, stage, version): its texts,
 * resources and terms are dropped, and the rest is frozen in a compact
 * record (about 100 bytes, or 20 in memory when spilled), so memory grows
 * with the open orders, not with history.  Reading a frozen order (lookup,
 * find, each) thaws a copy that lives until the next commit or abort.
 * For books whose callers read only the rules' verdicts (apply, validate)
 * or copy what they need from replay events (report): the events' states
 * are copied before the drop. */
void order_book_shed_finished(order_book *book);
/* Frozen records go to fd (a spill_open() file the caller closes after
 * order_book_free) instead of memory: only the ids stay in memory, and
 * the 16,384 / share records frozen last (a 1.5 MB / share write-back
 * cache).  share: how many books the orders are split between (1: this
 * book holds them all; 2: a half of a split replay). */
void order_book_spill(order_book *book, int fd, unsigned share);
/* From now on, batches change the book in place, without copies:
 * book_txn_abort no longer undoes anything (it only ends the batch), so a
 * book that saw an aborted batch is good for nothing but order_book_free.
 * For a replay whose book is thrown away once read (report: its events
 * are delivered only for committed batches, and a failed replay fails
 * the command). */
void order_book_in_place(order_book *book);
void order_book_free(order_book *book);
size_t order_book_count(const order_book *book);
/* The committed state of order id, or NULL. */
const order_state *order_book_find(const order_book *book, const char *id);
/* The state as the open transaction sees it (its changes included). */
const order_state *order_book_lookup(const order_book *book, const char *id);
/* Calls fn for every order, in no particular order. */
void order_book_each(const order_book *book,
                     void (*fn)(const order_state *order, void *ctx),
                     void *ctx);

/* Batch ids already booked. */
bool order_book_has_batch(const order_book *book, const char *batch_id);
void order_book_add_batch(order_book *book, const char *batch_id);

void book_txn_begin(order_book *book);
/* Checks op against the state (file is op's file, for messages; as_of is
 * the latest date an operation may carry).  On success applies it, fills
 * *effect (may be NULL) and returns 0; otherwise reports file:line: message
 * and returns -1, leaving the state as it was before this op. */
int book_apply(order_book *book, const operation *op, const char *file,
               date_t as_of, op_effect *effect);
void book_txn_commit(order_book *book);
void book_txn_abort(order_book *book);

/* The penalty for completing days_late days after due (SPEC §3): price ×
 * rate% × days, capped at price × cap%, rounded half away from zero to the
 * minor unit.  false on overflow. */
bool penalty_amount(int64_t price, const order_terms *terms, int days_late,
                    int64_t *out);

#endif
