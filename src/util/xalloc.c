/* Allocation wrappers: one place decides what running out of memory means
 * (exit 4, an environment error), so no caller has to. */
#include "util/xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Written straight to stderr: the diagnostic module may itself need memory,
 * and there is nothing left to give it. */
static _Noreturn void out_of_memory(void)
{
	fputs("mandate: error: out of memory\n", stderr);
	exit(4);
}

/* malloc(0) may legally return NULL, which we would mistake for exhaustion;
 * asking for one byte keeps "NULL means failure" true. */
void *xmalloc(size_t size)
{
	void *ptr = malloc(size == 0 ? 1 : size);

	if (ptr == NULL)
		out_of_memory();
	return ptr;
}

void *xcalloc(size_t count, size_t size)
{
	void *ptr;

	if (count == 0 || size == 0)
		count = size = 1;
	ptr = calloc(count, size);	/* checks count * size itself */
	if (ptr == NULL)
		out_of_memory();
	return ptr;
}

/* realloc(p, 0) may free p and return NULL; never ask for zero bytes. */
void *xrealloc(void *ptr, size_t size)
{
	void *grown = realloc(ptr, size == 0 ? 1 : size);

	if (grown == NULL)
		out_of_memory();
	return grown;
}

void *xgrow(void *array, size_t *capacity, size_t need, size_t elem_size)
{
	size_t cap = *capacity;

	if (need <= cap)
		return array;
	if (cap < 8)
		cap = 8;
	while (cap < need) {
		/* Doubling would wrap: settle for exactly what is needed. */
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	if (elem_size != 0 && cap > SIZE_MAX / elem_size)
		out_of_memory();
	array = xrealloc(array, cap * elem_size);
	*capacity = cap;
	return array;
}

char *xstrdup(const char *text)
{
	return xstrndup(text, strlen(text));
}

/* Like POSIX strndup: copies at most length bytes, stopping at a NUL. */
char *xstrndup(const char *text, size_t length)
{
	const char *end = memchr(text, '\0', length);
	char *copy;

	if (end != NULL)
		length = (size_t)(end - text);
	if (length == SIZE_MAX)
		out_of_memory();
	copy = xmalloc(length + 1);
	memcpy(copy, text, length);
	copy[length] = '\0';
	return copy;
}

/* Two passes of vsnprintf (measure, then write) instead of vasprintf, which
 * is not in C11. */
char *xasprintf(const char *format, ...)
{
	va_list args;
	int length;
	char *text;

	va_start(args, format);
	length = vsnprintf(NULL, 0, format, args);
	va_end(args);
	if (length < 0) {
		/* Only an encoding error gets here: a bug, not bad input. */
		fputs("mandate: error: cannot format a message\n", stderr);
		exit(4);
	}
	text = xmalloc((size_t)length + 1);
	va_start(args, format);
	vsnprintf(text, (size_t)length + 1, format, args);
	va_end(args);
	return text;
}
