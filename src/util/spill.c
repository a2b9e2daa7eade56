/* Scratch files; see spill.h. */
#include "util/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/diag.h"
#include "util/xalloc.h"

int spill_open(const char *dir)
{
	int fd = -1;
	char *name;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	name = xasprintf("%s/.mandate-scratch-XXXXXX", dir);
	fd = mkostemp(name, O_CLOEXEC);
	if (fd < 0)
		diag_error(dir, 0, "cannot create a scratch file: %s",
		           strerror(errno));
	else
		unlink(name);
	free(name);
	return fd;
}

static void fail(int fd, const char *what)
{
	char link[64], target[4096];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof target - 1);
	target[n > 0 ? n : 0] = '\0';
	diag_fatal(n > 0 ? target : "scratch file", 0, "cannot %s: %s", what,
	           errno != 0 ? strerror(errno) : "short transfer");
}

void spill_write(int fd, const void *buf, size_t length, uint64_t offset)
{
	const char *p = buf;

	while (length > 0) {
		ssize_t n;
		errno = 0;
		n = pwrite(fd, p, length, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail(fd, "write scratch data");
		p += n;
		length -= (size_t)n;
		offset += (uint64_t)n;
	}
}

void spill_read(int fd, void *buf, size_t length, uint64_t offset)
{
	char *p = buf;

	while (length > 0) {
		ssize_t n;
		errno = 0;
		n = pread(fd, p, length, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail(fd, "read scratch data");
		if (n == 0) {           /* past the end: never written */
			memset(p, 0, length);
			return;
		}
		p += n;
		length -= (size_t)n;
		offset += (uint64_t)n;
	}
}
