/* Moving rejected files aside; see reject.h. */
#include "reject.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/whole_file.h"
#include "util/xalloc.h"
#include "xml_safe.h"

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash != NULL ? slash + 1 : path;
}

/* rename(2) across file systems fails with EXDEV: copy (atomically), then
 * remove the original. */
static int move_across(const char *from, const char *to)
{
	size_t length;
	unsigned char *data = read_whole_file(from, XML_SAFE_MAX_FILE,
	                                      "too large to move", false,
	                                      &length);
	int status;

	if (data == NULL)
		return -1;
	status = atomic_write(to, data, length);
	free(data);
	if (status == 0 && unlink(from) != 0)
		status = diag_error(from, 0, "cannot remove after copying to "
		                    "%s: %s", to, strerror(errno));
	return status;
}

int reject_file(const char *path, const char *reject_dir, const char *errors)
{
	const char *name = base_name(path);
	char *target = xasprintf("%s/%s", reject_dir, name);
	char *errors_path = xasprintf("%s/%s.errors.txt", reject_dir, name);
	int status = make_dirs(reject_dir);

	if (status == 0)
		status = atomic_write(errors_path, errors, strlen(errors));
	if (status == 0 && rename(path, target) != 0) {
		if (errno == EXDEV)
			status = move_across(path, target);
		else
			status = diag_error(path, 0, "cannot move to %s: %s",
			                    target, strerror(errno));
	}
	free(target);
	free(errors_path);
	return status;
}
