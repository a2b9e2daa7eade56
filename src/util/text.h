/* Bounded string copies without printf: what snprintf(out, size, "%s%s",
 * a, b) writes, for the paths that run once per ledger record (ids,
 * accounts, map keys). */
#ifndef MANDATE_TEXT_H
#define MANDATE_TEXT_H

#include <stddef.h>

/* out = a followed by b (NULL: nothing), cut to size - 1 bytes and
 * NUL-terminated; size > 0.  Returns out. */
char *text_join(char *out, size_t size, const char *a, const char *b);
/* text_join(out, size, text, NULL). */
char *text_copy(char *out, size_t size, const char *text);

#endif
