/* Test helper: books the sample days (samples/day-*.xml) into a ledger
 * through the C API, as `mandate apply` would. */
#ifndef MANDATE_TESTS_SAMPLE_LEDGER_H
#define MANDATE_TESTS_SAMPLE_LEDGER_H

#include <stddef.h>

/* Creates (or extends) the ledger at path; bails out on any failure.
 * Returns the number of operations booked. */
size_t book_sample_days(const char *path);

#endif
