/* Scratch files for data that would not fit in memory: unnamed files in a
 * given folder (O_TMPFILE, or a name unlinked at once where the file
 * system has no O_TMPFILE), so they vanish when closed or when the
 * process dies, however it dies, and never show under any name a user
 * sees for longer than an instant.
 *
 * Reads and writes that fail (a full disk, an I/O error) are reported,
 * naming the folder, and exit 4 (environment error), as xalloc does when
 * memory runs out: callers never check. */
#ifndef MANDATE_SPILL_H
#define MANDATE_SPILL_H

#include <stddef.h>
#include <stdint.h>

/* An unnamed read-write file in dir; -1 (reported) when it cannot be
 * made.  Close it with close(). */
int spill_open(const char *dir);
/* Writes length bytes at offset. */
void spill_write(int fd, const void *buf, size_t length, uint64_t offset);
/* Reads length bytes at offset; bytes past the end of the file (a hole
 * never written) read as zeros. */
void spill_read(int fd, void *buf, size_t length, uint64_t offset);

#endif
