/* A write-back cache of scratch-file records; see record_cache.h. */
#include "util/record_cache.h"

#include <stdlib.h>
#include <string.h>

#include "util/spill.h"
#include "util/xalloc.h"

struct record_cache {
	int fd;
	size_t size, slots;         /* slots: a power of two */
	unsigned char *records;     /* slots records of size bytes */
	uint64_t *tags;             /* record number + 1; 0: empty */
	bool *dirty;
};

record_cache *record_cache_new(int fd, size_t record_size, size_t slots)
{
	record_cache *c = xcalloc(1, sizeof *c);

	if (slots == 0 || (slots & (slots - 1)) != 0)
		abort();                /* a caller's mistake */
	c->fd = fd;
	c->size = record_size;
	c->slots = slots;
	c->records = xcalloc(slots, record_size);
	c->tags = xcalloc(slots, sizeof *c->tags);
	c->dirty = xcalloc(slots, sizeof *c->dirty);
	return c;
}

void record_cache_free(record_cache *c)
{
	if (c == NULL)
		return;
	free(c->records);
	free(c->tags);
	free(c->dirty);
	free(c);
}

static uint64_t offset_of(const record_cache *c, uint64_t n)
{
	return n * (uint64_t)c->size;
}

/* Writes slot i out if it changed, with the run of changed records with
 * the next numbers in the slots after it. */
static void write_out(record_cache *c, size_t i)
{
	size_t end = i + 1;

	if (!c->dirty[i])
		return;
	while (end < c->slots && c->dirty[end] &&
	       c->tags[end] == c->tags[end - 1] + 1)
		end++;
	spill_write(c->fd, c->records + i * c->size, (end - i) * c->size,
	            offset_of(c, c->tags[i] - 1));
	memset(&c->dirty[i], 0, (end - i) * sizeof *c->dirty);
}

void *record_cache_change(record_cache *c, uint64_t n, bool fresh)
{
	size_t i = (size_t)n & (c->slots - 1);
	unsigned char *record = c->records + i * c->size;

	if (c->tags[i] != n + 1) {
		write_out(c, i);
		c->tags[i] = n + 1;
		if (!fresh)
			spill_read(c->fd, record, c->size, offset_of(c, n));
	}
	if (fresh)
		memset(record, 0, c->size);
	c->dirty[i] = true;
	return record;
}

void record_cache_read(const record_cache *c, uint64_t n, void *out)
{
	size_t i = (size_t)n & (c->slots - 1);

	if (c->tags[i] == n + 1)
		memcpy(out, c->records + i * c->size, c->size);
	else
		spill_read(c->fd, out, c->size, offset_of(c, n));
}

void record_cache_flush(record_cache *c)
{
	for (size_t i = 0; i < c->slots; i++)
		write_out(c, i);
}
