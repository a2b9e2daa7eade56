/* Fuzz target: bytes as an order batch file → safe parse, XSD validation
 * and conversion (batch_read) → the rule checks (batch_check), against
 *
 *   - an empty book that does not know the ledger (mandate validate),
 *   - the book of the sample days (mandate apply on an existing ledger),
 *   - an empty book that knows every order; a batch it accepts must pass
 *     the first book too, and is posted to a fresh ledger, which must then
 *     replay (what apply writes, the next run must read back). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch_check.h"
#include "batch_read.h"
#include "fuzz/fuzz.h"
#include "ledger_replay.h"
#include "util/datadir.h"
#include "util/xalloc.h"

static batch_reader *reader;
static order_book *sample_book;
static date_t as_of;

/* Books one sample day into sample_book, as apply would. */
static void book_day(const char *name)
{
	char *path = datadir_path(name);
	batch *b;

	if (batch_read_file(reader, path, &b) != BATCH_READ_OK)
		abort();
	book_txn_begin(sample_book);
	if (batch_check(sample_book, b, DATE_NONE, NULL) != 0)
		abort();
	book_txn_commit(sample_book);
	order_book_add_batch(sample_book, b->id);
	batch_free(b);
	free(path);
}

static void setup(void)
{
	static const char *const days[] = {
		"samples/day-01.xml", "samples/day-02.xml",
		"samples/day-03.xml", "samples/day-04.xml",
		"samples/day-05.xml"
	};

	fuzz_setup();
	if ((reader = batch_reader_new(NULL)) == NULL)
		abort();
	sample_book = order_book_new(true);
	order_book_shed_finished(sample_book);
	for (size_t i = 0; i < sizeof days / sizeof days[0]; i++)
		book_day(days[i]);
	as_of = date_from_ymd(2026, 12, 31);
}

/* Checks b against book in a transaction; commits when accepted. */
static bool check(order_book *book, const batch *b, op_effect *effects)
{
	bool accepted;

	book_txn_begin(book);
	accepted = batch_check(book, b, as_of, effects) == 0;
	if (accepted)
		book_txn_commit(book);
	else
		book_txn_abort(book);
	return accepted;
}

/* Posts an accepted batch to a new ledger and replays it. */
static void post_and_replay(const batch *b, const op_effect *effects)
{
	char *path = fuzz_path("posted.ledger");
	order_book *book;
	replay_target target = { 0 };
	ledger *l;

	unlink(path);
	if (ledger_open(path, LEDGER_WRITE, &l) != LEDGER_OK
	    || ledger_scan(l, NULL, NULL) != LEDGER_OK
	    || ledger_post_batch(l, b, effects) != LEDGER_OK)
		abort();
	ledger_close(l);
	target.book = book = order_book_new(true);
	if (ledger_load(path, LEDGER_READ, &target, &l) != LEDGER_OK)
		abort();    /* we wrote what we cannot read back */
	ledger_close(l);
	order_book_free(book);
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path;
	batch *b;
	order_book *book;
	op_effect *effects;
	bool loose;

	if (reader == NULL)
		setup();
	fuzz_reset();
	path = fuzz_write_file("batch.xml", data, size);
	if (batch_read_file(reader, path, &b) == BATCH_READ_OK) {
		effects = xcalloc(b->op_count + 1, sizeof *effects);
		book = order_book_new(false);
		loose = check(book, b, NULL);
		order_book_free(book);
		book_txn_begin(sample_book);
		batch_check(sample_book, b, as_of, effects);
		book_txn_abort(sample_book);
		memset(effects, 0, (b->op_count + 1) * sizeof *effects);
		book = order_book_new(true);
		if (check(book, b, effects)) {
			/* A book that knows every order judges more. */
			if (!loose)
				abort();
			post_and_replay(b, effects);
		}
		order_book_free(book);
		free(effects);
		batch_free(b);
	}
	free(path);
	return 0;
}
