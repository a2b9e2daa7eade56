/* What every subcommand shares: exit codes, common options, the list of
 * input files. */
#ifndef MANDATE_CLI_H
#define MANDATE_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "util/date.h"

/* Exit codes (SPEC §6); the worst one seen wins. */
enum {
	EXIT_ACCEPTED = 0,
	EXIT_REJECTED = 1,
	EXIT_USAGE = 2,
	EXIT_INTEGRITY = 3,
	EXIT_ENVIRONMENT = 4
};
int exit_worst(int a, int b);

/* Parses --as-of's value; reports a usage error and returns false when it
 * is not a real date. */
bool cli_parse_as_of(const char *text, date_t *out);

/* Parses --jobs' value (1..256); reports a usage error otherwise. */
bool cli_parse_jobs(const char *text, unsigned *out);

/* Expands FILE|DIR arguments: a directory stands for its *.xml files in
 * byte order of their names (C locale); files are kept in the order given.
 * Returns false (reported) when a directory cannot be read. */
typedef struct file_list {
	char **paths;
	size_t count;
	size_t capacity;
} file_list;
bool file_list_expand(file_list *list, char *const *args, size_t count);
void file_list_free(file_list *list);

/* Prints "mandate VERSION". */
void cli_print_version(void);

#endif
