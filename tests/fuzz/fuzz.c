/* Setup and scratch files for the fuzz targets; see fuzz.h. */
#include "fuzz/fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/diag.h"
#include "util/xalloc.h"

#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "."
#endif

static char *private_dir;

/* Empties and removes the private directory (the targets make no
 * subdirectories in it). */
static void remove_private_dir(void)
{
	DIR *dir = opendir(private_dir);
	struct dirent *entry;

	while (dir != NULL && (entry = readdir(dir)) != NULL)
		if (strcmp(entry->d_name, ".") != 0
		    && strcmp(entry->d_name, "..") != 0) {
			char *path = fuzz_path(entry->d_name);
			unlink(path);
			free(path);
		}
	if (dir != NULL)
		closedir(dir);
	rmdir(private_dir);
	free(private_dir);
	private_dir = NULL;
}

void fuzz_setup(void)
{
	const char *tmp = getenv("TMPDIR");
	FILE *null;

	if (private_dir != NULL)
		return;
	setenv("MANDATE_DATADIR", FUZZ_SRCDIR, 0);
	/* MANDATE_FUZZ_DIAG=1 keeps them, to see why an input is refused. */
	if (getenv("MANDATE_FUZZ_DIAG") == NULL) {
		if ((null = fopen("/dev/null", "w")) == NULL) {
			perror("/dev/null");
			abort();
		}
		diag_set_stream(null);
		diag_set_verbosity(DIAG_QUIET);
	}
	/* tmpfs when there is one: the ledger store fsyncs. */
	if (tmp == NULL || *tmp == '\0')
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	private_dir = xasprintf("%s/mandate-fuzz-XXXXXX", tmp);
	if (mkdtemp(private_dir) == NULL) {
		perror(private_dir);
		abort();
	}
	atexit(remove_private_dir);
}

char *fuzz_path(const char *name)
{
	return xasprintf("%s/%s", private_dir, name);
}

char *fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
	char *path = fuzz_path(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t done = 0;

	while (fd >= 0 && done < size) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (fd < 0 || done < size || close(fd) != 0) {
		perror(path);
		abort();
	}
	return path;
}

void fuzz_reset(void)
{
	diag_reset_count();
}
