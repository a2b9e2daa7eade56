/* Replaying the ledger: one streaming pass that checks the chain (through
 * ledger_scan) and rebuilds every order's state and the trial balance by
 * running each booked operation through the same rules that accepted it
 * (order_book).  A record that does not replay to the postings written
 * beside it is an integrity failure.  This is the API the documents and
 * reports stages use. */
#ifndef MANDATE_LEDGER_REPLAY_H
#define MANDATE_LEDGER_REPLAY_H

#include "ledger_store.h"
#include "order_book.h"
#include "trial_balance.h"

/* One booked operation as replay saw it, delivered once its batch is
 * committed (operations of an uncommitted tail are never delivered).
 * Everything is valid during the callback only: copy what you keep. */
typedef struct replay_event {
	uint64_t seq;              /* ledger sequence number of the op record */
	long line;                 /* its line in the ledger */
	const char *batch_id;
	const operation *op;       /* decoded; op->line is the ledger line */
	const op_effect *effect;   /* version, changed fields, postings... */
	const order_state *before; /* the order just before the op (NULL for
	                              a new order, or when states are not
	                              wanted: replay_target.wants_states) */
	const order_state *after;  /* the order just after the op (NULL when
	                              states are not wanted) */
	/* <order>: how many <order> records come before it in the ledger (its
	 * place in ledger order; effect->ordinal, the book's own numbering,
	 * is the same unless the replay is split); other operations: 0 */
	size_t order_number;
} replay_event;

typedef void (*replay_event_fn)(void *ctx, const replay_event *event);

typedef struct replay_target {
	order_book *book;          /* required: receives the orders */
	trial_balance *balances;   /* NULL: not kept */
	replay_event_fn on_event;  /* NULL: no events (and no copies made) */
	/* NULL, or which operations on_event wants (the others cost no
	 * copies) */
	bool (*wants)(void *ctx, const operation *op);
	/* NULL, or which of the wanted operations need their event's before
	 * and after states (the others get NULL there, and cost no copies) */
	bool (*wants_states)(void *ctx, const operation *op);
	void *ctx;                 /* passed to on_event and wants */
	/* true: each wanted event arrives as soon as its operation replays,
	 * not at its batch's commit, and costs no copies: `after` is the
	 * order's live state in the book (always given), `before` a snapshot
	 * when wants_states says so, `effect` the postings the ledger must
	 * show next.  Operations after the last commit line (the uncommitted
	 * tail) still never arrive.  For a consumer that throws everything
	 * away when the replay fails: the events before the failure have
	 * arrived by then. */
	bool at_once;
} replay_target;

/* Returns LEDGER_OK, LEDGER_INTEGRITY (reported with ledger:line) or
 * LEDGER_ENV. */
int ledger_replay(ledger *l, const replay_target *target);

/* The same replay split in two halves that run at once, on two threads:
 * targets[0] receives the operations (and their postings) of the orders
 * whose id hashes to half 0, targets[1] those of half 1 (half_of_order),
 * each in ledger order, into its own book, with its own events (each
 * target's on_event runs on its half's thread only: a target's ctx must
 * not be shared).  The caller's thread scans with every check
 * ledger_scan makes; the other reads the same lines unchecked and
 * replays its half of them, so nothing it does counts until the scan
 * has passed those lines.  Each book numbers its own orders
 * (effect->ordinal); event->order_number is the place in the whole
 * ledger.  The result and the messages are those of ledger_replay: of
 * two failures the one on the earlier line is reported (the other is
 * dropped), and the messages of each half are printed when both are
 * done (half 0's first).  When the replay fails, events of lines after
 * the failing one may have arrived as well: throw them all away.  The
 * targets' balances must be NULL (a trial balance kept in halves would
 * overflow where one kept in ledger order would not, and the other way
 * round: sum the events' postings, exactly, instead).  When no thread
 * can be started, one replay into targets[0] does it all. */
int ledger_replay_halves(ledger *l, const replay_target targets[2]);
/* Which half of a split replay an order belongs to (0 or 1). */
int half_of_order(const char *id, size_t length);

/* Writes a checked batch: begin, one record per operation followed by its
 * postings, commit; then fsync.  effects[i] belongs to b->ops[i].  Returns
 * LEDGER_OK or LEDGER_ENV (reported; the file is as before). */
int ledger_post_batch(ledger *l, const batch *b, const op_effect *effects);

/* Opens the ledger at path and replays it into target.  Write mode also
 * rolls back an uncommitted tail; read mode reports its size.  On success
 * *out is the open (locked) ledger; on failure it is closed. */
int ledger_load(const char *path, ledger_mode mode,
                const replay_target *target, ledger **out);
/* The same, read mode only, with ledger_replay_halves. */
int ledger_load_halves(const char *path, const replay_target targets[2],
                       ledger **out);
#endif
