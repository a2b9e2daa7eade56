/* Replaying the ledger in two halves at once; see ledger_replay.h.
 *
 * The caller's thread scans (every check) and replays half 0; a second
 * thread reads the same lines unchecked (ledger_read_lines) and replays
 * half 1.  Each half looks at every line's type: begin and commit lines
 * it replays (its book's batches), an operation it replays when its
 * order is in the half, and the postings after its own operations; of
 * the other half's operations it only counts the orders (for
 * order_number) and checks that its own last operation got all its
 * postings, just where one replay would.  Postings after a begin belong
 * to half 0, and so do records of an unknown type, so that a line one
 * replay would refuse is refused by a half with the same words; when
 * both halves refuse one line (the missing postings of one half's last
 * operation, and the other half's operation on that line), the check one
 * replay makes first wins (failure). */
#include "ledger_replay.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_codec.h"
#include "replay_core.h"
#include "util/diag.h"

/* A half's callback returns this when the other half has failed on an
 * earlier line (nothing this half finds later can count), or when its
 * unchecked line is not one the scan accepts (the scan will say so). */
#define REPLAY_STOPPED (-1)

/* What failed, in the order one replay checks a line: the scan's checks
 * first, then whether the operation before got all its postings, then
 * the rest.  Of two failures on one line the first in this order is the
 * one one replay reports. */
typedef enum { FAILED_SCAN, FAILED_POSTINGS, FAILED_REPLAY } failure;

/* One half: a replay of the operations of its orders. */
struct half {
	struct replay replay;
	struct split *split;
	int index;                  /* 0 or 1 */
	bool op_mine;               /* the last operation is this half's */
	record rec;                 /* the line being replayed */
	long line;                  /* the last line looked at */
	long failed_line;           /* where this half failed, 0: it did not */
	failure failed_how;
	int status;
	diag_deferred *messages;    /* printed once both are done */
};

struct split {
	ledger *l;
	/* the earliest line either half failed on so far */
	_Atomic long first_failure;
	struct half halves[2];
};

int half_of_order(const char *id, size_t length)
{
	uint64_t hash = 14695981039346656037u;          /* FNV-1a */

	for (size_t i = 0; i < length; i++) {
		hash ^= (unsigned char)id[i];
		hash *= 1099511628211u;
	}
	return (int)(hash >> 63);   /* the best-mixed bit */
}

typedef enum {
	LINE_BAD,                   /* not a line the scan accepts */
	LINE_BEGIN, LINE_COMMIT, LINE_POST,
	LINE_ORDER, LINE_OP,        /* operations: *half is set */
	LINE_OTHER                  /* an unknown type */
} line_kind;

/* What a half must know of a line before it parses it (or not): its kind
 * and, for an operation, its order's half.  Operations are written with
 * the order first and bare; anything else is parsed in full (in scratch). */
static line_kind classify(const char *line, size_t length, record *scratch,
                          int *half)
{
	const char *p = line, *end = line + length, *type, *id;
	char name[16];
	size_t type_length;
	line_kind kind;

	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == line || p == end || *p != ' ')
		return LINE_BAD;
	type = ++p;
	while (p < end && *p >= 'a' && *p <= 'z')
		p++;
	type_length = (size_t)(p - type);
	if (type_length == 0 || p == end || *p != ' ')
		return LINE_BAD;    /* every line goes on with " h=" */
	if (type_length >= sizeof name)
		return LINE_OTHER;
	memcpy(name, type, type_length);
	name[type_length] = '\0';
	if (strcmp(name, "begin") == 0)
		return LINE_BEGIN;
	if (strcmp(name, "commit") == 0)
		return LINE_COMMIT;
	if (strcmp(name, "post") == 0)
		return LINE_POST;
	if (!codec_is_op(name))
		return LINE_OTHER;
	kind = strcmp(name, "order") == 0 ? LINE_ORDER : LINE_OP;
	p++;
	if (end - p > 6 && memcmp(p, "order=", 6) == 0 && p[6] != '"') {
		id = p + 6;
		for (p = id; p < end && *p != ' '; p++)
			continue;
		*half = half_of_order(id, (size_t)(p - id));
		return kind;
	}
	if (record_parse(line, length, scratch) != 0)
		return LINE_BAD;
	id = record_get(scratch, "order");
	*half = id != NULL ? half_of_order(id, strlen(id)) : 0;
	return kind;
}

/* Notes a failure of r on line, if status is one. */
static int failed(struct half *r, long line, failure how, int status)
{
	long first;

	if (status == LEDGER_OK || status == REPLAY_STOPPED)
		return status;
	r->failed_line = line;
	r->failed_how = how;
	first = atomic_load(&r->split->first_failure);
	while (line < first &&
	       !atomic_compare_exchange_weak(&r->split->first_failure, &first,
	                                     line))
		continue;
	return status;
}

/* One line for one half: the lines of its own operations and what frames
 * them (begin, commit) are replayed; of the other half's operations only
 * the count of orders and the end of this half's last operation. */
static int half_line(struct half *r, const char *line, size_t length,
                     long number)
{
	int half = 0, status;
	line_kind kind;

	if (number > atomic_load_explicit(&r->split->first_failure,
	                                  memory_order_relaxed))
		return REPLAY_STOPPED;
	r->line = number;
	kind = classify(line, length, &r->rec, &half);
	switch (kind) {
	case LINE_BAD:
		return REPLAY_STOPPED;
	case LINE_BEGIN:
		r->op_mine = r->index == 0;  /* postings without operation */
		break;
	case LINE_COMMIT:
		break;
	case LINE_POST:
		if (!r->op_mine)
			return LEDGER_OK;
		break;
	case LINE_OTHER:
		if (r->index != 0)
			return LEDGER_OK;
		break;
	case LINE_ORDER:
	case LINE_OP:
		if (half != r->index) {
			struct replay *own = &r->replay;

			status = replay_postings_done(own, number);
			if (kind == LINE_ORDER)
				own->orders_seen++;
			r->op_mine = false;
			own->expected.posting_count = 0;
			own->next_posting = 0;
			return failed(r, number, FAILED_POSTINGS, status);
		}
		r->op_mine = true;
		break;
	}
	if (record_parse(line, length, &r->rec) != 0)
		return REPLAY_STOPPED;
	status = replay_record(&r->replay, &r->rec, number);
	return failed(r, number, r->replay.postings_missing ? FAILED_POSTINGS
	                                                    : FAILED_REPLAY,
	              status);
}

/* Half 0, on the scan's lines (checked). */
static int first_half_view(void *ctx, const record_view *view, long number)
{
	size_t length = (size_t)(view->end - view->line) + 3 +
	                2 * LEDGER_HASH_SIZE;       /* " h=" and the hash */

	return half_line(ctx, view->line, length, number);
}

static int second_half_line(void *ctx, const char *line, size_t length,
                            long number)
{
	return half_line(ctx, line, length, number);
}

static void *second_half(void *arg)
{
	struct half *r = arg;

	diag_defer_begin();
	r->status = ledger_read_lines(r->split->l, second_half_line, r);
	if (r->status == LEDGER_ENV)
		failed(r, r->line + 1, FAILED_SCAN, r->status);
	r->messages = diag_defer_end();
	return NULL;
}

/* The result of both halves, with the messages of the one that counts. */
static int settle(struct split *s)
{
	struct half *a = &s->halves[0], *b = &s->halves[1], *winner;

	if (a->status == LEDGER_OK && b->status == LEDGER_OK) {
		diag_replay(a->messages);
		diag_replay(b->messages);
		return LEDGER_OK;
	}
	/* the earlier line; on one line the earlier check (failure), and
	 * the scan's verdict (half 0) before the other half's */
	if (a->failed_line > 0 &&
	    (b->failed_line == 0 || a->failed_line < b->failed_line ||
	     (a->failed_line == b->failed_line &&
	      a->failed_how <= b->failed_how)))
		winner = a;
	else if (b->failed_line > 0)
		winner = b;
	else {                      /* cannot happen: a half lost its way */
		diag_replay_discard(a->messages);
		diag_replay_discard(b->messages);
		diag_error(ledger_path(s->l), b->line, "the second reader of "
		           "the ledger stopped where the scan did not");
		return LEDGER_ENV;
	}
	diag_replay(winner->messages);
	diag_replay_discard((winner == a ? b : a)->messages);
	return winner->status;
}

int ledger_replay_halves(ledger *l, const replay_target targets[2])
{
	struct split s = { .l = l, .first_failure = LONG_MAX };
	struct half *a = &s.halves[0], *b = &s.halves[1];
	uint64_t committed_below = 0;
	pthread_t thread;
	int status = LEDGER_OK;

	if (targets[0].balances != NULL || targets[1].balances != NULL)
		abort();    /* misuse: see ledger_replay.h */
	if (targets[0].at_once || targets[1].at_once)
		status = ledger_last_commit_seq(l, &committed_below);
	if (status != LEDGER_OK)
		return status;
	for (int i = 0; i < 2; i++) {
		struct half *r = &s.halves[i];

		r->replay.target = &targets[i];
		r->replay.path = ledger_path(l);
		r->replay.committed_below = committed_below;
		r->split = &s;
		r->index = i;
		record_init(&r->rec);
	}
	if (pthread_create(&thread, NULL, second_half, b) != 0)
		status = ledger_replay(l, &targets[0]);     /* all in one */
	else {
		diag_defer_begin();
		a->status = ledger_scan_views(l, first_half_view, a);
		if (a->status != LEDGER_OK && a->status != REPLAY_STOPPED &&
		    a->failed_line == 0)        /* the scan's: the next line */
			failed(a, a->line + 1, FAILED_SCAN, a->status);
		a->messages = diag_defer_end();
		pthread_join(thread, NULL);
		status = settle(&s);
	}
	for (int i = 0; i < 2; i++) {
		struct half *r = &s.halves[i];

		replay_end(&r->replay);
		record_free(&r->rec);
	}
	return status;
}

