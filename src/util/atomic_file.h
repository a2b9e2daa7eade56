/* Writing output files so that a crash never leaves a half file under the
 * final name: write to a temporary name in the same folder, fsync, rename,
 * fsync the folder. */
#ifndef MANDATE_ATOMIC_FILE_H
#define MANDATE_ATOMIC_FILE_H

#include <stddef.h>

/* Creates dir and its missing parents (mode 0755); something that exists
 * but is not a folder is an error ("not a directory").  Returns 0, or -1
 * after reporting. */
int make_dirs(const char *dir);

/* Puts a finished temporary file in place: fsync it, rename it to path,
 * fsync the folder.  On failure the temporary file is removed.  Returns 0,
 * or -1 after reporting. */
int atomic_commit(const char *temp, const char *path);

/* Writes data to path atomically (mode 0644).  Returns 0, or -1 after
 * reporting; on failure path is untouched and no temporary file remains. */
int atomic_write(const char *path, const void *data, size_t length);

#endif
