/* Reading a file whole; see whole_file.h. */
#include "util/whole_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/diag.h"
#include "util/xalloc.h"

unsigned char *read_whole_file(const char *path, size_t max,
                               const char *too_large, bool secret,
                               size_t *length)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	unsigned char *data;
	struct stat st;
	size_t got = 0;

	if (fd < 0) {
		diag_error(path, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		diag_error(path, 0, "cannot read: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > max) {
		diag_error(path, 0, "%s", S_ISREG(st.st_mode)
		           ? too_large : "not a regular file");
		close(fd);
		return NULL;
	}
	if (secret && (st.st_mode & 077) != 0) {
		diag_error(path, 0, "holds a private key but is accessible by "
		           "group or others (mode %04o): chmod 600 it",
		           (unsigned)(st.st_mode & 07777));
		close(fd);
		return NULL;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			diag_error(path, 0, "cannot read: %s",
			           n < 0 ? strerror(errno) : "file shrank");
			if (secret)
				explicit_bzero(data, got);
			free(data);
			close(fd);
			return NULL;
		}
		got += (size_t)n;
	}
	close(fd);
	data[got] = '\0';
	*length = got;
	return data;
}
