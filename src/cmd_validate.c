/* mandate validate [--ledger L] [--as-of DATE] FILE|DIR...
 *
 * Checks batch files as `apply` would, writing nothing.  Files are checked
 * in order and each valid one is booked in memory, so a later file may
 * refer to the orders of an earlier one.  With --ledger, the ledger's
 * orders and batches count too (a ledger that does not exist yet is
 * empty), so unknown orders and duplicates across batches are judged. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "batch_check.h"
#include "batch_read.h"
#include "ledger_replay.h"
#include "read_ahead.h"
#include "cli.h"
#include "cmd.h"
#include "order_book.h"
#include "util/diag.h"

static void validate_usage(FILE *out)
{
	fprintf(out,
	        "usage: mandate validate [--ledger L] [--as-of DATE] [--jobs N] "
	        "FILE|DIR...\n"
	        "Checks batch files against the schema and the rules; writes "
	        "nothing.\n"
	        "exit: 0 all valid, 1 some invalid, 2 usage, 3 ledger "
	        "integrity, 4 unreadable\n");
}

/* Checks one file; returns its exit code. */
static int validate_file(read_ahead *ra, order_book *book,
                         const char *path, date_t as_of)
{
	batch *b = NULL;
	batch_read_status status = read_ahead_next(ra, &b);
	size_t refused;

	if (status != BATCH_READ_OK)
		return status == BATCH_READ_UNREADABLE ? EXIT_ENVIRONMENT
		                                       : EXIT_REJECTED;
	if (order_book_has_batch(book, b->id)) {
		diag_warning(path, 0, "batch '%s' is already booked: it would "
		             "be skipped", b->id);
		read_ahead_recycle(ra, b);
		return EXIT_ACCEPTED;
	}
	book_txn_begin(book);
	refused = batch_check(book, b, as_of, NULL);
	if (refused == 0) {
		book_txn_commit(book);
		order_book_add_batch(book, b->id);
		diag_note(path, 0, "valid: batch '%s', %zu operations", b->id,
		          b->op_count);
	} else {
		book_txn_abort(book);
	}
	read_ahead_recycle(ra, b);
	return refused == 0 ? EXIT_ACCEPTED : EXIT_REJECTED;
}

int cmd_validate(int argc, char **argv)
{
	static const struct option options[] = {
		{ "ledger", required_argument, NULL, 'l' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *ledger_path = NULL;
	date_t as_of = date_today();
	file_list files = { 0 };
	batch_reader *reader;
	read_ahead *ra;
	unsigned jobs = read_ahead_default_threads();
	order_book *book;
	int opt, status = EXIT_ACCEPTED;

	while ((opt = getopt_long(argc, argv, "j:qvh", options, NULL)) != -1) {
		switch (opt) {
		case 'l':
			ledger_path = optarg;
			break;
		case 'j':
			if (!cli_parse_jobs(optarg, &jobs))
				return EXIT_USAGE;
			break;
		case 'a':
			if (!cli_parse_as_of(optarg, &as_of))
				return EXIT_USAGE;
			break;
		case 'q':
			diag_set_verbosity(DIAG_QUIET);
			break;
		case 'v':
			diag_set_verbosity(DIAG_VERBOSE);
			break;
		case 'h':
			validate_usage(stdout);
			return EXIT_ACCEPTED;
		default:
			validate_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		diag_error(NULL, 0, "validate: no files given");
		validate_usage(stderr);
		return EXIT_USAGE;
	}
	if (!file_list_expand(&files, argv + optind, (size_t)(argc - optind)))
		status = EXIT_ENVIRONMENT;
	reader = batch_reader_new(NULL);
	if (reader == NULL) {
		file_list_free(&files);
		return EXIT_ENVIRONMENT;
	}
	book = order_book_new(ledger_path != NULL);
	if (ledger_path != NULL && access(ledger_path, F_OK) == 0) {
		replay_target target = { .book = book };
		ledger *l = NULL;
		int loaded = ledger_load(ledger_path, LEDGER_READ, &target, &l);
		ledger_close(l);
		if (loaded != LEDGER_OK) {
			order_book_free(book);
			batch_reader_free(reader);
			file_list_free(&files);
			return loaded;
		}
	}
	ra = read_ahead_start(reader, files.paths, files.count, jobs);
	for (size_t i = 0; i < files.count; i++)
		status = exit_worst(status, validate_file(ra, book,
		                                          files.paths[i], as_of));
	read_ahead_stop(ra);
	order_book_free(book);
	batch_reader_free(reader);
	file_list_free(&files);
	return status;
}
