/* Shared by the libFuzzer entry points (tests/fuzz/fuzz_*.c) and their
 * replay driver (replay.c).
 *
 * Our readers take paths (the ledger store even flocks its file), so each
 * input is written to a file in a directory private to the process and
 * read back from there.  Diagnostics go to /dev/null (unless
 * MANDATE_FUZZ_DIAG is set): the targets look for crashes, leaks and broken
 * invariants, not for messages. */
#ifndef MANDATE_TESTS_FUZZ_H
#define MANDATE_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The entry point each target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Once per process: MANDATE_DATADIR defaults to the source tree (for the
 * schemas and templates), diagnostics are silenced and the private
 * directory is made (removed again at exit). */
void fuzz_setup(void);

/* "<private dir>/<name>", owned by the caller. */
char *fuzz_path(const char *name);

/* Writes data to fuzz_path(name), replacing any earlier content, and
 * returns that path (owned by the caller).  Aborts on I/O errors. */
char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);

/* Between inputs: diag's error count back to zero. */
void fuzz_reset(void);

#endif
