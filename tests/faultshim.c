/* faultshim.so: an LD_PRELOAD shim that makes the N-th file-system write
 * call of a process fail, for tests/cmd/faults-t.sh.  Test-only; never
 * installed.
 *
 * Counted calls ("I/O calls"), and only on files under FAULT_ROOT:
 *   open     open/open64/openat/openat64 with O_WRONLY, O_RDWR or O_CREAT,
 *            and fopen/fopen64 for writing ("w", "a" or "+")
 *   write    write, pwrite, pwrite64, and the buffer flushes of a stdio
 *            stream opened for writing (see below)
 *   fsync    fsync, fdatasync
 *   rename   rename, renameat, renameat2 (either name under FAULT_ROOT)
 *   ftruncate ftruncate, ftruncate64
 * An fd counts as "under FAULT_ROOT" when it was opened (any flags) by a
 * path under it; the shim tracks such fds until close.  So fsync of a
 * folder or of a file opened read-only (atomic_commit) is counted too.
 *
 * stdio: glibc's own stdio writes do not go through the interposable
 * write(), so a stream opened for writing under FAULT_ROOT (fopen, fopen64,
 * or fdopen of a tracked fd — libxlsxwriter and minizip use these) is
 * replaced by a fopencookie stream over the same fd whose flushes call the
 * counted write().
 *
 * Environment:
 *   FAULT_ROOT=DIR     count only calls on paths/fds under DIR (required:
 *                      without it the shim counts nothing)
 *   FAULT_AT=N         make the N-th counted call (1-based) fail
 *   FAULT_ERRNO=E      ENOSPC (default), EIO or EFBIG
 *   FAULT_ACTION=kill  instead of failing the N-th call, kill the process
 *                      with SIGKILL just before it (a crash after call N-1)
 *   FAULT_ONLY=LIST    count only these kinds, comma separated:
 *                      open,write,fsync,rename,ftruncate
 *   FAULT_COUNT_FILE=F at exit, write the number of counted calls to F
 *   FAULT_LOG=F        append one line for the failed call to F
 *   FAULT_TRACE=F      append one line per counted call to F
 *
 * Processes: the counter lives in an anonymous MAP_SHARED page made when
 * the shim loads, so a forked child (mandate's document workers, --jobs 2
 * and up) shares it with its parent: "the N-th call" is the N-th of the
 * whole process tree.  The order across concurrent workers is not
 * deterministic, so the walker runs with -j 1 (which does not fork).  The
 * count file is written by the process that loaded the shim, at exit. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

enum kind { K_OPEN, K_WRITE, K_FSYNC, K_RENAME, K_FTRUNCATE, K_COUNT };
static const char *const kind_name[K_COUNT] = {
	"open", "write", "fsync", "rename", "ftruncate"
};

struct shared { unsigned long count; };

static struct shared *shared;
static struct shared local_fallback;
static char root[PATH_MAX];
static size_t root_length;
static bool enabled;
static unsigned long fault_at;
static int fault_errno = ENOSPC;
static bool fault_kills;
static bool kinds[K_COUNT];
static pid_t owner;
static const char *count_file, *log_file, *trace_file;

#define MAX_FDS 4096
static unsigned char tracked[MAX_FDS];

/* The real functions. */
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned);
static int (*real_ftruncate)(int, off_t);
static int (*real_close)(int);
static FILE *(*real_fopen)(const char *, const char *);
static FILE *(*real_fopen64)(const char *, const char *);
static FILE *(*real_fdopen)(int, const char *);

static void resolve(void)
{
#define RESOLVE(name) \
	real_##name = (__typeof__(real_##name))dlsym(RTLD_NEXT, #name)
	RESOLVE(open); RESOLVE(openat); RESOLVE(write); RESOLVE(pwrite);
	RESOLVE(fsync); RESOLVE(fdatasync); RESOLVE(rename);
	RESOLVE(renameat); RESOLVE(renameat2); RESOLVE(ftruncate);
	RESOLVE(close); RESOLVE(fopen); RESOLVE(fopen64); RESOLVE(fdopen);
#undef RESOLVE
}

/* A call may come before the constructor ran (another library's). */
#define REAL(name) (real_##name != NULL ? real_##name : \
	(resolve(), real_##name))

static void append_line(const char *file, const char *line)
{
	int fd;

	if (file == NULL)
		return;
	fd = REAL(open)(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	(void)!REAL(write)(fd, line, strlen(line));
	REAL(close)(fd);
}

__attribute__((constructor))
static void shim_init(void)
{
	const char *value;

	resolve();
	owner = getpid();
	shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
	              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		shared = &local_fallback;
	shared->count = 0;

	value = getenv("FAULT_ROOT");
	if (value == NULL || value[0] != '/' ||
	    realpath(value, root) == NULL)
		return;
	root_length = strlen(root);
	while (root_length > 1 && root[root_length - 1] == '/')
		root[--root_length] = '\0';
	enabled = true;

	if ((value = getenv("FAULT_AT")) != NULL)
		fault_at = strtoul(value, NULL, 10);
	if ((value = getenv("FAULT_ERRNO")) != NULL) {
		if (strcmp(value, "EIO") == 0)
			fault_errno = EIO;
		else if (strcmp(value, "EFBIG") == 0)
			fault_errno = EFBIG;
		else
			fault_errno = ENOSPC;
	}
	value = getenv("FAULT_ACTION");
	fault_kills = value != NULL && strcmp(value, "kill") == 0;
	value = getenv("FAULT_ONLY");
	for (int k = 0; k < K_COUNT; k++) {
		if (value == NULL || *value == '\0') {
			kinds[k] = true;
			continue;
		}
		size_t n = strlen(kind_name[k]);
		for (const char *p = value; p != NULL && *p != '\0'; ) {
			if (strncmp(p, kind_name[k], n) == 0 &&
			    (p[n] == ',' || p[n] == '\0'))
				kinds[k] = true;
			p = strchr(p, ',');
			if (p != NULL)
				p++;
		}
	}
	count_file = getenv("FAULT_COUNT_FILE");
	log_file = getenv("FAULT_LOG");
	trace_file = getenv("FAULT_TRACE");
}

__attribute__((destructor))
static void shim_fini(void)
{
	char line[64];

	if (!enabled || count_file == NULL || getpid() != owner)
		return;
	snprintf(line, sizeof line, "%lu\n", shared->count);
	(void)unlink(count_file);
	append_line(count_file, line);
}

/* Is path (relative to dirfd) under the root? */
static bool under_root(int dirfd, const char *path)
{
	char base[PATH_MAX], full[2 * PATH_MAX + 2];

	if (!enabled || path == NULL)
		return false;
	if (path[0] == '/') {
		snprintf(full, sizeof full, "%s", path);
	} else {
		if (dirfd == AT_FDCWD) {
			if (getcwd(base, sizeof base) == NULL)
				return false;
		} else {
			char link[64];
			ssize_t n;
			snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
			n = readlink(link, base, sizeof base - 1);
			if (n < 0)
				return false;
			base[n] = '\0';
		}
		snprintf(full, sizeof full, "%s/%s", base, path);
	}
	return strncmp(full, root, root_length) == 0 &&
	       (full[root_length] == '/' || full[root_length] == '\0');
}

static bool fd_tracked(int fd)
{
	return enabled && fd >= 0 && fd < MAX_FDS && tracked[fd];
}

static void track(int fd, bool on)
{
	if (fd >= 0 && fd < MAX_FDS)
		tracked[fd] = on;
}

/* Counts one call; true if it is the one to fail (errno is then set). */
static bool hit(enum kind k, const char *call, const char *what)
{
	unsigned long n;
	char line[PATH_MAX + 128];

	if (!kinds[k])
		return false;
	n = __atomic_add_fetch(&shared->count, 1, __ATOMIC_SEQ_CST);
	if (trace_file != NULL) {
		snprintf(line, sizeof line, "%lu %s %s\n", n, call, what);
		append_line(trace_file, line);
	}
	if (n != fault_at)
		return false;
	if (log_file != NULL) {
		snprintf(line, sizeof line, "%lu %s %s %s\n", n, call, what,
		         fault_kills ? "SIGKILL" : strerror(fault_errno));
		append_line(log_file, line);
	}
	if (fault_kills)
		kill(getpid(), SIGKILL);
	errno = fault_errno;
	return true;
}

static const char *fd_name(int fd, char *buffer, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, buffer, size - 1);
	if (n < 0)
		snprintf(buffer, size, "fd%d", fd);
	else
		buffer[n] = '\0';
	return buffer;
}

/* ---- open ------------------------------------------------------------- */

static bool writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT) != 0;
}

static int do_openat(const char *call, int dirfd, const char *path,
                     int flags, mode_t mode)
{
	bool mine = under_root(dirfd, path);
	int fd;

	if (mine && writes(flags) && hit(K_OPEN, call, path))
		return -1;
	fd = REAL(openat)(dirfd, path, flags, mode);
	if (mine && fd >= 0)
		track(fd, true);
	return fd;
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) != 0 ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return do_openat("open", AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return do_openat("open", AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return do_openat("openat", dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return do_openat("openat", dirfd, path, flags, mode);
}

int close(int fd)
{
	track(fd, false);
	return REAL(close)(fd);
}

/* ---- write, fsync, ftruncate ------------------------------------------ */

ssize_t write(int fd, const void *data, size_t length)
{
	char name[PATH_MAX];

	if (fd_tracked(fd) && hit(K_WRITE, "write", fd_name(fd, name, sizeof name)))
		return -1;
	return REAL(write)(fd, data, length);
}

ssize_t pwrite(int fd, const void *data, size_t length, off_t offset)
{
	char name[PATH_MAX];

	if (fd_tracked(fd) && hit(K_WRITE, "pwrite", fd_name(fd, name, sizeof name)))
		return -1;
	return REAL(pwrite)(fd, data, length, offset);
}

ssize_t pwrite64(int fd, const void *data, size_t length, off_t offset)
{
	return pwrite(fd, data, length, offset);
}

int fsync(int fd)
{
	char name[PATH_MAX];

	if (fd_tracked(fd) && hit(K_FSYNC, "fsync", fd_name(fd, name, sizeof name)))
		return -1;
	return REAL(fsync)(fd);
}

int fdatasync(int fd)
{
	char name[PATH_MAX];

	if (fd_tracked(fd) &&
	    hit(K_FSYNC, "fdatasync", fd_name(fd, name, sizeof name)))
		return -1;
	return REAL(fdatasync)(fd);
}

int ftruncate(int fd, off_t length)
{
	char name[PATH_MAX];

	if (fd_tracked(fd) &&
	    hit(K_FTRUNCATE, "ftruncate", fd_name(fd, name, sizeof name)))
		return -1;
	return REAL(ftruncate)(fd, length);
}

int ftruncate64(int fd, off_t length)
{
	return ftruncate(fd, length);
}

/* ---- rename ------------------------------------------------------------ */

static bool rename_hit(const char *call, int fromfd, const char *from,
                       int tofd, const char *to)
{
	return (under_root(fromfd, from) || under_root(tofd, to)) &&
	       hit(K_RENAME, call, to);
}

int rename(const char *from, const char *to)
{
	if (rename_hit("rename", AT_FDCWD, from, AT_FDCWD, to))
		return -1;
	return REAL(rename)(from, to);
}

int renameat(int fromfd, const char *from, int tofd, const char *to)
{
	if (rename_hit("renameat", fromfd, from, tofd, to))
		return -1;
	return REAL(renameat)(fromfd, from, tofd, to);
}

int renameat2(int fromfd, const char *from, int tofd, const char *to,
              unsigned flags)
{
	if (rename_hit("renameat2", fromfd, from, tofd, to))
		return -1;
	return REAL(renameat2)(fromfd, from, tofd, to, flags);
}

/* ---- stdio streams for writing ----------------------------------------- */

static ssize_t cookie_read(void *cookie, char *buffer, size_t size)
{
	return read((int)(intptr_t)cookie, buffer, size);
}

static ssize_t cookie_write(void *cookie, const char *data, size_t size)
{
	int fd = (int)(intptr_t)cookie;
	size_t done = 0;

	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return done > 0 ? (ssize_t)done : -1;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int cookie_seek(void *cookie, off64_t *offset, int whence)
{
	off_t at = lseek((int)(intptr_t)cookie, (off_t)*offset, whence);

	if (at < 0)
		return -1;
	*offset = at;
	return 0;
}

static int cookie_close(void *cookie)
{
	return close((int)(intptr_t)cookie);
}

static bool mode_writes(const char *mode)
{
	return strpbrk(mode, "wa+") != NULL;
}

static int mode_flags(const char *mode)
{
	int flags = strchr(mode, '+') != NULL ? O_RDWR
	          : mode[0] == 'r' ? O_RDONLY : O_WRONLY;

	if (mode[0] == 'w')
		flags |= O_CREAT | O_TRUNC;
	else if (mode[0] == 'a')
		flags |= O_CREAT | O_APPEND;
	if (strchr(mode, 'x') != NULL)
		flags |= O_EXCL;
	if (strchr(mode, 'e') != NULL)
		flags |= O_CLOEXEC;
	return flags;
}

static FILE *cookie_stream(int fd, const char *mode)
{
	static const cookie_io_functions_t io = {
		cookie_read, cookie_write, cookie_seek, cookie_close
	};
	char plain[8];
	size_t n = 0;
	FILE *f;

	/* fopencookie knows r, w, a and +; drop b, e, x and the like. */
	for (const char *p = mode; *p != '\0' && n < sizeof plain - 1; p++)
		if (strchr("rwa+", *p) != NULL)
			plain[n++] = *p;
	plain[n] = '\0';
	f = fopencookie((void *)(intptr_t)fd, plain, io);
	return f;
}

static FILE *open_stream(const char *call, const char *path, const char *mode,
                         FILE *(*real)(const char *, const char *))
{
	int fd;
	FILE *f;

	if (!under_root(AT_FDCWD, path) || !mode_writes(mode))
		return real(path, mode);
	fd = do_openat(call, AT_FDCWD, path, mode_flags(mode), 0666);
	if (fd < 0)
		return NULL;
	f = cookie_stream(fd, mode);
	if (f == NULL) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return f;
}

FILE *fopen(const char *path, const char *mode)
{
	return open_stream("fopen", path, mode, REAL(fopen));
}

FILE *fopen64(const char *path, const char *mode)
{
	return open_stream("fopen64", path, mode, REAL(fopen64));
}

FILE *fdopen(int fd, const char *mode)
{
	if (!fd_tracked(fd) || !mode_writes(mode))
		return REAL(fdopen)(fd, mode);
	return cookie_stream(fd, mode);
}
