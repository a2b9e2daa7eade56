/* TAP producer; see tap.h. */
#include "tap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static unsigned long planned;
static unsigned long current;
static unsigned long failures;
static bool lazy;

void plan(unsigned long count)
{
	planned = count;
	printf("1..%lu\n", count);
	fflush(stdout);
}

void plan_lazy(void)
{
	lazy = true;
}

__attribute__((format(printf, 1, 0)))
static void print_description(const char *format, va_list args)
{
	if (format == NULL || *format == '\0')
		return;
	printf(" - ");
	vprintf(format, args);
}

__attribute__((format(printf, 2, 0)))
static bool report(bool success, const char *format, va_list args)
{
	current++;
	if (!success)
		failures++;
	printf("%sok %lu", success ? "" : "not ", current);
	print_description(format, args);
	putchar('\n');
	fflush(stdout);
	return success;
}

bool ok(bool success, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	report(success, format, args);
	va_end(args);
	return success;
}

bool is_int(long long expected, long long seen, const char *format, ...)
{
	bool success = expected == seen;
	va_list args;
	va_start(args, format);
	report(success, format, args);
	va_end(args);
	if (!success)
		diag("wanted: %lld\n  seen: %lld", expected, seen);
	return success;
}

bool is_string(const char *expected, const char *seen, const char *format, ...)
{
	bool success;
	va_list args;

	if (expected == NULL || seen == NULL)
		success = expected == seen;
	else
		success = strcmp(expected, seen) == 0;
	va_start(args, format);
	report(success, format, args);
	va_end(args);
	if (!success)
		diag("wanted: %s\n  seen: %s", expected ? expected : "(null)",
		     seen ? seen : "(null)");
	return success;
}

void skip(const char *reason, ...)
{
	va_list args;
	current++;
	printf("ok %lu # skip ", current);
	va_start(args, reason);
	vprintf(reason, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
}

void skip_all(const char *reason, ...)
{
	va_list args;
	printf("1..0 # skip ");
	va_start(args, reason);
	vprintf(reason, args);
	va_end(args);
	putchar('\n');
	exit(0);
}

void diag(const char *format, ...)
{
	va_list args;
	char buffer[8192];
	char *line, *next;

	va_start(args, format);
	vsnprintf(buffer, sizeof buffer, format, args);
	va_end(args);
	fflush(stdout);
	for (line = buffer; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		printf("# %s\n", line);
	}
	fflush(stdout);
}

void bail(const char *format, ...)
{
	va_list args;
	fflush(stdout);
	printf("Bail out! ");
	va_start(args, format);
	vprintf(format, args);
	va_end(args);
	putchar('\n');
	exit(255);
}

int tap_done(void)
{
	if (lazy)
		printf("1..%lu\n", current);
	else if (current != planned) {
		diag("planned %lu tests but ran %lu", planned, current);
		return 255;
	}
	fflush(stdout);
	return failures == 0 ? 0 : 1;
}

static char *join_path(const char *dir, const char *middle, const char *name)
{
	size_t length = strlen(dir) + strlen(middle) + strlen(name) + 3;
	char *path = malloc(length);
	if (path == NULL)
		bail("out of memory");
	snprintf(path, length, "%s/%s%s", dir, middle, name);
	return path;
}

static const char *env_or_dot(const char *name)
{
	const char *value = getenv(name);
	return value != NULL && *value != '\0' ? value : ".";
}

char *test_src_path(const char *name)
{
	return join_path(env_or_dot("srcdir"), "", name);
}

char *test_data_path(const char *name)
{
	return join_path(env_or_dot("srcdir"), "tests/data/", name);
}

char *test_tmp_path(const char *name)
{
	const char *build = env_or_dot("builddir");
	char *dir = join_path(build, "", "tests/tmp");
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		bail("cannot create %s: %s", dir, strerror(errno));
	free(dir);
	return join_path(build, "tests/tmp/", name);
}

char *test_read_file(const char *path, size_t *length)
{
	FILE *file = fopen(path, "rb");
	char *data = NULL;
	size_t size = 0, capacity = 0, got;

	if (file == NULL)
		return NULL;
	do {
		if (capacity - size < 4096) {
			capacity = capacity * 2 + 4096;
			data = realloc(data, capacity + 1);
			if (data == NULL)
				bail("out of memory");
		}
		got = fread(data + size, 1, capacity - size, file);
		size += got;
	} while (got > 0);
	fclose(file);
	data[size] = '\0';
	if (length != NULL)
		*length = size;
	return data;
}
