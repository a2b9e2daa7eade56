/* Fixed-size records in a scratch file (util/spill.h), addressed by
 * number, through a direct-mapped write-back cache: while cached, record n
 * sits in slot n % slots; a changed record is written out when its slot is
 * wanted for another, together with the run of changed records with the
 * next numbers in the next slots (records numbered in order fill the slots
 * in order: one write for the run).  A record never written reads as
 * zeros.  Used by the order book's frozen orders and the report's order
 * records. */
#ifndef MANDATE_RECORD_CACHE_H
#define MANDATE_RECORD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct record_cache record_cache;

/* slots: a power of two.  fd stays the caller's (closed after
 * record_cache_free). */
record_cache *record_cache_new(int fd, size_t record_size, size_t slots);
/* Frees the cache without writing anything out (NULL is fine). */
void record_cache_free(record_cache *cache);
/* Record n, cached, for the caller to change (it is written out later):
 * as the file has it, or all zeros when fresh. */
void *record_cache_change(record_cache *cache, uint64_t n, bool fresh);
/* A copy of record n in out, from the cache or else the file (which does
 * not bring it into the cache). */
void record_cache_read(const record_cache *cache, uint64_t n, void *out);
/* Writes every changed record out. */
void record_cache_flush(record_cache *cache);

#endif
