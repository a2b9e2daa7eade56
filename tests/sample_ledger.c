/* Booking the sample days for tests; see sample_ledger.h. */
#include "sample_ledger.h"

#include <stdlib.h>

#include "batch_check.h"
#include "batch_read.h"
#include "ledger_replay.h"
#include "tap.h"
#include "util/xalloc.h"

static const char *const days[] = {
	"samples/day-01.xml", "samples/day-02.xml", "samples/day-03.xml",
	"samples/day-04.xml", "samples/day-05.xml"
};

static size_t book_file(batch_reader *reader, order_book *book, ledger *l,
                        const char *name)
{
	char *file = test_src_path(name);
	batch *b;
	op_effect *effects;
	size_t ops;

	if (batch_read_file(reader, file, &b) != BATCH_READ_OK)
		bail("cannot read %s", file);
	effects = xcalloc(b->op_count, sizeof *effects);
	book_txn_begin(book);
	if (batch_check(book, b, DATE_NONE, effects) != 0 ||
	    ledger_post_batch(l, b, effects) != LEDGER_OK)
		bail("cannot book %s", file);
	book_txn_commit(book);
	order_book_add_batch(book, b->id);
	ops = b->op_count;
	free(effects);
	batch_free(b);
	free(file);
	return ops;
}

size_t book_sample_days(const char *path)
{
	char *schema = test_src_path("schemas/orders.xsd");
	batch_reader *reader = batch_reader_new(schema);
	order_book *book = order_book_new(true);
	replay_target target = { .book = book };
	ledger *l;
	size_t ops = 0;

	if (reader == NULL || ledger_load(path, LEDGER_WRITE, &target, &l) != 0)
		bail("cannot open %s", path);
	for (size_t i = 0; i < sizeof days / sizeof days[0]; i++)
		ops += book_file(reader, book, l, days[i]);
	ledger_close(l);
	order_book_free(book);
	batch_reader_free(reader);
	free(schema);
	return ops;
}
