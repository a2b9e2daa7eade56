/* Identifiers become file names: the first character may not be '.' or '-'
 * (no "..", no hidden files, no option look-alikes), and '/' never occurs. */
#include "util/ident.h"

#include <stddef.h>

/* ASCII only, on purpose: isalnum() would follow the locale. */
static bool is_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
	    || (c >= '0' && c <= '9');
}

bool ident_valid(const char *text)
{
	size_t i;

	if (text == NULL || !is_alnum(text[0]))
		return false;
	for (i = 1; text[i] != '\0'; i++) {
		if (i >= IDENT_MAX)
			return false;
		if (!is_alnum(text[i]) && text[i] != '.' && text[i] != '_'
		    && text[i] != '-')
			return false;
	}
	return true;
}
