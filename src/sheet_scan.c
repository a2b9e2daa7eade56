/* The quick worksheet check; see sheet_scan.h. */
#include "sheet_scan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sheet_rows.h"
#include "util/xalloc.h"

#define MAX_DEPTH 16
#define MAX_NAME 32
#define MAX_ATTRIBUTES 16
/* A text run or tag is never longer than this in our sheets (a cell holds
 * at most 32,767 characters). */
#define MAX_CARRY (1u << 20)

/* The XML declaration libxlsxwriter writes, between '<' and '>'. */
#define DECLARATION "?xml version=\"1.0\" encoding=\"UTF-8\" " \
                    "standalone=\"yes\"?"

struct sheet_scan {
	bool bad;
	bool declared;
	bool seen_root, root_done;
	int depth;
	char open[MAX_DEPTH][MAX_NAME + 1];
	sheet_rows rows;
	/* the bytes after the last '>' fed, to go before the next ones */
	unsigned char *carry;
	size_t carry_length, carry_capacity;
};

sheet_scan *sheet_scan_new(void)
{
	return xcalloc(1, sizeof(sheet_scan));
}

void sheet_scan_free(sheet_scan *scan)
{
	if (scan == NULL)
		return;
	free(scan->carry);
	free(scan);
}

/* ---- characters ---------------------------------------------------------- */

/* 1: a byte that needs a closer look in text (control, '&', '>', '<',
 * non-ASCII); 0: an ordinary ASCII character. */
static const unsigned char special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static bool xml_char(uint32_t c)
{
	return c == 0x9 || c == 0xA || c == 0xD ||
	       (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
	       (c >= 0x10000 && c <= 0x10FFFF);
}

/* The UTF-8 sequence at *p (non-ASCII first byte): moves *p past it;
 * false when it is not a valid XML character in valid UTF-8. */
static bool utf8_char(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *s = *p;
	uint32_t c;
	int n;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 1, c = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 2, c = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 3, c = s[0] & 0x07;
	else
		return false;
	if (end - s <= n)
		return false;
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return false;
		c = c << 6 | (s[i] & 0x3F);
	}
	if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) || !xml_char(c))
		return false;   /* overlong, surrogate, or not an XML char */
	*p = s + n + 1;
	return true;
}

static bool hex_digit(unsigned char c, uint32_t *value)
{
	if (c >= '0' && c <= '9')
		*value = *value * 16 + (uint32_t)(c - '0');
	else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		*value = *value * 16 + (uint32_t)((c | 0x20) - 'a' + 10);
	else
		return false;
	return true;
}

/* The reference at *p ('&'): one of XML's five entities or a character
 * reference to an XML character; moves *p past its ';'. */
static bool reference(const unsigned char **p, const unsigned char *end)
{
	static const char *const names[] = { "amp;", "lt;", "gt;", "quot;",
	                                     "apos;" };
	const unsigned char *s = *p + 1;
	uint32_t value = 0;
	int digits = 0;

	if (s < end && *s == '#') {
		bool hex = ++s < end && *s == 'x';
		if (hex)
			s++;
		for (; s < end && *s != ';' && digits < 8; s++, digits++)
			if (hex ? !hex_digit(*s, &value)
			        : !(*s >= '0' && *s <= '9' &&
			            (value = value * 10 + (uint32_t)(*s - '0'), 1)))
				return false;
		if (s >= end || *s != ';' || digits == 0 || !xml_char(value))
			return false;
		*p = s + 1;
		return true;
	}
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		size_t n = strlen(names[i]);
		if ((size_t)(end - s) >= n && memcmp(s, names[i], n) == 0) {
			*p = s + n;
			return true;
		}
	}
	return false;
}

/* Character data, or an attribute value (in_value: no '<'; '>' allowed
 * in both, but not "]]>" in text). */
static bool text(const unsigned char *p, const unsigned char *end,
                 bool in_value)
{
	const unsigned char *start = p;

	while (p < end) {
		if (!special[*p]) {
			p++;
			continue;
		}
		if (*p == '&') {
			if (!reference(&p, end))
				return false;
		} else if (*p >= 0x80) {
			if (!utf8_char(&p, end))
				return false;
		} else if (*p == '>') {
			if (!in_value && p - start >= 2 && p[-1] == ']' &&
			    p[-2] == ']')
				return false;
			p++;
		} else if (*p == '\t' || *p == '\n' || *p == '\r')
			p++;
		else
			return false;   /* a control character, or '<' */
	}
	return true;
}

/* ---- tags ----------------------------------------------------------------- */

static bool name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.';
}

static bool space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A name without a prefix at *p, moved past; its length (0: none). */
static size_t plain_name(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *s = *p;
	size_t length;

	if (s >= end || !name_start(*s))
		return 0;
	while (s < end && name_char(*s))
		s++;
	if (s < end && *s == ':')
		return 0;
	length = (size_t)(s - *p);
	*p = s;
	return length;
}

static bool same(const unsigned char *s, size_t length, const char *word)
{
	return strlen(word) == length && memcmp(s, word, length) == 0;
}

static bool namespace_declaration(const unsigned char *key, size_t length)
{
	return same(key, length, "xmlns") ||
	       (length > 6 && memcmp(key, "xmlns:", 6) == 0);
}

/* An attribute name: plain, or xml:space, or a namespace declaration
 * (on the root only, as libxlsxwriter writes them). */
static bool attribute_name(const sheet_scan *scan, const unsigned char *key,
                           size_t length)
{
	const unsigned char *colon = memchr(key, ':', length);

	if (length == 0 || !name_start(*key))
		return false;
	if (namespace_declaration(key, length) && scan->depth != 0)
		return false;
	if (colon == NULL)
		return true;
	if (same(key, length, "xml:space"))
		return true;
	if (colon != key + 5 || memcmp(key, "xmlns", 5) != 0 ||
	    length == 6 || !name_start(key[6]))
		return false;
	for (size_t i = 7; i < length; i++)
		if (!name_char(key[i]))
			return false;
	return true;
}

/* A namespace name as libxlsxwriter writes them: an absolute URI without
 * spaces or references ("http://..."). */
static bool namespace_uri(const unsigned char *value, size_t length)
{
	size_t i = 0;

	if (length == 0 || !((*value | 0x20) >= 'a' && (*value | 0x20) <= 'z'))
		return false;
	while (i < length && ((value[i] | 0x20) >= 'a' && (value[i] | 0x20) <= 'z'))
		i++;
	if (i == length || value[i] != ':')
		return false;
	for (; i < length; i++)
		if (value[i] <= 0x20 || value[i] >= 0x7f || value[i] == '&' ||
		    value[i] == '"' || value[i] == '\'' || value[i] == '<' ||
		    value[i] == '>')
			return false;
	return true;
}

/* What the rows need of one attribute of element `name`. */
static bool row_attribute(sheet_scan *scan, const unsigned char *name,
                          size_t name_length, const unsigned char *key,
                          size_t key_length, const unsigned char *value,
                          size_t length)
{
	const char *text = (const char *)value;

	if (same(name, name_length, "row") && same(key, key_length, "r"))
		return sheet_rows_row(&scan->rows, text, length);
	if (same(name, name_length, "c") && same(key, key_length, "r"))
		return sheet_rows_cell(&scan->rows, text, length);
	if (same(name, name_length, "dimension") &&
	    same(key, key_length, "ref"))
		sheet_rows_dimension(&scan->rows, text, length);
	return true;
}

/* A start tag's inside: name, attributes, perhaps '/' last. */
static bool start_tag(sheet_scan *scan, const unsigned char *p,
                      const unsigned char *end)
{
	const unsigned char *name = p, *keys[MAX_ATTRIBUTES];
	size_t name_length, key_lengths[MAX_ATTRIBUTES], count = 0;
	bool empty = end > p && end[-1] == '/', saw_r = false;

	if (empty)
		end--;
	if ((name_length = plain_name(&p, end)) == 0 || name_length > MAX_NAME)
		return false;
	if (scan->root_done || (scan->depth == 0 && scan->seen_root))
		return false;   /* a second root */
	while (p < end) {
		const unsigned char *key, *value;
		unsigned char quote;
		size_t key_length;

		if (!space(*p))
			return false;
		while (p < end && space(*p))
			p++;
		if (p == end)
			break;
		key = p;
		while (p < end && (name_char(*p) || *p == ':'))
			p++;
		key_length = (size_t)(p - key);
		if (!attribute_name(scan, key, key_length))
			return false;
		for (size_t i = 0; i < count; i++)
			if (key_lengths[i] == key_length &&
			    memcmp(keys[i], key, key_length) == 0)
				return false;   /* the same attribute twice */
		if (count == MAX_ATTRIBUTES)
			return false;
		keys[count] = key;
		key_lengths[count++] = key_length;
		while (p < end && space(*p))
			p++;
		if (p == end || *p++ != '=')
			return false;
		while (p < end && space(*p))
			p++;
		if (p == end || (*p != '"' && *p != '\''))
			return false;
		quote = *p++;
		value = p;
		while (p < end && *p != quote)
			p++;
		if (p == end || !text(value, p, true))
			return false;
		if (namespace_declaration(key, key_length) &&
		    !namespace_uri(value, (size_t)(p - value)))
			return false;
		if (same(key, key_length, "r"))
			saw_r = true;
		if (!row_attribute(scan, name, name_length, key, key_length,
		                   value, (size_t)(p - value)))
			return false;
		p++;
	}
	if (!saw_r && (same(name, name_length, "row") ||
	               same(name, name_length, "c")))
		return false;
	if (scan->depth == 0)
		scan->seen_root = true;
	if (empty) {
		if (scan->depth == 0)
			scan->root_done = true;
		return true;
	}
	if (scan->depth == MAX_DEPTH)
		return false;
	memcpy(scan->open[scan->depth], name, name_length);
	scan->open[scan->depth++][name_length] = '\0';
	return true;
}

/* An end tag's inside after '/': the name open last, perhaps spaces. */
static bool end_tag(sheet_scan *scan, const unsigned char *p,
                    const unsigned char *end)
{
	const unsigned char *name = p;
	size_t length = plain_name(&p, end);

	while (p < end && space(*p))
		p++;
	if (length == 0 || p != end || scan->depth == 0 ||
	    !same(name, length, scan->open[scan->depth - 1]))
		return false;
	if (--scan->depth == 0)
		scan->root_done = true;
	return true;
}

/* The bytes [p, end), which end with '>' (or are empty). */
static bool scan_region(sheet_scan *scan, const unsigned char *p,
                        const unsigned char *end)
{
	while (p < end) {
		const unsigned char *lt = memchr(p, '<', (size_t)(end - p)), *gt;

		if (lt == NULL)
			lt = end;
		if (lt > p) {           /* character data */
			if (scan->depth == 0) {
				for (; p < lt; p++)
					if (!space(*p))
						return false;
			} else if (!text(p, lt, false))
				return false;
		}
		if (lt == end)
			break;
		gt = memchr(lt, '>', (size_t)(end - lt));
		if (gt == NULL)
			return false;
		p = lt + 1;
		if (*p == '?') {        /* the XML declaration, first only */
			if (scan->seen_root || scan->declared ||
			    !same(p, (size_t)(gt - p), DECLARATION))
				return false;
			scan->declared = true;
		} else if (*p == '/') {
			if (!end_tag(scan, p + 1, gt))
				return false;
		} else if (!start_tag(scan, p, gt))
			return false;
		p = gt + 1;
	}
	return true;
}

bool sheet_scan_feed(sheet_scan *scan, const unsigned char *bytes,
                     size_t length)
{
	const unsigned char *last;
	size_t whole;

	if (scan->bad)
		return false;
	last = length > 0 ? memrchr(bytes, '>', length) : NULL;
	if (last == NULL) {             /* all of it waits for a '>' */
		whole = 0;
	} else {
		whole = (size_t)(last - bytes) + 1;
		if (scan->carry_length > 0) {
			/* the carried bytes and these up to the '>' */
			scan->carry = xgrow(scan->carry, &scan->carry_capacity,
			                    scan->carry_length + whole, 1);
			memcpy(scan->carry + scan->carry_length, bytes, whole);
			scan->bad = !scan_region(scan, scan->carry,
			                         scan->carry + scan->carry_length +
			                         whole);
			scan->carry_length = 0;
		} else
			scan->bad = !scan_region(scan, bytes, bytes + whole);
	}
	if (!scan->bad && length > whole) {
		if (scan->carry_length + (length - whole) > MAX_CARRY)
			scan->bad = true;
		else {
			scan->carry = xgrow(scan->carry, &scan->carry_capacity,
			                    scan->carry_length + length - whole, 1);
			memcpy(scan->carry + scan->carry_length, bytes + whole,
			       length - whole);
			scan->carry_length += length - whole;
		}
	}
	return !scan->bad;
}

bool sheet_scan_end(sheet_scan *scan)
{
	if (scan->bad)
		return false;
	for (size_t i = 0; i < scan->carry_length; i++)
		if (!space(scan->carry[i]))
			return false;   /* text after the root, or a cut tag */
	if (!scan->seen_root || !scan->root_done || scan->depth != 0)
		return false;
	return sheet_rows_end(&scan->rows);
}
