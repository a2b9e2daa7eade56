/* Reading back a ZIP archive; see zip_read.h.  Layout from PKWARE's
 * APPNOTE: end of central directory (EOCD), its ZIP64 locator and record,
 * central directory headers, local headers. */
#include "util/zip_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/xalloc.h"

enum {
	EOCD_SIGNATURE = 0x06054b50, EOCD_SIZE = 22,
	LOCATOR_SIGNATURE = 0x07064b50, LOCATOR_SIZE = 20,
	EOCD64_SIGNATURE = 0x06064b50, EOCD64_SIZE = 56,
	CENTRAL_SIGNATURE = 0x02014b50, CENTRAL_SIZE = 46,
	LOCAL_SIGNATURE = 0x04034b50, LOCAL_SIZE = 30,
	ZIP64_EXTRA = 0x0001,
	METHOD_STORED = 0, METHOD_DEFLATED = 8,
	CHUNK = 1 << 16
};
#define MAX_COMMENT 65535

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}
static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

typedef struct archive {
	int fd;
	uint64_t size;
	char **why;
} archive;

static int fail(archive *a, const char *name, const char *what)
{
	*a->why = name != NULL ? xasprintf("%s: %s", name, what)
	                       : xasprintf("%s", what);
	return -1;
}

/* Reads exactly length bytes at offset, inside the file. */
static int read_at(archive *a, uint64_t offset, void *buffer, size_t length)
{
	size_t done = 0;

	if (offset > a->size || length > a->size - offset)
		return fail(a, NULL, "an offset points past the end of the archive");
	while (done < length) {
		ssize_t n = pread(a->fd, (char *)buffer + done, length - done,
		                  (off_t)(offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*a->why = xasprintf("cannot read: %s",
			                    n < 0 ? strerror(errno) : "short file");
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

typedef struct directory {
	uint64_t offset, size, entries;
} directory;

/* Finds the central directory through the EOCD (and its ZIP64 record). */
static int find_directory(archive *a, directory *dir)
{
	size_t tail = a->size < EOCD_SIZE + MAX_COMMENT ? (size_t)a->size
	                                                : EOCD_SIZE + MAX_COMMENT;
	unsigned char *buffer = xmalloc(tail > 0 ? tail : 1);
	uint64_t base = a->size - tail;
	long at = -1;

	if (tail < EOCD_SIZE || read_at(a, base, buffer, tail) != 0) {
		free(buffer);
		return *a->why != NULL ? -1 : fail(a, NULL, "not a ZIP archive (too short)");
	}
	for (long i = (long)(tail - EOCD_SIZE); i >= 0 && at < 0; i--)
		if (le32(buffer + i) == EOCD_SIGNATURE)
			at = i;
	if (at < 0) {
		free(buffer);
		return fail(a, NULL, "no end of central directory: the archive is cut short");
	}
	dir->entries = le16(buffer + at + 10);
	dir->size = le32(buffer + at + 12);
	dir->offset = le32(buffer + at + 16);
	if (at >= LOCATOR_SIZE &&
	    le32(buffer + at - LOCATOR_SIZE) == LOCATOR_SIGNATURE) {
		unsigned char record[EOCD64_SIZE];
		uint64_t where = le64(buffer + at - LOCATOR_SIZE + 8);
		free(buffer);
		if (read_at(a, where, record, sizeof record) != 0)
			return -1;
		if (le32(record) != EOCD64_SIGNATURE)
			return fail(a, NULL, "damaged ZIP64 end of central directory");
		dir->entries = le64(record + 32);
		dir->size = le64(record + 40);
		dir->offset = le64(record + 48);
		return 0;
	}
	free(buffer);
	return 0;
}

typedef struct entry {
	char *name;
	unsigned method, flags;
	uint32_t crc;
	uint64_t packed, unpacked, local;
} entry;

/* The ZIP64 extra field replaces the 32-bit values that are all ones. */
static void apply_zip64(entry *e, const unsigned char *extra, size_t length,
                        bool wide_unpacked, bool wide_packed, bool wide_local)
{
	while (length >= 4) {
		unsigned id = le16(extra), size = le16(extra + 2);
		if (size > length - 4)
			return;
		if (id == ZIP64_EXTRA) {
			const unsigned char *p = extra + 4, *end = p + size;
			if (wide_unpacked && end - p >= 8) { e->unpacked = le64(p); p += 8; }
			if (wide_packed && end - p >= 8) { e->packed = le64(p); p += 8; }
			if (wide_local && end - p >= 8) e->local = le64(p);
			return;
		}
		extra += 4 + size;
		length -= 4 + size;
	}
}

/* Decodes the central directory header at *p (within [p, end)). */
static int parse_central(archive *a, const unsigned char **p,
                         const unsigned char *end, entry *e)
{
	const unsigned char *h = *p;
	size_t name_length, extra_length, comment_length;
	bool wide_unpacked, wide_packed, wide_local;

	if (end - h < CENTRAL_SIZE || le32(h) != CENTRAL_SIGNATURE)
		return fail(a, NULL, "damaged central directory");
	name_length = le16(h + 28);
	extra_length = le16(h + 30);
	comment_length = le16(h + 32);
	if ((size_t)(end - h) < CENTRAL_SIZE + name_length + extra_length + comment_length)
		return fail(a, NULL, "damaged central directory");
	e->flags = le16(h + 8);
	e->method = le16(h + 10);
	e->crc = le32(h + 16);
	e->packed = le32(h + 20);
	e->unpacked = le32(h + 24);
	e->local = le32(h + 42);
	wide_packed = e->packed == UINT32_MAX;
	wide_unpacked = e->unpacked == UINT32_MAX;
	wide_local = e->local == UINT32_MAX;
	e->name = xmalloc(name_length + 1);
	memcpy(e->name, h + CENTRAL_SIZE, name_length);
	e->name[name_length] = '\0';
	apply_zip64(e, h + CENTRAL_SIZE + name_length, extra_length,
	            wide_unpacked, wide_packed, wide_local);
	*p = h + CENTRAL_SIZE + name_length + extra_length + comment_length;
	return 0;
}

/* Feeds one entry's bytes to the visitor, checking its size and CRC. */
static int read_entry(archive *a, const entry *e, const zip_visitor *v)
{
	unsigned char header[LOCAL_SIZE];
	unsigned char *in = NULL, *out = NULL;
	uint64_t offset, left = e->packed, produced = 0;
	uLong crc = crc32(0L, Z_NULL, 0);
	z_stream z;
	int status = -1, zs = Z_OK;

	if (e->flags & 1)
		return fail(a, e->name, "encrypted entry");
	if (e->method != METHOD_STORED && e->method != METHOD_DEFLATED)
		return fail(a, e->name, "unknown compression method");
	if (read_at(a, e->local, header, sizeof header) != 0)
		return -1;
	if (le32(header) != LOCAL_SIGNATURE)
		return fail(a, e->name, "damaged local header");
	offset = e->local + LOCAL_SIZE + le16(header + 26) + le16(header + 28);
	if (offset > a->size || e->packed > a->size - offset)
		return fail(a, e->name, "entry runs past the end of the archive");
	if (v->begin != NULL && v->begin(v->ctx, e->name, a->why) != 0)
		return -1;

	memset(&z, 0, sizeof z);
	if (e->method == METHOD_DEFLATED && inflateInit2(&z, -MAX_WBITS) != Z_OK)
		return fail(a, e->name, "cannot start inflating");
	in = xmalloc(CHUNK);
	out = xmalloc(CHUNK);
	while (left > 0 || (e->method == METHOD_DEFLATED && zs != Z_STREAM_END)) {
		size_t take = left < CHUNK ? (size_t)left : CHUNK;
		if (take == 0) {
			fail(a, e->name, "compressed data cut short");
			goto done;
		}
		if (read_at(a, offset, in, take) != 0)
			goto done;
		offset += take;
		left -= take;
		if (e->method == METHOD_STORED) {
			crc = crc32(crc, in, (uInt)take);
			produced += take;
			if (v->chunk != NULL && v->chunk(v->ctx, in, take, a->why) != 0)
				goto done;
			continue;
		}
		z.next_in = in;
		z.avail_in = (uInt)take;
		do {
			size_t got;
			z.next_out = out;
			z.avail_out = CHUNK;
			zs = inflate(&z, Z_NO_FLUSH);
			if (zs != Z_OK && zs != Z_STREAM_END && zs != Z_BUF_ERROR) {
				fail(a, e->name, "damaged compressed data");
				goto done;
			}
			got = CHUNK - z.avail_out;
			crc = crc32(crc, out, (uInt)got);
			produced += got;
			if (got > 0 && v->chunk != NULL &&
			    v->chunk(v->ctx, out, got, a->why) != 0)
				goto done;
		} while (z.avail_in > 0 && zs != Z_STREAM_END);
		if (zs == Z_STREAM_END && (z.avail_in > 0 || left > 0)) {
			fail(a, e->name, "data after the end of the compressed stream");
			goto done;
		}
	}
	if (produced != e->unpacked)
		fail(a, e->name, "size differs from the central directory");
	else if (crc != e->crc)
		fail(a, e->name, "CRC-32 differs from the central directory");
	else if (v->end != NULL && v->end(v->ctx, a->why) != 0)
		;
	else
		status = 0;
done:
	if (e->method == METHOD_DEFLATED)
		inflateEnd(&z);
	free(in);
	free(out);
	return status;
}

long zip_read_entries(const char *path, const zip_visitor *visitor,
                      char **why)
{
	archive a = { .fd = -1, .why = why };
	directory dir = { 0 };
	unsigned char *central = NULL;
	const unsigned char *p, *end;
	struct stat st;
	long count = -1;

	*why = NULL;
	a.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (a.fd < 0 || fstat(a.fd, &st) != 0) {
		*why = xasprintf("cannot open: %s", strerror(errno));
		goto done;
	}
	a.size = (uint64_t)st.st_size;
	if (find_directory(&a, &dir) != 0)
		goto done;
	if (dir.size > a.size || dir.offset > a.size - dir.size) {
		fail(&a, NULL, "the central directory lies outside the archive");
		goto done;
	}
	central = xmalloc(dir.size > 0 ? (size_t)dir.size : 1);
	if (read_at(&a, dir.offset, central, (size_t)dir.size) != 0)
		goto done;
	p = central;
	end = central + dir.size;
	for (uint64_t i = 0; i < dir.entries; i++) {
		entry e = { 0 };
		int status = parse_central(&a, &p, end, &e);
		if (status == 0)
			status = read_entry(&a, &e, visitor);
		free(e.name);
		if (status != 0)
			goto done;
	}
	if (p != end)
		fail(&a, NULL, "the central directory holds more than its entry count");
	else
		count = (long)dir.entries;
done:
	if (a.fd >= 0)
		close(a.fd);
	free(central);
	return count;
}
