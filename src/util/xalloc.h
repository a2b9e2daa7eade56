/* Allocation wrappers that never return NULL: on exhaustion they print a
 * message and exit 4 (environment error).  Callers therefore never check. */
#ifndef MANDATE_XALLOC_H
#define MANDATE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grows *array (of *capacity elements of elem_size) to hold at least need. */
void *xgrow(void *array, size_t *capacity, size_t need, size_t elem_size);
char *xstrdup(const char *text);
char *xstrndup(const char *text, size_t length);
/* printf into a new string (owned by the caller). */
char *xasprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
