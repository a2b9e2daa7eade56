/* mandate render --ledger L --out DIR [--order ID]... [--as-of DATE]
 *                [signing options]
 *
 * Writes every document the ledger calls for (or those of the given
 * orders), signed, at DIR/pdf/ORDER/ORDER-vVERSION-KIND.pdf, each through a
 * temporary name and a rename.  The same ledger, templates, key and as-of
 * date give byte-identical files. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "doc_output.h"
#include "doc_plan.h"
#include "doc_template.h"
#include "read_ahead.h"
#include "signing_options.h"
#include "util/diag.h"
#include "util/out_lock.h"
#include "util/xalloc.h"

static void render_usage(FILE *out)
{
	fprintf(out,
	        "usage: mandate render --ledger L --out DIR [--order ID]... "
	        "[--as-of DATE] [--jobs N]\n"
	        "                      --key PEM --cert PEM [--chain PEM] | "
	        "--pkcs12 FILE [--pass-env VAR]\n"
	        "Writes the signed documents the ledger calls for.\n"
	        "exit: 0 written, 2 usage, 3 ledger integrity, 4 environment\n");
}

int cmd_render(int argc, char **argv)
{
	static const struct option options[] = {
		{ "ledger", required_argument, NULL, 'l' },
		{ "out", required_argument, NULL, 'o' },
		{ "order", required_argument, NULL, 'O' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "jobs", required_argument, NULL, 'j' },
		SIGNING_LONG_OPTIONS,
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *ledger_path = NULL, *out_dir = NULL;
	char **only = NULL;
	size_t only_count = 0, only_capacity = 0;
	unsigned jobs = read_ahead_default_threads();
	doc_output written = { 0 };
	signing_options so = { 0 };
	date_t as_of = date_today();
	doc_templates *templates = NULL;
	signer *s = NULL;
	order_book *book = NULL;
	doc_plan plan = { 0 };
	ledger *l = NULL;
	int opt, status = EXIT_ACCEPTED, lock = -1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "j:qvh", options, NULL)) != -1) {
		if (signing_option(&so, opt, optarg))
			continue;
		switch (opt) {
		case 'l': ledger_path = optarg; break;
		case 'o': out_dir = optarg; break;
		case 'O':
			only = xgrow(only, &only_capacity, only_count + 1,
			             sizeof *only);
			only[only_count++] = optarg;
			break;
		case 'a':
			if (!cli_parse_as_of(optarg, &as_of))
				goto usage;
			break;
		case 'j':
			if (!cli_parse_jobs(optarg, &jobs))
				goto usage;
			break;
		case 'q': diag_set_verbosity(DIAG_QUIET); break;
		case 'v': diag_set_verbosity(DIAG_VERBOSE); break;
		case 'h': render_usage(stdout); free(only); return EXIT_ACCEPTED;
		default: goto usage;
		}
	}
	if (ledger_path == NULL || out_dir == NULL || optind != argc) {
		diag_error(NULL, 0, "render: --ledger and --out are required");
		goto usage;
	}
	if (!signing_options_complete(&so))
		goto usage;
	/* Key, certificate and templates first: a bad setup writes nothing. */
	if ((s = signing_options_load(&so, as_of)) == NULL ||
	    (templates = doc_templates_load()) == NULL) {
		status = EXIT_ENVIRONMENT;
		goto done;
	}
	book = order_book_new(true);
	doc_plan_init(&plan, only, only_count);
	{
		replay_target target = { .book = book,
		                         .on_event = doc_plan_on_event,
		                         .wants = doc_plan_wants,
		                         .ctx = &plan };
		status = ledger_load(ledger_path, LEDGER_READ, &target, &l);
	}
	ledger_close(l);
	for (size_t i = 0; i < only_count && status == EXIT_ACCEPTED; i++)
		if (order_book_find(book, only[i]) == NULL) {
			diag_error(NULL, 0, "--order %s: no such order in the "
			           "ledger", only[i]);
			status = EXIT_USAGE;
		}
	if (status == EXIT_ACCEPTED && (lock = out_lock(out_dir)) < 0)
		status = EXIT_ENVIRONMENT;
	if (status == EXIT_ACCEPTED)
		status = doc_output_write(templates, s, &plan, out_dir, as_of,
		                          false, jobs, &written);
	if (lock >= 0)
		close(lock);
	if (status == EXIT_ACCEPTED && diag_get_verbosity() >= DIAG_NORMAL)
		printf("render: %zu documents written to %s/pdf\n",
		       written.written_count, out_dir);
done:
	doc_output_free(&written);
	doc_plan_free(&plan);
	order_book_free(book);
	doc_templates_free(templates);
	signer_free(s);
	free(only);
	return status;
usage:
	render_usage(stderr);
	free(only);
	return EXIT_USAGE;
}
