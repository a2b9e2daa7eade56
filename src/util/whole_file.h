/* Reading a small regular file whole. */
#ifndef MANDATE_WHOLE_FILE_H
#define MANDATE_WHOLE_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* Reads the regular file at path whole into a new buffer (owned by the
 * caller, with a NUL after its *length bytes).  Refuses, after reporting
 * with the path, a file that cannot be opened or read, that is not a
 * regular file, or that is larger than max bytes (message: too_large).
 * With secret, also a file accessible by group or others (it holds a
 * private key); a secret buffer is wiped before it is freed on failure. */
unsigned char *read_whole_file(const char *path, size_t max,
                               const char *too_large, bool secret,
                               size_t *length);

#endif
