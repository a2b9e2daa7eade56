/* Locking an output folder; see out_lock.h. */
#include "util/out_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/atomic_file.h"
#include "util/diag.h"

int out_lock(const char *dir)
{
	int fd, status;

	if (make_dirs(dir) != 0)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		diag_error(dir, 0, "cannot open the output folder: %s",
		           strerror(errno));
		return -1;
	}
	while ((status = flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
		continue;
	if (status != 0) {
		if (errno == EWOULDBLOCK)
			diag_error(dir, 0, "output folder is being written by "
			           "another run");
		else
			diag_error(dir, 0, "cannot lock the output folder: %s",
			           strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
