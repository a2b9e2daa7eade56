/* mandate report --ledger L --out DIR [--as-of DATE]
 *
 * Replays the ledger once, in two halves at once (under a shared lock,
 * released as soon as the books are read; what does not fit in memory
 * waits in unnamed scratch files in DIR: report_data.h), computes the
 * KPIs once, and writes DIR/status.xlsx and DIR/performance.xlsx, each
 * to NAME.tmp first, fsync'ed and renamed into place, so a reader sees a
 * whole old file or a whole new one. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "ledger_replay.h"
#include "report_data.h"
#include "report_output.h"
#include "util/diag.h"
#include "util/out_lock.h"
#include "util/spill.h"
#include "util/xalloc.h"

static void report_usage(FILE *out)
{
	fprintf(out,
	        "usage: mandate report --ledger L --out DIR [--as-of DATE]\n"
	        "Writes DIR/status.xlsx and DIR/performance.xlsx as of DATE "
	        "(default: today):\noperations dated after it do not count.\n"
	        "exit: 0 written, 2 usage, 3 ledger integrity, 4 environment "
	        "(I/O, lock)\n");
}

/* Replays the ledger into data, in two halves at once (one per part of
 * data: ledger_replay_halves); an exit code.  head gets its head.  Each
 * half's book freezes finished orders into a scratch file in dir: the
 * report copies what it needs from the events, then frees them. */
static int load(const char *path, const char *dir, report_data *data,
                char head[LEDGER_HEAD_TEXT_SIZE])
{
	order_book *books[2];
	replay_target targets[2];
	int fds[2] = { -1, -1 };
	ledger *l;
	ledger_head current;
	struct timespec t0, t1;
	int status = EXIT_ACCEPTED;

#ifdef __GLIBC__
	/* For the rest of the process, blocks of 128 KiB and more get
	 * mappings of their own (and glibc no longer raises this threshold as
	 * it goes, up to 32 MiB), so the big tables of the books and caches
	 * neither leave holes in the two threads' heaps when they grow nor
	 * stay in them when freed: 4 MiB less at the peak in the benchmark,
	 * and no cost in time there. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
	for (int i = 0; i < 2; i++) {
		books[i] = order_book_new(true);
		targets[i] = (replay_target){
			.book = books[i], .on_event = report_data_event,
			.wants_states = report_data_wants_states,
			.ctx = report_data_part(data, (unsigned)i),
			.at_once = true
		};
		if (status != EXIT_ACCEPTED ||
		    (fds[i] = spill_open(dir)) < 0) {
			status = EXIT_ENVIRONMENT;
			continue;
		}
		order_book_shed_finished(books[i]);
		order_book_spill(books[i], fds[i], 2);
		/* Only the events are read: an uncommitted tail, whose
		 * events are never delivered, may stay in the book. */
		order_book_in_place(books[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (status == EXIT_ACCEPTED)
		status = ledger_load_halves(path, targets, &l);
	if (status == LEDGER_OK) {
		current = ledger_head_get(l);
		ledger_head_format(&current, head);
		ledger_close(l);
		report_data_loaded(data);
	}
	for (int i = 0; i < 2; i++) {
		order_book_free(books[i]);
		if (fds[i] >= 0)
			close(fds[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	diag_note(NULL, 0, "report: ledger replayed in %.2f s",
	          (double)(t1.tv_sec - t0.tv_sec) +
	          (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
#ifdef __GLIBC__
	/* Give the books' memory back before the workbooks are written. */
	malloc_trim(0);
#endif
	if (status == LEDGER_OK && data->overflow)
		status = EXIT_INTEGRITY;
	return status;
}

int cmd_report(int argc, char **argv)
{
	static const struct option options[] = {
		{ "ledger", required_argument, NULL, 'l' },
		{ "out", required_argument, NULL, 'o' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *ledger_path = NULL, *out = NULL;
	date_t as_of = date_today();
	char head[LEDGER_HEAD_TEXT_SIZE], as_of_text[11];
	report_data *data;
	struct stat st;
	bool existed;
	int opt, status, lock;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "qvh", options, NULL)) != -1) {
		switch (opt) {
		case 'l': ledger_path = optarg; break;
		case 'o': out = optarg; break;
		case 'a':
			if (!cli_parse_as_of(optarg, &as_of))
				return EXIT_USAGE;
			break;
		case 'q': diag_set_verbosity(DIAG_QUIET); break;
		case 'v': diag_set_verbosity(DIAG_VERBOSE); break;
		case 'h': report_usage(stdout); return EXIT_ACCEPTED;
		default: report_usage(stderr); return EXIT_USAGE;
		}
	}
	if (ledger_path == NULL || out == NULL || optind != argc) {
		diag_error(NULL, 0, "report: %s", optind != argc
		           ? "unexpected argument" : "--ledger and --out are "
		           "required");
		report_usage(stderr);
		return EXIT_USAGE;
	}
	/* The scratch files need DIR before the ledger is read; a DIR made
	 * for a ledger that then fails to load is removed again. */
	existed = stat(out, &st) == 0;
	if ((lock = out_lock(out)) < 0)
		return EXIT_ENVIRONMENT;
	data = report_data_new(as_of, out, 2);
	if (data == NULL) {
		close(lock);
		return EXIT_ENVIRONMENT;
	}
	status = load(ledger_path, out, data, head);
	if (status != EXIT_ACCEPTED) {
		report_data_free(data);
		if (!existed)
			rmdir(out);
		close(lock);
		return status;
	}
	status = report_output_write(data, head, out);
	date_format(as_of, as_of_text);
	if (status == EXIT_ACCEPTED && diag_get_verbosity() >= DIAG_NORMAL)
		printf("report: %zu orders as of %s (%llu operations dated "
		       "later ignored): %s/status.xlsx, %s/performance.xlsx\n",
		       data->order_count, as_of_text,
		       (unsigned long long)data->ignored, out, out);
	report_data_free(data);
	close(lock);
	return status;
}
