/* A hash map from NUL-terminated string keys to pointers.  The map copies
 * keys (or borrows them: strmap_new_borrowing); values belong to the
 * caller. */
#ifndef MANDATE_STRMAP_H
#define MANDATE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct strmap strmap;

strmap *strmap_new(void);
/* A map that keeps the caller's key pointers instead of copies: each key
 * must stay unchanged while its entry is in the map (say, an id inside the
 * value itself).  strmap_put on a key already there takes the new key
 * pointer along with the new value.  Saves a copy per entry and, when the
 * key lives in the value, a cache miss per lookup. */
strmap *strmap_new_borrowing(void);
void strmap_free(strmap *map);
/* Value for key, or NULL. */
void *strmap_get(const strmap *map, const char *key);
/* Sets key to value (value must not be NULL); returns the previous value
 * or NULL. */
void *strmap_put(strmap *map, const char *key, void *value);
/* Removes key; returns its value, or NULL when it was not there. */
void *strmap_remove(strmap *map, const char *key);
size_t strmap_count(const strmap *map);
/* Calls fn for each entry (in table order). */
void strmap_each(const strmap *map,
                 void (*fn)(const char *key, void *value, void *ctx),
                 void *ctx);
/* Removes every entry (keeps the table). */
void strmap_clear(strmap *map);

#endif
