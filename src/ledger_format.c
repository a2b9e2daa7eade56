/* The ledger line syntax; see ledger_format.h and mandate-ledger(5).
 *
 * Every value has exactly one spelling (bare when non-empty and made of
 * [A-Za-z0-9._:+@/-] only, otherwise quoted with the fewest escapes), and
 * the parser refuses any other spelling, so a line that parses is the line
 * the builder would write for the same record. */
#include "ledger_format.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static const char hex_digits[] = "0123456789abcdef";

/* Byte classes, by table: the parser looks at every byte of a 1,000,000
 * line ledger, so this is its inner loop. */
enum { BARE = 1, LOWER = 2, KEY_TAIL = 4 };
static const unsigned char char_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1,     /* + - . / */
	5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 1, 0, 0, 0, 0, 0,     /* 0-9 : */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* @ A-O */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 5,     /* P-Z _ */
	0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,     /* a-o */
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0, 0, 0, 0,     /* p-z */
};

/* Lowercase hex digits: 0x10 | value; anything else 0. */
static const unsigned char hex_table[256] = {
	['0'] = 0x10, ['1'] = 0x11, ['2'] = 0x12, ['3'] = 0x13, ['4'] = 0x14,
	['5'] = 0x15, ['6'] = 0x16, ['7'] = 0x17, ['8'] = 0x18, ['9'] = 0x19,
	['a'] = 0x1a, ['b'] = 0x1b, ['c'] = 0x1c, ['d'] = 0x1d, ['e'] = 0x1e,
	['f'] = 0x1f,
};

/* Bytes a bare value may hold: [A-Za-z0-9._:+@/-]. */
static bool is_bare(unsigned char c)
{
	return char_class[c] & BARE;
}

static bool is_lower(unsigned char c)
{
	return char_class[c] & LOWER;
}

/* [a-z0-9_] */
static bool is_key_tail(unsigned char c)
{
	return char_class[c] & KEY_TAIL;
}

static int hex_value(unsigned char c)
{
	return hex_table[c] != 0 ? hex_table[c] & 0xf : -1;
}

/* Length (2..4) of the well-formed UTF-8 sequence at s (Unicode table 3-7:
 * no overlong forms, no surrogates, nothing above U+10FFFF); 0 when the
 * bytes cannot start one; -1 when the n bytes are a valid but incomplete
 * start of one. */
static int utf8_sequence(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int need, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	for (i = 1; i < need; i++) {
		if ((size_t)i >= n)
			return -1;
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

void ledger_hash_hex(const unsigned char hash[LEDGER_HASH_SIZE],
                     char out[2 * LEDGER_HASH_SIZE + 1])
{
	for (size_t i = 0; i < LEDGER_HASH_SIZE; i++) {
		out[2 * i] = hex_digits[hash[i] >> 4];
		out[2 * i + 1] = hex_digits[hash[i] & 0xf];
	}
	out[2 * LEDGER_HASH_SIZE] = '\0';
}

/* ---- Building ---------------------------------------------------------- */

void record_builder_init(record_builder *rb)
{
	memset(rb, 0, sizeof *rb);
}

void record_builder_free(record_builder *rb)
{
	free(rb->data);
	record_builder_init(rb);
}

static _Noreturn void builder_bug(const char *what, const char *word)
{
	fprintf(stderr, "mandate: internal error: bad ledger record %s \"%s\"\n",
	        what, word);
	abort();
}

static void reserve(record_builder *rb, size_t more)
{
	if (more > SIZE_MAX - rb->length - 1)
		builder_bug("size", "");
	rb->data = xgrow(rb->data, &rb->capacity, rb->length + more + 1, 1);
}

void record_begin(record_builder *rb, const char *type)
{
	size_t length = strlen(type);

	if (length == 0)
		builder_bug("type", type);
	for (size_t i = 0; i < length; i++)
		if (!is_lower((unsigned char)type[i]))
			builder_bug("type", type);
	rb->length = 0;
	reserve(rb, length);
	memcpy(rb->data, type, length);
	rb->length = rb->type_length = length;
}

static void add_key(record_builder *rb, const char *key)
{
	size_t length = strlen(key);

	if (rb->type_length == 0)
		builder_bug("field before record_begin, key", key);
	if (length == 0 || !is_lower((unsigned char)key[0])
	    || strcmp(key, "h") == 0)
		builder_bug("key", key);
	for (size_t i = 1; i < length; i++)
		if (!is_key_tail((unsigned char)key[i]))
			builder_bug("key", key);
	reserve(rb, length + 2);
	rb->data[rb->length++] = ' ';
	memcpy(rb->data + rb->length, key, length);
	rb->length += length;
	rb->data[rb->length++] = '=';
}

void record_add_mem(record_builder *rb, const char *key, const char *value,
                    size_t length)
{
	const unsigned char *v = (const unsigned char *)value;
	bool bare = length > 0;
	char *out;

	add_key(rb, key);
	for (size_t i = 0; i < length && bare; i++)
		bare = is_bare(v[i]);
	if (bare) {
		reserve(rb, length);
		memcpy(rb->data + rb->length, value, length);
		rb->length += length;
		return;
	}
	if (length > (SIZE_MAX - 2) / 4)
		builder_bug("value size", key);
	reserve(rb, 4 * length + 2);
	out = rb->data + rb->length;
	*out++ = '"';
	for (size_t i = 0; i < length; i++) {
		unsigned char c = v[i];
		int run;

		switch (c) {
		case '"': *out++ = '\\'; *out++ = '"'; continue;
		case '\\': *out++ = '\\'; *out++ = '\\'; continue;
		case '\n': *out++ = '\\'; *out++ = 'n'; continue;
		case '\t': *out++ = '\\'; *out++ = 't'; continue;
		case '\r': *out++ = '\\'; *out++ = 'r'; continue;
		default: break;
		}
		if (c >= 0x20 && c < 0x7f) {
			*out++ = (char)c;
			continue;
		}
		run = c >= 0x80 ? utf8_sequence(v + i, length - i) : 0;
		if (run > 0) {
			memcpy(out, v + i, (size_t)run);
			out += run;
			i += (size_t)run - 1;
			continue;
		}
		*out++ = '\\';
		*out++ = 'x';
		*out++ = hex_digits[c >> 4];
		*out++ = hex_digits[c & 0xf];
	}
	*out++ = '"';
	rb->length = (size_t)(out - rb->data);
}

void record_add_str(record_builder *rb, const char *key, const char *value)
{
	record_add_mem(rb, key, value, strlen(value));
}

void record_add_int(record_builder *rb, const char *key, int64_t value)
{
	char text[24];
	int length = snprintf(text, sizeof text, "%" PRId64, value);

	record_add_mem(rb, key, text, (size_t)length);
}

const char *record_builder_text(const record_builder *rb, size_t *length)
{
	*length = rb->length;
	return rb->data != NULL ? rb->data : "";
}

bool record_builder_is(const record_builder *rb, const char *type)
{
	size_t length = strlen(type);

	return rb->type_length == length
	    && memcmp(rb->data, type, length) == 0;
}

/* ---- Parsing ----------------------------------------------------------- */

void record_init(record *rec)
{
	memset(rec, 0, sizeof *rec);
}

void record_free(record *rec)
{
	free(rec->storage);
	free(rec->fields);
	record_init(rec);
}

/* Parse results: PARSE_DONE when the hash (the last field) has been read,
 * PARSE_OK after any other piece; PARSE_SHORT means the bytes ran out where the grammar
 * wanted more (an error for a line, fine for a prefix). */
enum { PARSE_DONE = 1, PARSE_OK = 0, PARSE_BAD = -1, PARSE_SHORT = -2 };

typedef struct parser {
	const unsigned char *start, *p, *end;
	record *rec;
	char *out;              /* next free byte of rec->storage */
} parser;

static int bad(parser *ps, const unsigned char *at, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets the error "<message> at column N" (columns count bytes from 1). */
static int bad(parser *ps, const unsigned char *at, const char *format, ...)
{
	va_list args;
	size_t used;
	char *error = ps->rec->error;

	va_start(args, format);
	vsnprintf(error, sizeof ps->rec->error, format, args);
	va_end(args);
	used = strlen(error);
	snprintf(error + used, sizeof ps->rec->error - used, " at column %zu",
	         (size_t)(at - ps->start) + 1);
	return PARSE_BAD;
}

static int short_line(parser *ps, const char *what)
{
	snprintf(ps->rec->error, sizeof ps->rec->error, "%s", what);
	return PARSE_SHORT;
}

static int parse_space(parser *ps, const char *after)
{
	if (ps->p == ps->end)
		return short_line(ps, "missing h= field");
	if (*ps->p != ' ')
		return bad(ps, ps->p, "unexpected byte 0x%02x after %s", *ps->p,
		           after);
	ps->p++;
	return PARSE_OK;
}

static int parse_seq(parser *ps)
{
	uint64_t seq = 0;

	if (ps->p == ps->end)
		return short_line(ps, "empty line");
	if (*ps->p < '1' || *ps->p > '9')
		return bad(ps, ps->p, "sequence number expected");
	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
		if (seq > ((uint64_t)INT64_MAX - 9) / 10)
			return bad(ps, ps->p, "sequence number too large");
		seq = seq * 10 + (uint64_t)(*ps->p++ - '0');
	}
	if (ps->p == ps->end)
		return short_line(ps, "missing record type");
	if (*ps->p != ' ')
		return bad(ps, ps->p, "unexpected byte 0x%02x in sequence number",
		           *ps->p);
	ps->rec->seq = seq;
	ps->p++;
	return PARSE_OK;
}

static int parse_type(parser *ps)
{
	const unsigned char *word = ps->p;

	while (ps->p < ps->end && is_lower(*ps->p))
		ps->p++;
	if (ps->p == ps->end)
		return short_line(ps, "missing h= field");
	if (ps->p == word)
		return bad(ps, ps->p, "record type expected");
	ps->rec->type = ps->out;
	memcpy(ps->out, word, (size_t)(ps->p - word));
	ps->out += ps->p - word;
	*ps->out++ = '\0';
	return parse_space(ps, "the record type");
}

static int parse_hash(parser *ps, const unsigned char *field)
{
	unsigned char *hash = ps->rec->hash;

	for (size_t i = 0; i < LEDGER_HASH_SIZE; i++) {
		unsigned hi, lo;

		if (ps->end - ps->p < 2) {
			if (ps->p < ps->end && hex_table[ps->p[0]] == 0)
				return bad(ps, ps->p,
				           "hash is not 64 lowercase hex digits");
			return short_line(ps, "hash too short");
		}
		hi = hex_table[ps->p[0]];
		lo = hex_table[ps->p[1]];
		if ((hi & lo & 0x10) == 0)
			return bad(ps, ps->p + (hi == 0 ? 0 : 1),
			           "hash is not 64 lowercase hex digits");
		hash[i] = (unsigned char)((hi & 0xf) << 4 | (lo & 0xf));
		ps->p += 2;
	}
	if (ps->p != ps->end)
		return bad(ps, ps->p, "unexpected bytes after the hash");
	ps->rec->body_length = (size_t)(field - 1 - ps->start);
	return PARSE_DONE;
}

/* Is the decoded value the canonical spelling of itself?  Only escaped bytes
 * >= 0x80 need this look: an escape is canonical only when the byte does
 * not start a well-formed UTF-8 sequence in the decoded value. */
static bool high_escapes_canonical(const unsigned char *src,
                                   const unsigned char *value, size_t length)
{
	size_t i = 0;

	src++;                  /* the opening quote */
	while (i < length) {
		if (*src == '\\') {
			if (src[1] == 'x' && value[i] >= 0x80
			    && utf8_sequence(value + i, length - i) > 0)
				return false;
			src += src[1] == 'x' ? 4 : 2;
			i++;
		} else {
			src++;
			i++;
		}
	}
	return true;
}

static int parse_quoted(parser *ps, record_field *field)
{
	const unsigned char *open = ps->p;
	unsigned char *out = (unsigned char *)ps->out;
	bool bare = true, high_escape = false;

	field->value = ps->out;
	ps->p++;
	for (;;) {
		unsigned char c;
		int run;

		if (ps->p == ps->end)
			return short_line(ps, "unterminated quoted value");
		c = *ps->p;
		if (c == '"')
			break;
		if (c == '\\') {
			int hi, lo;

			if (ps->end - ps->p < 2)
				return short_line(ps, "unterminated quoted value");
			switch (ps->p[1]) {
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'x':
				if (ps->end - ps->p < 4)
					return short_line(ps, "unterminated quoted value");
				hi = hex_value(ps->p[2]);
				lo = hex_value(ps->p[3]);
				if (hi < 0 || lo < 0)
					return bad(ps, ps->p, "bad \\x escape");
				c = (unsigned char)(hi << 4 | lo);
				if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t'
				    || c == '\r')
					return bad(ps, ps->p, "needless escape \\x%02x", c);
				high_escape |= c >= 0x80;
				ps->p += 2;
				break;
			default:
				return bad(ps, ps->p, "unknown escape");
			}
			ps->p += 2;
			*out++ = c;
			bare = false;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return bad(ps, ps->p, "control byte 0x%02x in quoted value", c);
		if (c < 0x80) {
			bare &= is_bare(c);
			*out++ = c;
			ps->p++;
			continue;
		}
		run = utf8_sequence(ps->p, (size_t)(ps->end - ps->p));
		if (run < 0)
			return short_line(ps, "unterminated quoted value");
		if (run == 0)
			return bad(ps, ps->p, "invalid UTF-8");
		memcpy(out, ps->p, (size_t)run);
		out += run;
		ps->p += run;
		bare = false;
	}
	field->value_length = (size_t)(out - (unsigned char *)ps->out);
	if (bare && field->value_length > 0)
		return bad(ps, open, "needlessly quoted value");
	if (high_escape
	    && !high_escapes_canonical(open, (unsigned char *)ps->out,
	                               field->value_length))
		return bad(ps, open, "escaped UTF-8 should be written as is");
	ps->p++;                /* the closing quote */
	*out++ = '\0';
	ps->out = (char *)out;
	return PARSE_OK;
}

static int parse_bare(parser *ps, record_field *field)
{
	const unsigned char *value = ps->p;

	while (ps->p < ps->end && is_bare(*ps->p))
		ps->p++;
	if (ps->p == value)
		return bad(ps, ps->p, "unexpected byte 0x%02x at start of value",
		           *ps->p);
	field->value = ps->out;
	field->value_length = (size_t)(ps->p - value);
	memcpy(ps->out, value, field->value_length);
	ps->out += field->value_length;
	*ps->out++ = '\0';
	return PARSE_OK;
}

static int parse_field(parser *ps)
{
	const unsigned char *key = ps->p;
	record *rec = ps->rec;
	record_field *field;
	int status;

	if (ps->p == ps->end)
		return short_line(ps, "missing h= field");
	if (!is_lower(*ps->p))
		return bad(ps, ps->p, "field name expected");
	ps->p++;
	while (ps->p < ps->end && is_key_tail(*ps->p))
		ps->p++;
	if (ps->p == ps->end)
		return short_line(ps, "missing h= field");
	if (*ps->p != '=')
		return bad(ps, ps->p, "unexpected byte 0x%02x in field name",
		           *ps->p);
	ps->p++;
	if (ps->p - key == 2 && key[0] == 'h')
		return parse_hash(ps, key);

	rec->fields = xgrow(rec->fields, &rec->field_capacity,
	                    rec->field_count + 1, sizeof *rec->fields);
	field = &rec->fields[rec->field_count];
	field->key = ps->out;
	memcpy(ps->out, key, (size_t)(ps->p - 1 - key));
	ps->out += ps->p - 1 - key;
	*ps->out++ = '\0';
	if (ps->p == ps->end)
		return short_line(ps, "missing h= field");
	if (*ps->p == '"')
		status = parse_quoted(ps, field);
	else
		status = parse_bare(ps, field);
	if (status != PARSE_OK)
		return status;
	rec->field_count++;
	return parse_space(ps, "a value");
}

static int parse(const char *line, size_t length, record *rec)
{
	parser ps;
	int status;

	/* Decoded, NUL-terminated keys and values never take more room than
	 * the encoded line: each "k=v " becomes "k\0v\0". */
	rec->storage = xgrow(rec->storage, &rec->storage_capacity, length + 2, 1);
	rec->seq = 0;
	rec->type = "";
	rec->field_count = 0;
	rec->body_length = 0;
	rec->error[0] = '\0';
	ps.start = ps.p = (const unsigned char *)line;
	ps.end = ps.start + length;
	ps.rec = rec;
	ps.out = rec->storage;

	if ((status = parse_seq(&ps)) != PARSE_OK
	    || (status = parse_type(&ps)) != PARSE_OK)
		return status;
	while ((status = parse_field(&ps)) == PARSE_OK)
		;
	return status == PARSE_DONE ? PARSE_OK : status;
}

int record_parse(const char *line, size_t length, record *out)
{
	return parse(line, length, out) == PARSE_OK ? 0 : -1;
}

bool record_parse_prefix(const char *line, size_t length, record *out)
{
	return parse(line, length, out) != PARSE_BAD;
}

const char *record_next(const record *rec, const char *key, size_t *index)
{
	for (size_t i = *index; i < rec->field_count; i++) {
		if (strcmp(rec->fields[i].key, key) == 0) {
			*index = i + 1;
			return rec->fields[i].value;
		}
	}
	*index = rec->field_count;
	return NULL;
}

const char *record_get(const record *rec, const char *key)
{
	size_t index = 0;

	return record_next(rec, key, &index);
}

bool record_get_int(const record *rec, const char *key, int64_t *out)
{
	size_t index = 0;
	const char *text = record_next(rec, key, &index);
	const char *p;
	bool negative;
	uint64_t value = 0, limit;

	if (text == NULL)
		return false;
	p = text;
	negative = *p == '-';
	p += negative;
	limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] != '\0')
	    || (negative && *p == '0'))
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (value > (limit - digit) / 10)
			return false;
		value = value * 10 + digit;
	}
	if ((size_t)(p - text) != rec->fields[index - 1].value_length)
		return false;
	*out = negative && value > 0 ? -(int64_t)(value - 1) - 1 : (int64_t)value;
	return true;
}
