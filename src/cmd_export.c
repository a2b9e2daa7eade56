/* mandate export --ledger L --format ledger|csv [-o FILE] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "export_journal.h"
#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/xalloc.h"

static void export_usage(FILE *out)
{
	fprintf(out, "usage: mandate export --ledger L --format ledger|csv "
	        "[-o FILE]\n"
	        "Writes the committed postings as a ledger/hledger journal (with"
	        " closing\nbalance assertions) or as CSV.\n");
}

/* Writes to FILE.tmp, then fsyncs and renames it, so FILE is whole or
 * absent. */
static int export_to_file(ledger *l, export_format format, const char *path)
{
	char *temp = xasprintf("%s.tmp", path);
	FILE *out = fopen(temp, "w");
	int status;

	if (out == NULL) {
		diag_error(temp, 0, "cannot create: %s", strerror(errno));
		free(temp);
		return EXIT_ENVIRONMENT;
	}
	status = export_journal(l, format, out);
	if (fclose(out) != 0 && status == EXIT_ACCEPTED) {
		diag_error(temp, 0, "cannot write: %s", strerror(errno));
		status = EXIT_ENVIRONMENT;
	}
	if (status != EXIT_ACCEPTED)
		unlink(temp);
	else if (atomic_commit(temp, path) != 0)
		status = EXIT_ENVIRONMENT;
	free(temp);
	return status;
}

int cmd_export(int argc, char **argv)
{
	static const struct option options[] = {
		{ "ledger", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL, *format_name = NULL, *output = NULL;
	export_format format;
	ledger *l;
	int opt, status;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:qvh", options, NULL)) != -1) {
		switch (opt) {
		case 'l': path = optarg; break;
		case 'f': format_name = optarg; break;
		case 'o': output = optarg; break;
		case 'q': diag_set_verbosity(DIAG_QUIET); break;
		case 'v': diag_set_verbosity(DIAG_VERBOSE); break;
		case 'h': export_usage(stdout); return EXIT_ACCEPTED;
		default: export_usage(stderr); return EXIT_USAGE;
		}
	}
	if (path == NULL || format_name == NULL || optind != argc) {
		diag_error(NULL, 0, "export: --ledger and --format are required");
		export_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(format_name, "ledger") == 0)
		format = EXPORT_LEDGER;
	else if (strcmp(format_name, "csv") == 0)
		format = EXPORT_CSV;
	else {
		diag_error(NULL, 0, "export: unknown format '%s' (ledger, csv)",
		           format_name);
		return EXIT_USAGE;
	}
	if ((status = ledger_open(path, LEDGER_READ, &l)) != LEDGER_OK)
		return status;
	if (output != NULL && strcmp(output, "-") != 0)
		status = export_to_file(l, format, output);
	else {
		status = export_journal(l, format, stdout);
		if (fflush(stdout) != 0)
			status = exit_worst(status, EXIT_ENVIRONMENT);
	}
	ledger_close(l);
	return status;
}
