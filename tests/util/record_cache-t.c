/* util/record_cache: records changed through a small cache read back the
 * same, from the cache and from the file once written out; runs of
 * records written out in one go land at their own offsets; fresh records
 * and records never written are zeros. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/record_cache.h"
#include "util/spill.h"

typedef struct rec {
	unsigned long n;
	char text[20];
} rec;

static void fill(rec *r, unsigned long n, int round)
{
	memset(r, 0, sizeof *r);
	r->n = n;
	snprintf(r->text, sizeof r->text, "r%lu/%d", n, round);
}

/* Whether record n reads as fill(n, round) through the cache and, when
 * flushed, straight from the file. */
static bool reads_back(record_cache *c, int fd, unsigned long n, int round,
                       bool from_file)
{
	rec want, seen;

	fill(&want, n, round);
	record_cache_read(c, n, &seen);
	if (memcmp(&want, &seen, sizeof want) != 0)
		return false;
	if (!from_file)
		return true;
	spill_read(fd, &seen, sizeof seen, n * sizeof seen);
	return memcmp(&want, &seen, sizeof want) == 0;
}

int main(void)
{
	char *dir = test_tmp_path("record_cache-t");
	int fd;
	record_cache *c;
	rec zero, seen;
	bool fine = true;

	plan(7);
	mkdir(dir, 0700);
	if ((fd = spill_open(dir)) < 0)
		bail("no scratch file in %s", dir);
	c = record_cache_new(fd, sizeof(rec), 8);

	/* 100 records in order through 8 slots: every eviction writes a run */
	for (unsigned long n = 0; n < 100; n++)
		fill(record_cache_change(c, n, true), n, 1);
	for (unsigned long n = 0; n < 100; n++)
		fine = fine && reads_back(c, fd, n, 1, n < 92);
	ok(fine, "100 records through 8 slots read back (the evicted ones "
	   "from the file)");

	/* changing old records reads them from the file first */
	fine = true;
	for (unsigned long n = 0; n < 100; n += 7) {
		rec *r = record_cache_change(c, n, false);
		fine = fine && r->n == n;
		snprintf(r->text, sizeof r->text, "r%lu/%d", n, 2);
	}
	ok(fine, "a record changed again comes back as written");
	record_cache_flush(c);
	fine = true;
	for (unsigned long n = 0; n < 100; n++)
		fine = fine && reads_back(c, fd, n, n % 7 == 0 ? 2 : 1, true);
	ok(fine, "after a flush the file holds every record as last changed");

	memset(&zero, 0, sizeof zero);
	record_cache_read(c, 500, &seen);
	ok(memcmp(&zero, &seen, sizeof zero) == 0,
	   "a record never written reads as zeros");
	ok(memcmp(record_cache_change(c, 3, true), &zero, sizeof zero) == 0,
	   "a fresh record is zeros, even over one in the file");
	ok(memcmp(record_cache_change(c, 3, true), &zero, sizeof zero) == 0,
	   "... and over one in the cache");
	record_cache_flush(c);
	spill_read(fd, &seen, sizeof seen, 3 * sizeof seen);
	ok(memcmp(&zero, &seen, sizeof zero) == 0,
	   "... which is written out as zeros");

	record_cache_free(c);
	close(fd);
	rmdir(dir);
	free(dir);
	return tap_done();
}
