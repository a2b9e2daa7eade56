/* Bounded string copies; see text.h. */
#include "util/text.h"

#include <string.h>

/* Appends text to out[*used..size - 1), keeping room for the NUL. */
static void append(char *out, size_t size, size_t *used, const char *text)
{
	size_t length;

	if (text == NULL)
		return;
	length = strnlen(text, size - 1 - *used);
	memcpy(out + *used, text, length);
	*used += length;
}

char *text_join(char *out, size_t size, const char *a, const char *b)
{
	size_t used = 0;

	append(out, size, &used, a);
	append(out, size, &used, b);
	out[used] = '\0';
	return out;
}

char *text_copy(char *out, size_t size, const char *text)
{
	return text_join(out, size, text, NULL);
}
