/* A small TAP producer for our tests, in the spirit of remctl's
 * tests/tap/basic.h.  Output goes to stdout; automake's TAP driver reads it.
 *
 *   plan(3);
 *   ok(x == 1, "x is one");
 *   is_int(2, y, "y");
 *   is_string("a", s, "s");
 *   return tap_done();
 */
#ifndef MANDATE_TAP_H
#define MANDATE_TAP_H

#include <stdbool.h>
#include <stddef.h>

void plan(unsigned long count);
/* For tests whose count is only known at the end: prints the plan then. */
void plan_lazy(void);
bool ok(bool success, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
bool is_int(long long expected, long long seen, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
bool is_string(const char *expected, const char *seen, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
void skip(const char *reason, ...) __attribute__((format(printf, 1, 2)));
void skip_all(const char *reason, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void diag(const char *format, ...) __attribute__((format(printf, 1, 2)));
void bail(const char *format, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* Exit status for main: 0 when every test ran and passed. */
int tap_done(void);

/* Paths of test data: $srcdir/tests/data/NAME (srcdir from the environment,
 * "." when unset) and of scratch files: $builddir/tests/tmp/NAME (created).
 * Returned strings are owned by the caller. */
char *test_data_path(const char *name);
char *test_src_path(const char *name);
char *test_tmp_path(const char *name);
/* Reads a whole file; NULL when it cannot be read.  Owned by caller. */
char *test_read_file(const char *path, size_t *length);

#endif
