/* Reading back a ZIP archive we wrote (an XLSX workbook), entry by entry,
 * to check it before it gets its final name.
 *
 * Only what our writer (libxlsxwriter's minizip) produces is understood:
 * one disk, entries stored or deflated, ZIP64 sizes and offsets, no
 * encryption.  Every entry is inflated in chunks (memory stays small
 * whatever the size) and its CRC-32 and size are checked against the
 * central directory. */
#ifndef MANDATE_ZIP_READ_H
#define MANDATE_ZIP_READ_H

#include <stddef.h>

/* What to do with each entry's bytes.  Any callback may be NULL.  A
 * callback returns 0 to go on, or sets *why (a message it allocates, owned
 * by zip_read_entries' caller) and returns -1 to stop. */
typedef struct zip_visitor {
	void *ctx;
	int (*begin)(void *ctx, const char *name, char **why);
	int (*chunk)(void *ctx, const unsigned char *bytes, size_t length,
	             char **why);
	int (*end)(void *ctx, char **why);
} zip_visitor;

/* Reads every entry of the archive at path in central-directory order,
 * feeding its inflated bytes to visitor.  Returns the number of entries,
 * or -1 with *why set (owned by the caller; it names the entry concerned)
 * when the archive cannot be read, is damaged, or a callback refused. */
long zip_read_entries(const char *path, const zip_visitor *visitor,
                      char **why);

#endif
