/* mandate apply --ledger L [--as-of DATE] FILE|DIR...
 *
 * Books each batch file whole or not at all, in order; a batch already in
 * the ledger is skipped.  Prints the new ledger head for operators to keep
 * elsewhere (verify --head checks it later). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "batch_check.h"
#include "batch_read.h"
#include "cli.h"
#include "cmd.h"
#include "ledger_replay.h"
#include "read_ahead.h"
#include "util/diag.h"
#include "util/xalloc.h"

struct apply_counts {
	size_t booked, skipped, rejected, unreadable;
};

/* Books one file; returns its exit code.  EXIT_ENVIRONMENT from the
 * ledger means stop. */
static int apply_file(read_ahead *ra, order_book *book, ledger *l,
                      const char *path, date_t as_of,
                      struct apply_counts *counts)
{
	batch *b = NULL;
	batch_read_status read = read_ahead_next(ra, &b);
	op_effect *effects;
	size_t refused;
	int status;

	if (read != BATCH_READ_OK) {
		if (read == BATCH_READ_UNREADABLE) {
			counts->unreadable++;
			return EXIT_ENVIRONMENT;
		}
		counts->rejected++;
		diag_note(path, 0, "rejected: nothing booked");
		return EXIT_REJECTED;
	}
	if (order_book_has_batch(book, b->id)) {
		diag_warning(path, 0, "batch '%s' is already booked: skipped",
		             b->id);
		counts->skipped++;
		read_ahead_recycle(ra, b);
		return EXIT_ACCEPTED;
	}
	effects = xcalloc(b->op_count + 1, sizeof *effects);
	book_txn_begin(book);
	refused = batch_check(book, b, as_of, effects);
	if (refused > 0) {
		book_txn_abort(book);
		counts->rejected++;
		diag_note(path, 0, "rejected: %zu of %zu operations refused, "
		          "nothing booked", refused, b->op_count);
		status = EXIT_REJECTED;
	} else if (ledger_post_batch(l, b, effects) != LEDGER_OK) {
		book_txn_abort(book);
		status = EXIT_ENVIRONMENT;
	} else {
		book_txn_commit(book);
		order_book_add_batch(book, b->id);
		counts->booked++;
		diag_note(path, 0, "booked batch '%s': %zu operations", b->id,
		          b->op_count);
		status = EXIT_ACCEPTED;
	}
	free(effects);
	read_ahead_recycle(ra, b);
	return status;
}

static void apply_usage(FILE *out)
{
	fprintf(out,
	        "usage: mandate apply --ledger L [--as-of DATE] [--jobs N] "
	        "FILE|DIR...\n"
	        "Books batch files into the ledger, each whole or not at all.\n"
	        "exit: 0 all booked or already booked, 1 some rejected, 2 usage,"
	        " 3 ledger integrity, 4 environment (I/O, lock)\n");
}

int cmd_apply(int argc, char **argv)
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
	struct apply_counts counts = { 0 };
	batch_reader *reader = NULL;
	read_ahead *ra = NULL;
	unsigned jobs = read_ahead_default_threads();
	order_book *book = NULL;
	ledger *l = NULL;
	replay_target target;
	char head[LEDGER_HEAD_TEXT_SIZE];
	ledger_head current;
	int opt, status = EXIT_ACCEPTED;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "j:qvh", options, NULL)) != -1) {
		switch (opt) {
		case 'l': ledger_path = optarg; break;
		case 'a':
			if (!cli_parse_as_of(optarg, &as_of))
				return EXIT_USAGE;
			break;
		case 'j':
			if (!cli_parse_jobs(optarg, &jobs))
				return EXIT_USAGE;
			break;
		case 'q': diag_set_verbosity(DIAG_QUIET); break;
		case 'v': diag_set_verbosity(DIAG_VERBOSE); break;
		case 'h': apply_usage(stdout); return EXIT_ACCEPTED;
		default: apply_usage(stderr); return EXIT_USAGE;
		}
	}
	if (ledger_path == NULL || optind >= argc) {
		diag_error(NULL, 0, "apply: %s", ledger_path == NULL
		           ? "--ledger is required" : "no files given");
		apply_usage(stderr);
		return EXIT_USAGE;
	}
	if (!file_list_expand(&files, argv + optind, (size_t)(argc - optind)))
		status = EXIT_ENVIRONMENT;
	/* Schema first: a broken installation books nothing. */
	reader = batch_reader_new(NULL);
	book = order_book_new(true);
	target = (replay_target){ .book = book };
	if (reader == NULL) {
		status = EXIT_ENVIRONMENT;
		goto done;
	}
	status = exit_worst(status, ledger_load(ledger_path, LEDGER_WRITE,
	                                        &target, &l));
	if (l == NULL)
		goto done;
	/* Reader threads parse and validate the next files while this one
	 * is checked and booked; results come back in file order. */
	ra = read_ahead_start(reader, files.paths, files.count, jobs);
	for (size_t i = 0; i < files.count; i++) {
		size_t unreadable = counts.unreadable;
		int file_status = apply_file(ra, book, l, files.paths[i],
		                             as_of, &counts);
		status = exit_worst(status, file_status);
		if (file_status == EXIT_ENVIRONMENT &&
		    counts.unreadable == unreadable)
			break;          /* the ledger cannot be written: stop */
	}
	current = ledger_head_get(l);
	ledger_head_format(&current, head);
	if (diag_get_verbosity() >= DIAG_NORMAL)
		printf("apply: %zu booked, %zu already booked, %zu rejected; "
		       "ledger head %s\n", counts.booked, counts.skipped,
		       counts.rejected, head);
done:
	read_ahead_stop(ra);
	ledger_close(l);
	order_book_free(book);
	batch_reader_free(reader);
	file_list_free(&files);
	return status;
}
