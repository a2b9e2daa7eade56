/* mandate: init → dispatch one subcommand → exit with its status. */
#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "cli.h"
#include "cmd.h"
#include "util/diag.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "validate", cmd_validate, "check batch files, write nothing" },
	{ "apply", cmd_apply, "book batch files into the ledger" },
	{ "verify", cmd_verify, "check the ledger's chain, framing, balances" },
	{ "export", cmd_export, "write the postings for ledger/hledger or CSV" },
	{ "render", cmd_render, "write the signed PDF documents" },
	{ "report", cmd_report, "write the XLSX status and performance workbooks" },
	{ "run", cmd_run, "the nightly job: book, documents, workbooks, run.json" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: mandate [-q|-v] COMMAND [OPTIONS] [ARGS]\n\n"
	        "commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name,
		        commands[i].summary);
	fprintf(out, "\n'mandate COMMAND --help' describes a command; "
	        "man mandate for everything.\n");
}

int main(int argc, char **argv)
{
	int arg = 1, status;

	/* A parse makes millions of small allocations and frees them all;
	 * with glibc's fast bins every larger request then walks them to
	 * consolidate (a fifth of a validate's time).  tcache still serves
	 * the small sizes. */
	mallopt(M_MXFAST, 0);
	diag_set_program("mandate");
	for (; arg < argc && argv[arg][0] == '-'; arg++) {
		if (strcmp(argv[arg], "-q") == 0 ||
		    strcmp(argv[arg], "--quiet") == 0)
			diag_set_verbosity(DIAG_QUIET);
		else if (strcmp(argv[arg], "-v") == 0 ||
		         strcmp(argv[arg], "--verbose") == 0)
			diag_set_verbosity(DIAG_VERBOSE);
		else if (strcmp(argv[arg], "-h") == 0 ||
		         strcmp(argv[arg], "--help") == 0) {
			usage(stdout);
			return EXIT_ACCEPTED;
		} else if (strcmp(argv[arg], "-V") == 0 ||
		           strcmp(argv[arg], "--version") == 0) {
			cli_print_version();
			return EXIT_ACCEPTED;
		} else {
			diag_error(NULL, 0, "unknown option '%s'", argv[arg]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (arg >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[arg], commands[i].name) != 0)
			continue;
		xmlInitParser();
		status = commands[i].run(argc - arg, argv + arg);
		xmlCleanupParser();
		return status;
	}
	diag_error(NULL, 0, "unknown command '%s'", argv[arg]);
	usage(stderr);
	return EXIT_USAGE;
}
