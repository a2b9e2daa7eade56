/* mandate run --ledger L --out DIR [--reject-dir DIR] [--as-of DATE]
 *             [--jobs N] [signing options] FILE|DIR...
 *
 * The nightly job.  In order, under one exclusive lock on the ledger:
 *   1. load and check the signing key and the templates (a bad setup books
 *      nothing: exit 4);
 *   2. replay the ledger (rolling back a crashed run's tail);
 *   3. book each file whole or not at all; a rejected file is moved to the
 *      reject folder with NAME.errors.txt beside it;
 *   4. replay again (same handle) to plan the documents and the reports;
 *      write the documents that are missing (those of the batches just
 *      booked, and any a crash left unwritten), in --jobs processes;
 *   5. write status.xlsx and performance.xlsx;
 *   6. write run.json (temp + rename) and print a one-line summary. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch_check.h"
#include "cli.h"
#include "cmd.h"
#include "doc_output.h"
#include "doc_plan.h"
#include "doc_template.h"
#include "ledger_replay.h"
#include "read_ahead.h"
#include "reject.h"
#include "report_output.h"
#include "signing_options.h"
#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/json_out.h"
#include "util/out_lock.h"
#include "util/xalloc.h"

/* What happened to one input file. */
typedef enum { FATE_BOOKED, FATE_SKIPPED, FATE_REJECTED, FATE_UNREADABLE,
               FATE_NOT_REACHED } fate;

struct file_result {
	const char *path;
	fate fate;
	char batch_id[IDENT_MAX + 1];
	size_t operations;
	char *errors;               /* captured messages (rejected) */
};

struct run {
	const char *ledger_path, *out_dir, *reject_dir;
	date_t as_of;
	unsigned jobs;
	signing_options signing;
	file_list files;
	struct file_result *results;
	signer *signer;
	doc_templates *templates;
	ledger *ledger;
	order_book *book;
	doc_output documents;
	double stage_seconds[6];
	bool tty_progress;
	bool ledger_failed;        /* a batch could not be written: stop */
};

enum { STAGE_SETUP, STAGE_BOOK, STAGE_PLAN, STAGE_DOCUMENTS, STAGE_REPORTS,
       STAGE_RUN_JSON };
static const char *const stage_names[] = {
	"setup", "book", "plan", "documents", "reports", "run_json"
};

static double now_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void progress(const struct run *r, const char *what, size_t done,
                     size_t total)
{
	if (!r->tty_progress)
		return;
	fprintf(stderr, "\r\033[Kmandate: %s %zu/%zu", what, done, total);
	if (done == total)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

/* Books one file (already read ahead); records its fate.  Returns its exit
 * code; EXIT_ENVIRONMENT with fate != FATE_UNREADABLE means the ledger
 * cannot be written and the run stops booking. */
static int book_file(struct run *r, read_ahead *ra, struct file_result *fr,
                     bool *stop)
{
	batch *b = NULL;
	op_effect *effects = NULL;
	batch_read_status read;
	size_t refused = 0;
	int status = EXIT_ACCEPTED;

	diag_capture_begin();
	read = read_ahead_next(ra, &b);
	if (read == BATCH_READ_OK) {
		snprintf(fr->batch_id, sizeof fr->batch_id, "%s", b->id);
		fr->operations = b->op_count;
		if (order_book_has_batch(r->book, b->id)) {
			diag_warning(fr->path, 0, "batch '%s' is already booked: "
			             "skipped", b->id);
			fr->fate = FATE_SKIPPED;
			goto done;
		}
		effects = xcalloc(b->op_count + 1, sizeof *effects);
		book_txn_begin(r->book);
		refused = batch_check(r->book, b, r->as_of, effects);
	}
	if (read == BATCH_READ_UNREADABLE) {
		fr->fate = FATE_UNREADABLE;
		status = EXIT_ENVIRONMENT;
	} else if (read != BATCH_READ_OK || refused > 0) {
		if (read == BATCH_READ_OK)
			book_txn_abort(r->book);
		fr->fate = FATE_REJECTED;
		status = EXIT_REJECTED;
	} else if (ledger_post_batch(r->ledger, b, effects) != LEDGER_OK) {
		book_txn_abort(r->book);
		fr->fate = FATE_NOT_REACHED;
		status = EXIT_ENVIRONMENT;
		*stop = true;
	} else {
		book_txn_commit(r->book);
		order_book_add_batch(r->book, b->id);
		fr->fate = FATE_BOOKED;
		diag_note(fr->path, 0, "booked batch '%s': %zu operations",
		          b->id, b->op_count);
	}
done:
	fr->errors = diag_capture_end();
	if (fr->fate == FATE_REJECTED &&
	    reject_file(fr->path, r->reject_dir, fr->errors) != 0)
		status = EXIT_ENVIRONMENT;
	else if (fr->fate == FATE_REJECTED)
		diag_note(fr->path, 0, "rejected: moved to %s", r->reject_dir);
	free(effects);
	read_ahead_recycle(ra, b);
	return status;
}

static int book_files(struct run *r, batch_reader *reader)
{
	read_ahead *ra = read_ahead_start(reader, r->files.paths,
	                                  r->files.count, r->jobs);
	bool stop = false;
	int status = EXIT_ACCEPTED;

	for (size_t i = 0; i < r->files.count; i++) {
		r->results[i].path = r->files.paths[i];
		r->results[i].fate = FATE_NOT_REACHED;
	}
	for (size_t i = 0; i < r->files.count && !stop; i++) {
		progress(r, "booking", i, r->files.count);
		status = exit_worst(status, book_file(r, ra, &r->results[i],
		                                      &stop));
	}
	progress(r, "booking", r->files.count, r->files.count);
	read_ahead_stop(ra);
	r->ledger_failed = stop;
	return status;
}

/* Feeds one replay to both the document plan and the report data. */
struct planning {
	doc_plan plan;
	report_data *report;
};

static void plan_event(void *ctx, const replay_event *e)
{
	struct planning *p = ctx;

	if (doc_plan_wants(&p->plan, e->op))
		doc_plan_on_event(&p->plan, e);
	report_data_event(report_data_part(p->report, 0), e);
}

static int documents_and_reports(struct run *r)
{
	struct planning p = { .report = report_data_new(r->as_of,
	                                                r->out_dir, 1) };
	order_book *book = order_book_new(true);
	replay_target target = { .book = book, .on_event = plan_event,
	                         .ctx = &p };
	char head[LEDGER_HEAD_TEXT_SIZE];
	ledger_head current;
	double start = now_seconds();
	int status;

	if (p.report == NULL) {
		order_book_free(book);
		return EXIT_ENVIRONMENT;
	}
	doc_plan_init(&p.plan, NULL, 0);
	status = ledger_replay(r->ledger, &target);
	if (status == EXIT_ACCEPTED)
		report_data_loaded(p.report);
	r->stage_seconds[STAGE_PLAN] = now_seconds() - start;
	start = now_seconds();
	if (status == EXIT_ACCEPTED)
		status = doc_output_write(r->templates, r->signer, &p.plan,
		                          r->out_dir, r->as_of, true, r->jobs,
		                          &r->documents);
	r->stage_seconds[STAGE_DOCUMENTS] = now_seconds() - start;
	start = now_seconds();
	current = ledger_head_get(r->ledger);
	ledger_head_format(&current, head);
	if (status == EXIT_ACCEPTED)
		status = report_output_write(p.report, head, r->out_dir);
	r->stage_seconds[STAGE_REPORTS] = now_seconds() - start;
	doc_plan_free(&p.plan);
	report_data_free(p.report);
	order_book_free(book);
	return status;
}

static const char *fate_name(fate f)
{
	static const char *const names[] = {
		"booked", "skipped", "rejected", "unreadable", "not reached"
	};
	return names[f];
}

static size_t count_fate(const struct run *r, fate f)
{
	size_t n = 0;
	for (size_t i = 0; i < r->files.count; i++)
		n += r->results[i].fate == f;
	return n;
}

static void json_files(json_out *j, const struct run *r)
{
	json_array_begin(j, "files");
	for (size_t i = 0; i < r->files.count; i++) {
		const struct file_result *fr = &r->results[i];
		json_object_begin(j, NULL);
		json_string(j, "file", fr->path);
		json_string(j, "fate", fate_name(fr->fate));
		if (fr->batch_id[0] != '\0')
			json_string(j, "batch", fr->batch_id);
		json_int(j, "operations", (int64_t)fr->operations);
		if (fr->fate == FATE_REJECTED || fr->fate == FATE_UNREADABLE)
			json_string(j, "errors", fr->errors);
		json_object_end(j);
	}
	json_array_end(j);
}

static int write_run_json(const struct run *r, int exit_code)
{
	json_out j = { 0 };
	char head[LEDGER_HEAD_TEXT_SIZE], day[11], *path;
	ledger_head current = ledger_head_get(r->ledger);
	int status;

	ledger_head_format(&current, head);
	date_format(r->as_of, day);
	json_object_begin(&j, NULL);
	json_string(&j, "as_of", day);
	json_int(&j, "exit", exit_code);
	json_object_begin(&j, "counts");
	json_int(&j, "files", (int64_t)r->files.count);
	json_int(&j, "booked", (int64_t)count_fate(r, FATE_BOOKED));
	json_int(&j, "skipped", (int64_t)count_fate(r, FATE_SKIPPED));
	json_int(&j, "rejected", (int64_t)count_fate(r, FATE_REJECTED));
	json_int(&j, "unreadable", (int64_t)count_fate(r, FATE_UNREADABLE));
	json_int(&j, "documents", (int64_t)r->documents.written_count);
	json_object_end(&j);
	json_files(&j, r);
	json_array_begin(&j, "documents");
	for (size_t i = 0; i < r->documents.written_count; i++)
		json_string(&j, NULL, r->documents.written[i]);
	json_array_end(&j);
	json_object_begin(&j, "ledger");
	json_string(&j, "path", r->ledger_path);
	json_int(&j, "size", (int64_t)ledger_size(r->ledger));
	json_string(&j, "head", head);
	json_object_end(&j);
	json_object_begin(&j, "seconds");
	for (int i = STAGE_SETUP; i < STAGE_RUN_JSON; i++)
		json_seconds(&j, stage_names[i], r->stage_seconds[i]);
	json_object_end(&j);
	json_object_end(&j);
	path = xasprintf("%s/run.json", r->out_dir);
	status = atomic_write(path, j.data, j.length);
	free(path);
	json_free(&j);
	return status == 0 ? EXIT_ACCEPTED : EXIT_ENVIRONMENT;
}

static void run_usage(FILE *out)
{
	fprintf(out,
	        "usage: mandate run --ledger L --out DIR [--reject-dir DIR] "
	        "[--as-of DATE] [--jobs N]\n"
	        "                   --key PEM --cert PEM [--chain PEM] | "
	        "--pkcs12 FILE [--pass-env VAR]\n"
	        "                   FILE|DIR...\n"
	        "The nightly job: book, write the signed documents and the "
	        "workbooks, run.json.\n"
	        "exit: 0 all accepted, 1 some rejected, 2 usage, 3 ledger "
	        "integrity, 4 environment\n");
}

static int parse_options(struct run *r, int argc, char **argv)
{
	static const struct option options[] = {
		{ "ledger", required_argument, NULL, 'l' },
		{ "out", required_argument, NULL, 'o' },
		{ "reject-dir", required_argument, NULL, 'r' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "jobs", required_argument, NULL, 'j' },
		SIGNING_LONG_OPTIONS,
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "j:qvh", options, NULL)) != -1) {
		if (signing_option(&r->signing, opt, optarg))
			continue;
		switch (opt) {
		case 'l': r->ledger_path = optarg; break;
		case 'o': r->out_dir = optarg; break;
		case 'r': r->reject_dir = optarg; break;
		case 'a':
			if (!cli_parse_as_of(optarg, &r->as_of))
				return EXIT_USAGE;
			break;
		case 'j':
			if (!cli_parse_jobs(optarg, &r->jobs))
				return EXIT_USAGE;
			break;
		case 'q': diag_set_verbosity(DIAG_QUIET); break;
		case 'v': diag_set_verbosity(DIAG_VERBOSE); break;
		case 'h': run_usage(stdout); return -1;
		default: run_usage(stderr); return EXIT_USAGE;
		}
	}
	if (r->ledger_path == NULL || r->out_dir == NULL || optind >= argc) {
		diag_error(NULL, 0, "run: --ledger, --out and at least one "
		           "FILE or DIR are required");
		run_usage(stderr);
		return EXIT_USAGE;
	}
	if (!signing_options_complete(&r->signing)) {
		run_usage(stderr);
		return EXIT_USAGE;
	}
	return EXIT_ACCEPTED;
}

static void print_summary(const struct run *r, int status)
{
	char head[LEDGER_HEAD_TEXT_SIZE];
	ledger_head current;

	if (diag_get_verbosity() < DIAG_NORMAL || r->ledger == NULL)
		return;
	current = ledger_head_get(r->ledger);
	ledger_head_format(&current, head);
	printf("run: %zu booked, %zu already booked, %zu rejected, "
	       "%zu unreadable; %zu documents written; exit %d; ledger head "
	       "%s\n", count_fate(r, FATE_BOOKED), count_fate(r, FATE_SKIPPED),
	       count_fate(r, FATE_REJECTED), count_fate(r, FATE_UNREADABLE),
	       r->documents.written_count, status, head);
}

int cmd_run(int argc, char **argv)
{
	struct run r = { .as_of = date_today(),
	                 .jobs = read_ahead_default_threads() };
	batch_reader *reader = NULL;
	replay_target target;
	char *default_reject = NULL;
	double start = now_seconds();
	int status = parse_options(&r, argc, argv), lock = -1;

	if (status != EXIT_ACCEPTED)
		return status < 0 ? EXIT_ACCEPTED : status;
	if (r.reject_dir == NULL)
		r.reject_dir = default_reject = xasprintf("%s/rejected",
		                                          r.out_dir);
	r.tty_progress = isatty(STDERR_FILENO) &&
	                 diag_get_verbosity() >= DIAG_NORMAL;
	if (!file_list_expand(&r.files, argv + optind, (size_t)(argc - optind)))
		status = EXIT_ENVIRONMENT;
	r.results = xcalloc(r.files.count + 1, sizeof *r.results);
	/* Everything that can fail for want of setup fails before booking. */
	if ((r.signer = signing_options_load(&r.signing, r.as_of)) == NULL ||
	    (r.templates = doc_templates_load()) == NULL ||
	    (reader = batch_reader_new(NULL)) == NULL ||
	    (lock = out_lock(r.out_dir)) < 0) {
		status = EXIT_ENVIRONMENT;
		goto done;
	}
	r.book = order_book_new(true);
	target = (replay_target){ .book = r.book };
	status = exit_worst(status, ledger_load(r.ledger_path, LEDGER_WRITE,
	                                        &target, &r.ledger));
	if (r.ledger == NULL)
		goto done;
	r.stage_seconds[STAGE_SETUP] = now_seconds() - start;
	start = now_seconds();
	status = exit_worst(status, book_files(&r, reader));
	r.stage_seconds[STAGE_BOOK] = now_seconds() - start;
	/* Documents and reports even after a rejection or an unreadable
	 * file: what was booked is booked.  Not after a ledger write
	 * failure: the disk is in trouble, and the next run writes them. */
	if (!r.ledger_failed)
		status = exit_worst(status, documents_and_reports(&r));
	status = exit_worst(status, write_run_json(&r, status));
	print_summary(&r, status);
done:
	ledger_close(r.ledger);
	order_book_free(r.book);
	batch_reader_free(reader);
	doc_templates_free(r.templates);
	signer_free(r.signer);
	doc_output_free(&r.documents);
	for (size_t i = 0; i < r.files.count; i++)
		free(r.results[i].errors);
	free(r.results);
	file_list_free(&r.files);
	free(default_reject);
	if (lock >= 0)
		close(lock);
	return status;
}
