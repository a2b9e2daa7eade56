/* Tests for src/util/ident.c: identifiers become file names, so anything
 * that could climb a directory, hide a file or look like an option fails. */
#include "tap.h"
#include "util/ident.h"

#include <string.h>

#define A10 "aaaaaaaaaa"
#define ID64 A10 A10 A10 A10 A10 A10 "abcd"

static const struct {
	const char *text;
	bool valid;
} cases[] = {
	{"a", true},
	{"Z", true},
	{"7", true},
	{"ORD-2026-001", true},
	{"batch_07.v2", true},
	{"a..b", true},		/* dots inside cannot climb: no '/' */
	{"a.", true},
	{"a-", true},
	{ID64, true},		/* 64 characters: the longest */
	{ID64 "e", false},	/* 65 */
	{"", false},
	{"../x", false},
	{"..", false},
	{".", false},
	{".x", false},
	{"-x", false},
	{"_x", false},
	{"a b", false},
	{"a/b", false},
	{"a\\b", false},
	{"a\tb", false},
	{"a\nb", false},
	{"a:b", false},
	{"a*", false},
	{"a+b", false},
	{"a~", false},
	{"\xc3\xa9t\xc3\xa9", false},	/* "été" */
	{"a\xc3\xa9", false},
	{"\xd0\x97\xd0\xb0", false},	/* Cyrillic, starts non-ASCII */
	{"a\x7f", false},
	{"a\x80", false},
};

/* Control characters written as \xNN so a description stays on its line;
 * long texts shortened.  Returns a static buffer. */
static const char *shown(const char *text)
{
	static char buf[80];
	static const char hex[] = "0123456789abcdef";
	size_t pos = 0;

	for (; *text != '\0' && pos + 8 < sizeof buf; text++) {
		unsigned char c = (unsigned char)*text;

		if (c < 0x20 || c >= 0x7f) {
			buf[pos++] = '\\';
			buf[pos++] = 'x';
			buf[pos++] = hex[c >> 4];
			buf[pos++] = hex[c & 15];
		} else
			buf[pos++] = (char)c;
	}
	buf[pos] = '\0';
	return buf;
}

int main(void)
{
	plan(sizeof cases / sizeof *cases + 3);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		is_int(cases[i].valid, ident_valid(cases[i].text),
		    "ident_valid(\"%s\") (%zu chars)", shown(cases[i].text),
		    strlen(cases[i].text));
	ok(!ident_valid(NULL), "ident_valid(NULL)");
	is_int(64, (long long)strlen(ID64), "the 64-character case is 64");
	is_int(64, IDENT_MAX, "IDENT_MAX is 64");
	return tap_done();
}
