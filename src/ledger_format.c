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
 * line ledger, so this is its inner loop.  PLAIN: a byte that stands for
 * itself inside quotes (printable ASCII but the quote and backslash). */
enum { BARE = 1, LOWER = 2, KEY_TAIL = 4, PLAIN = 8 };
static const unsigned char char_class[256] = {
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 8,  8,  0,  8,  8,  8,  8,  8,  8,  8,  8,  9,  8,  9,  9,  9,  /* + - . / */
	13, 13, 13, 13, 13, 13, 13, 13, 13, 13,  9,  8,  8,  8,  8,  8,  /* 0-9 : */
	 9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  /* @ A-O */
	 9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  9,  8,  0,  8,  8, 13,  /* P-Z _ */
	 8, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,  /* a-o */
	15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,  8,  8,  8,  8,  0,  /* p-z */
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
 * PARSE_OK after any other piece; PARSE_SHORT means the bytes ran out where
 * the grammar wanted more (an error for a line, fine for a prefix). */
enum { PARSE_DONE = 1, PARSE_OK = 0, PARSE_BAD = -1, PARSE_SHORT = -2 };

/* The functions below copy ps->p and ps->end into locals around their
 * loops: the bytes they store (through char pointers, which may alias
 * anything) would otherwise make the compiler reload them at every byte. */
typedef struct parser {
	const unsigned char *start, *p, *end;
	record *rec;
	char *out;              /* next free byte of rec->storage */
	bool build;             /* record the fields (else only check them) */
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
	const unsigned char *p = ps->p, *end = ps->end;
	uint64_t seq = 0;

	if (p == end)
		return short_line(ps, "empty line");
	if (*p < '1' || *p > '9')
		return bad(ps, p, "sequence number expected");
	while (p < end && *p >= '0' && *p <= '9') {
		if (seq > ((uint64_t)INT64_MAX - 9) / 10)
			return bad(ps, p, "sequence number too large");
		seq = seq * 10 + (uint64_t)(*p++ - '0');
	}
	if (p == end)
		return short_line(ps, "missing record type");
	if (*p != ' ')
		return bad(ps, p, "unexpected byte 0x%02x in sequence number", *p);
	ps->rec->seq = seq;
	ps->p = p + 1;
	return PARSE_OK;
}

static int parse_type(parser *ps)
{
	const unsigned char *word = ps->p, *p = word, *end = ps->end;

	while (p < end && is_lower(*p))
		p++;
	ps->p = p;
	if (p == end)
		return short_line(ps, "missing h= field");
	if (p == word)
		return bad(ps, p, "record type expected");
	if (ps->build) {
		ps->rec->type = ps->out;
		memcpy(ps->out, word, (size_t)(p - word));
		ps->out += p - word;
		*ps->out++ = '\0';
	}
	return parse_space(ps, "the record type");
}

#ifdef __SSE2__
#include <emmintrin.h>

/* 0xff in the bytes of c within [low, low + span], 0 in the others. */
static inline __m128i in_range(__m128i c, char low, char span)
{
	__m128i top = _mm_set1_epi8(span);

	return _mm_cmpeq_epi8(_mm_max_epu8(_mm_sub_epi8(c, _mm_set1_epi8(low)),
	                                   top), top);
}

/* 16 digits at a time: their values ('a' & 0xf is 1, hence the 9 for
 * letters), then in each 16-bit lane its two digits (the high one in the
 * low byte) as one byte. */
static inline __m128i hex_pairs(__m128i c, __m128i letter)
{
	__m128i v = _mm_add_epi8(_mm_and_si128(c, _mm_set1_epi8(0x0f)),
	                         _mm_and_si128(letter, _mm_set1_epi8(9)));

	return _mm_or_si128(_mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0xff)),
	                                   4),
	                    _mm_srli_epi16(v, 8));
}

/* 16 bytes at a time: a verify reads a million hashes. */
bool ledger_hash_parse(const char *restrict hex,
                       unsigned char *restrict hash)
{
	__m128i c0 = _mm_loadu_si128((const __m128i *)hex);
	__m128i c1 = _mm_loadu_si128((const __m128i *)(hex + 16));
	__m128i c2 = _mm_loadu_si128((const __m128i *)(hex + 32));
	__m128i c3 = _mm_loadu_si128((const __m128i *)(hex + 48));
	__m128i l0 = in_range(c0, 'a', 'f' - 'a');
	__m128i l1 = in_range(c1, 'a', 'f' - 'a');
	__m128i l2 = in_range(c2, 'a', 'f' - 'a');
	__m128i l3 = in_range(c3, 'a', 'f' - 'a');
	__m128i valid = _mm_and_si128(
		_mm_and_si128(_mm_or_si128(l0, in_range(c0, '0', 9)),
		              _mm_or_si128(l1, in_range(c1, '0', 9))),
		_mm_and_si128(_mm_or_si128(l2, in_range(c2, '0', 9)),
		              _mm_or_si128(l3, in_range(c3, '0', 9))));

	if (_mm_movemask_epi8(valid) != 0xffff)
		return false;
	_mm_storeu_si128((__m128i *)hash,
	                 _mm_packus_epi16(hex_pairs(c0, l0), hex_pairs(c1, l1)));
	_mm_storeu_si128((__m128i *)(hash + 16),
	                 _mm_packus_epi16(hex_pairs(c2, l2), hex_pairs(c3, l3)));
	return true;
}
#else
/* Plain arithmetic, no table: the compiler turns both loops into a few
 * vector instructions. */
bool ledger_hash_parse(const char *restrict hex,
                       unsigned char *restrict hash)
{
	const unsigned char *p = (const unsigned char *)hex;
	unsigned char wrong = 0;

	for (size_t i = 0; i < 2 * LEDGER_HASH_SIZE; i++)
		wrong |= (unsigned char)((unsigned char)(p[i] - '0') > 9
		                         && (unsigned char)(p[i] - 'a') > 5);
	if (wrong)
		return false;
	/* '0'-'9' are 0x30-0x39, 'a'-'f' 0x61-0x66: the low nibble, plus 9
	 * for letters (bit 6). */
	for (size_t i = 0; i < LEDGER_HASH_SIZE; i++) {
		unsigned hi = p[2 * i], lo = p[2 * i + 1];

		hash[i] = (unsigned char)(((hi & 0xf) + 9 * (hi >> 6)) << 4
		                          | ((lo & 0xf) + 9 * (lo >> 6)));
	}
	return true;
}
#endif

static int parse_hash(parser *ps, const unsigned char *field)
{
	const unsigned char *p = ps->p, *end = ps->end;
	unsigned char *hash = ps->rec->hash;

	if (end - p == 2 * LEDGER_HASH_SIZE
	    && ledger_hash_parse((const char *)p, hash)) {
		ps->p = end;
		ps->rec->body_length = (size_t)(field - 1 - ps->start);
		return PARSE_DONE;
	}
	/* Byte by byte, to say where it goes wrong. */
	for (size_t i = 0; i < LEDGER_HASH_SIZE; i++, p += 2) {
		unsigned hi, lo;

		if (end - p < 2) {
			if (p < end && hex_table[p[0]] == 0)
				return bad(ps, p, "hash is not 64 lowercase hex digits");
			return short_line(ps, "hash too short");
		}
		hi = hex_table[p[0]];
		lo = hex_table[p[1]];
		if ((hi & lo & 0x10) == 0)
			return bad(ps, p + (hi == 0 ? 0 : 1),
			           "hash is not 64 lowercase hex digits");
		hash[i] = (unsigned char)((hi & 0xf) << 4 | (lo & 0xf));
	}
	if (p != end)
		return bad(ps, p, "unexpected bytes after the hash");
	ps->p = p;
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

/* Decodes a quoted value into rec->storage (also when only checking: the
 * canonical-spelling checks look at the decoded bytes). */
static int parse_quoted(parser *ps, record_field *field)
{
	const unsigned char *open = ps->p, *p = open + 1, *end = ps->end;
	unsigned char *value = (unsigned char *)ps->out, *out = value;
	unsigned classes = BARE;        /* BARE while every byte is bare */
	bool high_escape = false;
	size_t length;

	for (;;) {
		unsigned char c, byte_class;
		int run;

		while (p < end && ((byte_class = char_class[*p]) & PLAIN)) {
			classes &= byte_class;
			*out++ = *p++;
		}
		if (p == end)
			return short_line(ps, "unterminated quoted value");
		c = *p;
		if (c == '"')
			break;
		if (c == '\\') {
			int hi, lo;

			if (end - p < 2)
				return short_line(ps, "unterminated quoted value");
			switch (p[1]) {
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'x':
				if (end - p < 4)
					return short_line(ps, "unterminated quoted value");
				hi = hex_value(p[2]);
				lo = hex_value(p[3]);
				if (hi < 0 || lo < 0)
					return bad(ps, p, "bad \\x escape");
				c = (unsigned char)(hi << 4 | lo);
				if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t'
				    || c == '\r')
					return bad(ps, p, "needless escape \\x%02x", c);
				high_escape |= c >= 0x80;
				p += 2;
				break;
			default:
				return bad(ps, p, "unknown escape");
			}
			p += 2;
			*out++ = c;
			classes = 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return bad(ps, p, "control byte 0x%02x in quoted value", c);
		run = utf8_sequence(p, (size_t)(end - p));
		if (run < 0)
			return short_line(ps, "unterminated quoted value");
		if (run == 0)
			return bad(ps, p, "invalid UTF-8");
		memcpy(out, p, (size_t)run);
		out += run;
		p += run;
		classes = 0;
	}
	length = (size_t)(out - value);
	if ((classes & BARE) && length > 0)
		return bad(ps, open, "needlessly quoted value");
	if (high_escape && !high_escapes_canonical(open, value, length))
		return bad(ps, open, "escaped UTF-8 should be written as is");
	ps->p = p + 1;          /* past the closing quote */
	field->value = (char *)value;
	field->value_length = length;
	if (ps->build) {
		*out++ = '\0';
		ps->out = (char *)out;
	}
	return PARSE_OK;
}

static int parse_bare(parser *ps, record_field *field)
{
	const unsigned char *value = ps->p, *p = value, *end = ps->end;

	while (p < end && is_bare(*p))
		p++;
	ps->p = p;
	if (p == value)
		return bad(ps, p, "unexpected byte 0x%02x at start of value", *p);
	field->value_length = (size_t)(p - value);
	if (ps->build) {
		field->value = ps->out;
		memcpy(ps->out, value, field->value_length);
		ps->out += field->value_length;
		*ps->out++ = '\0';
	}
	return PARSE_OK;
}

static int parse_field(parser *ps)
{
	const unsigned char *key = ps->p, *p = key, *end = ps->end;
	record *rec = ps->rec;
	record_field scratch = {0}, *field = &scratch;
	size_t key_length;
	int status;

	if (p == end)
		return short_line(ps, "missing h= field");
	if (!is_lower(*p))
		return bad(ps, p, "field name expected");
	p++;
	while (p < end && is_key_tail(*p))
		p++;
	if (p == end)
		return short_line(ps, "missing h= field");
	if (*p != '=')
		return bad(ps, p, "unexpected byte 0x%02x in field name", *p);
	key_length = (size_t)(p - key);
	ps->p = ++p;
	if (key_length == 1 && key[0] == 'h')
		return parse_hash(ps, key);

	if (ps->build) {
		rec->fields = xgrow(rec->fields, &rec->field_capacity,
		                    rec->field_count + 1, sizeof *rec->fields);
		field = &rec->fields[rec->field_count];
		field->key = ps->out;
		memcpy(ps->out, key, key_length);
		ps->out += key_length;
		*ps->out++ = '\0';
	}
	if (p == end)
		return short_line(ps, "missing h= field");
	if (*p == '"')
		status = parse_quoted(ps, field);
	else
		status = parse_bare(ps, field);
	if (status != PARSE_OK)
		return status;
	if (ps->build)
		rec->field_count++;
	return parse_space(ps, "a value");
}

static int parse(const char *line, size_t length, record *rec, bool build)
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
	ps.build = build;

	if ((status = parse_seq(&ps)) != PARSE_OK
	    || (status = parse_type(&ps)) != PARSE_OK)
		return status;
	while ((status = parse_field(&ps)) == PARSE_OK)
		;
	return status == PARSE_DONE ? PARSE_OK : status;
}

int record_parse(const char *line, size_t length, record *out)
{
	return parse(line, length, out, true) == PARSE_OK ? 0 : -1;
}

int record_check(const char *line, size_t length, record *out)
{
	return parse(line, length, out, false) == PARSE_OK ? 0 : -1;
}

bool record_parse_prefix(const char *line, size_t length, record *out)
{
	return parse(line, length, out, true) != PARSE_BAD;
}

const char *record_next(const record *rec, const char *key, size_t *index)
{
	for (size_t i = *index; i < rec->field_count; i++) {
		/* most keys differ at their first byte */
		if (rec->fields[i].key[0] == key[0] &&
		    strcmp(rec->fields[i].key, key) == 0) {
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

/* "-?(0|[1-9][0-9]*)" within int64_t: the way record_add_int writes. */
static bool parse_int(const char *text, size_t length, int64_t *out)
{
	bool negative = length > 0 && text[0] == '-';
	size_t i = negative;
	uint64_t value = 0;
	uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	if (i == length || text[i] < '0' || text[i] > '9'
	    || (text[i] == '0' && (negative || i + 1 != length)))
		return false;
	for (; i < length; i++) {
		unsigned digit;

		if (text[i] < '0' || text[i] > '9')
			return false;
		digit = (unsigned)(text[i] - '0');
		if (value > (limit - digit) / 10)
			return false;
		value = value * 10 + digit;
	}
	*out = negative && value > 0 ? -(int64_t)(value - 1) - 1 : (int64_t)value;
	return true;
}

bool record_get_int(const record *rec, const char *key, int64_t *out)
{
	size_t index = 0;
	const char *text = record_next(rec, key, &index);

	if (text == NULL)
		return false;
	return parse_int(text, rec->fields[index - 1].value_length, out);
}

/* ---- Viewing ----------------------------------------------------------- *
 * The line is known to be valid: these functions only find their way. */

void record_view_init(record_view *view, const char *line,
                      size_t body_length)
{
	const char *p = line, *end = line + body_length;
	uint64_t seq = 0;

	view->line = line;
	while (*p != ' ')
		seq = seq * 10 + (uint64_t)(*p++ - '0');
	view->seq = seq;
	view->type = ++p;
	while (p < end && *p != ' ')
		p++;
	view->type_length = (size_t)(p - view->type);
	view->fields = p < end ? p + 1 : end;
	view->end = end;
}

bool record_view_next(const record_view *view, const char **cursor,
                      record_view_field *field)
{
	const char *p = *cursor, *end = view->end;

	if (p >= end)
		return false;
	field->key = p;
	while (*p != '=')
		p++;
	field->key_length = (size_t)(p - field->key);
	field->raw = ++p;
	if (*p == '"') {
		for (p++; *p != '"'; p++)
			if (*p == '\\')
				p++;            /* \x: its digits are no quote */
		p++;
	} else {
		while (p < end && *p != ' ')
			p++;
	}
	field->raw_length = (size_t)(p - field->raw);
	*cursor = p < end ? p + 1 : end;
	return true;
}

bool record_view_find(const record_view *view, const char *key,
                      record_view_field *field)
{
	const char *cursor = view->fields;
	size_t length = strlen(key);

	while (record_view_next(view, &cursor, field))
		if (field->key_length == length
		    && memcmp(field->key, key, length) == 0)
			return true;
	return false;
}

size_t record_view_value(const record_view_field *field, char *out,
                         size_t capacity)
{
	const unsigned char *p = (const unsigned char *)field->raw;
	const unsigned char *end = p + field->raw_length;
	size_t length = 0;

	if (*p != '"') {
		length = field->raw_length < capacity ? field->raw_length
		                                      : capacity - 1;
		memcpy(out, p, length);
		out[length] = '\0';
		return field->raw_length;
	}
	for (p++, end--; p < end; length++) {
		unsigned char c = *p++;

		if (c == '\\') {
			switch (c = *p++) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'x':
				c = (unsigned char)(hex_value(p[0]) << 4 | hex_value(p[1]));
				p += 2;
				break;
			default: break;     /* \" and \\ */
			}
		}
		if (length + 1 < capacity)
			out[length] = (char)c;
	}
	out[length < capacity ? length : capacity - 1] = '\0';
	return length;
}

bool record_view_int(const record_view_field *field, int64_t *out)
{
	/* A quoted value is never an integer: one would be written bare. */
	if (field->raw[0] == '"')
		return false;
	return parse_int(field->raw, field->raw_length, out);
}
