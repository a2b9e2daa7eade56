/* Atomic output files; see atomic_file.h. */
#include "util/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/diag.h"
#include "util/xalloc.h"

int make_dirs(const char *dir)
{
	char *path = xstrdup(dir);
	int status = 0;

	for (char *p = path + 1; ; p++) {
		bool end = *p == '\0';
		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0) {
			struct stat info;
			if (errno != EEXIST)
				status = diag_error(path, 0, "cannot create "
				                    "folder: %s", strerror(errno));
			else if (stat(path, &info) != 0 ||
			         !S_ISDIR(info.st_mode))
				status = diag_error(path, 0, "not a directory");
			if (status != 0)
				break;
		}
		if (end)
			break;
		*p = '/';
	}
	free(path);
	return status;
}

static int sync_folder_of(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int fd, status = 0;

	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		status = diag_error(dir, 0, "cannot sync folder: %s",
		                    strerror(errno));
	if (fd >= 0)
		close(fd);
	free(dir);
	return status;
}

int atomic_commit(const char *temp, const char *path)
{
	int fd = open(temp, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0) {
		diag_error(temp, 0, "cannot write: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(temp);
		return -1;
	}
	close(fd);
	if (rename(temp, path) != 0) {
		diag_error(path, 0, "cannot rename into place: %s",
		           strerror(errno));
		unlink(temp);
		return -1;
	}
	return sync_folder_of(path);
}

int atomic_write(const char *path, const void *data, size_t length)
{
	/* A fixed name: a crash leaves at most this file, and the next write
	 * of the same output replaces it (one writer: the ledger lock). */
	char *temp = xasprintf("%s.tmp", path);
	const char *p = data;
	size_t done = 0;
	int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int saved;

	if (fd < 0) {
		diag_error(temp, 0, "cannot create: %s", strerror(errno));
		free(temp);
		return -1;
	}
	while (done < length) {
		ssize_t n = write(fd, p + done, length - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		done += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(temp, path) != 0)
		goto fail;
	free(temp);
	return sync_folder_of(path);
fail:
	saved = errno != 0 ? errno : EIO;
	if (fd >= 0)
		close(fd);
	unlink(temp);
	diag_error(path, 0, "cannot write: %s", strerror(saved));
	free(temp);
	return -1;
}
