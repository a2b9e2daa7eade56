/* Tests for src/ledger_format.c: awkward values survive a round trip byte
 * for byte, every malformed line is refused with its reason word for word,
 * and no input (cut short, mutated at random) makes the parser read past
 * the line or accept a spelling the builder would not write. */
#include "tap.h"
#include "ledger_format.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H0 "0000000000000000000000000000000000000000000000000000000000000000"

/* Value -> the exact spelling the builder must choose. */
static const struct {
	const char *value;
	size_t length;          /* 0: strlen */
	const char *spelled;
} values[] = {
	{"abc", 0, "abc"},
	{"ORD-2026.001", 0, "ORD-2026.001"},
	{"a:b+c@d/e_f", 0, "a:b+c@d/e_f"},
	{"", 0, "\"\""},
	{"two words", 0, "\"two words\""},
	{"say \"hi\"", 0, "\"say \\\"hi\\\"\""},
	{"C:\\dir\\", 0, "\"C:\\\\dir\\\\\""},
	{"line 1\nline 2", 0, "\"line 1\\nline 2\""},
	{"a\tb\rc", 0, "\"a\\tb\\rc\""},
	{"\x01\x1f\x7f", 0, "\"\\x01\\x1f\\x7f\""},
	{"nul\0inside", 10, "\"nul\\x00inside\""},
	{"\xd0\x9e\xd0\x9e\xd0\x9e \xc2\xab\xd0\xa0\xd0\xbe\xd0\xbc"
	 "\xd0\xb0\xd1\x88\xd0\xba\xd0\xb0\xc2\xbb", 0,
	 "\"\xd0\x9e\xd0\x9e\xd0\x9e \xc2\xab\xd0\xa0\xd0\xbe\xd0\xbc"
	 "\xd0\xb0\xd1\x88\xd0\xba\xd0\xb0\xc2\xbb\""},      /* ООО «Ромашка» */
	{"\xd0\x9a", 0, "\"\xd0\x9a\""},                   /* К: no bare UTF-8 */
	{"a=b", 0, "\"a=b\""},
	{"k=v h=" H0, 0, "\"k=v h=" H0 "\""},
	{"=", 0, "\"=\""},
	{"'#;%&*", 0, "\"'#;%&*\""},
	{"\xff\xfe", 0, "\"\\xff\\xfe\""},                 /* not UTF-8 */
	{"\xd0", 0, "\"\\xd0\""},                          /* cut sequence */
	{"\xd0\xd0\xb0", 0, "\"\\xd0\xd0\xb0\""},          /* bad, then а */
	{"\xed\xa0\x80", 0, "\"\\xed\\xa0\\x80\""},        /* surrogate */
	{"\xc0\xaf", 0, "\"\\xc0\\xaf\""},                 /* overlong '/' */
	{"\xf4\x90\x80\x80", 0, "\"\\xf4\\x90\\x80\\x80\""}, /* > U+10FFFF */
	{"\xf0\x9f\x98\x80", 0, "\"\xf0\x9f\x98\x80\""},   /* emoji */
	{" ", 0, "\" \""},
	{"\"", 0, "\"\\\"\""},
};
#define VALUE_COUNT (sizeof values / sizeof values[0])

/* A line the parser must refuse, and why (word for word). */
static const struct {
	const char *line;
	size_t length;          /* 0: strlen */
	const char *error;
} malformed[] = {
	{"", 0, "empty line"},
	{"1", 0, "missing record type"},
	{"1 t", 0, "missing h= field"},
	{"1 t k=v", 0, "missing h= field"},
	{"1 t k=v ", 0, "missing h= field"},
	{"1 t h=" H0 "0", 0, "unexpected bytes after the hash at column 71"},
	{"1 t h=" "000000000000000000000000000000000000000000000000000000000000000",
	 0, "hash too short"},
	{"1 t h=A" "00000000000000000000000000000000000000000000000000000000000000"
	 "0", 0, "hash is not 64 lowercase hex digits at column 7"},
	{"1 t h= " H0, 0, "hash is not 64 lowercase hex digits at column 7"},
	{"1 t k=v h=" H0 "\r", 0,
	 "unexpected bytes after the hash at column 75"},
	{"1 t h=" H0 " k=v", 0, "unexpected bytes after the hash at column 71"},
	{"0 t h=" H0, 0, "sequence number expected at column 1"},
	{"01 t h=" H0, 0, "sequence number expected at column 1"},
	{"-1 t h=" H0, 0, "sequence number expected at column 1"},
	{" 1 t h=" H0, 0, "sequence number expected at column 1"},
	{"1a t h=" H0, 0, "unexpected byte 0x61 in sequence number at column 2"},
	{"99999999999999999999 t h=" H0, 0,
	 "sequence number too large at column 19"},
	{"1  t h=" H0, 0, "record type expected at column 3"},
	{"1 T h=" H0, 0, "record type expected at column 3"},
	{"1 tT h=" H0, 0, "unexpected byte 0x54 after the record type at column 4"},
	{"1 t K=v h=" H0, 0, "field name expected at column 5"},
	{"1 t kA=v h=" H0, 0, "unexpected byte 0x41 in field name at column 6"},
	{"1 t _k=v h=" H0, 0, "field name expected at column 5"},
	{"1 t k h=" H0, 0, "unexpected byte 0x20 in field name at column 6"},
	{"1 t k=v  h=" H0, 0, "field name expected at column 9"},
	{"1 t k= h=" H0, 0, "unexpected byte 0x20 at start of value at column 7"},
	{"1 t k=a\"b\" h=" H0, 0, "unexpected byte 0x22 after a value at column 8"},
	{"1 t k=\"a b\"x h=" H0, 0,
	 "unexpected byte 0x78 after a value at column 12"},
	{"1 t k=v\tj=w h=" H0, 0, "unexpected byte 0x09 after a value at column 8"},
	{"1 t k=v\0 h=" H0, 11 + 64,
	 "unexpected byte 0x00 after a value at column 8"},
	{"1 t k=\xd0\xb0 h=" H0, 0,
	 "unexpected byte 0xd0 at start of value at column 7"},
	{"1 t k=ab\xd0\xb0 h=" H0, 0,
	 "unexpected byte 0xd0 after a value at column 9"},
	{"1 t k=\"abc h=" H0, 0, "unterminated quoted value"},
	{"1 t k=\"abc\\", 0, "unterminated quoted value"},
	{"1 t k=\"\\q\" h=" H0, 0, "unknown escape at column 8"},
	{"1 t k=\"\\X01\" h=" H0, 0, "unknown escape at column 8"},
	{"1 t k=\"\\x4g\" h=" H0, 0, "bad \\x escape at column 8"},
	{"1 t k=\"\\x0A\" h=" H0, 0, "bad \\x escape at column 8"},
	{"1 t k=\"\\x41 \" h=" H0, 0, "needless escape \\x41 at column 8"},
	{"1 t k=\"\\x0a\" h=" H0, 0, "needless escape \\x0a at column 8"},
	{"1 t k=\"\\xd0\\xb0\" h=" H0, 0,
	 "escaped UTF-8 should be written as is at column 7"},
	{"1 t k=\"abc\" h=" H0, 0, "needlessly quoted value at column 7"},
	{"1 t k=\"a\tb\" h=" H0, 0,
	 "control byte 0x09 in quoted value at column 9"},
	{"1 t k=\"a\x7f\" h=" H0, 0,
	 "control byte 0x7f in quoted value at column 9"},
	{"1 t k=\"\xff\" h=" H0, 0, "invalid UTF-8 at column 8"},
	{"1 t k=\"\xed\xa0\x80\" h=" H0, 0, "invalid UTF-8 at column 8"},
	{"1 t k=\"\xc0\xaf\" h=" H0, 0, "invalid UTF-8 at column 8"},
	{"1 t k=\"\xd0 \" h=" H0, 0, "invalid UTF-8 at column 8"},
	{"1 t k=\"\xb0\" h=" H0, 0, "invalid UTF-8 at column 8"},
};
#define MALFORMED_COUNT (sizeof malformed / sizeof malformed[0])

/* Parses length bytes copied into a buffer of exactly that size, so ASan
 * catches any read past the end. */
static int parse_exact(const char *line, size_t length, record *rec)
{
	char *copy = malloc(length > 0 ? length : 1);
	int status;

	memcpy(copy, line, length);
	status = record_parse(copy, length, rec);
	free(copy);
	return status;
}

static bool prefix_exact(const char *line, size_t length, record *rec)
{
	char *copy = malloc(length > 0 ? length : 1);
	bool status;

	memcpy(copy, line, length);
	status = record_parse_prefix(copy, length, rec);
	free(copy);
	return status;
}

static int check_exact(const char *line, size_t length, record *rec)
{
	char *copy = malloc(length > 0 ? length : 1);
	int status;

	memcpy(copy, line, length);
	status = record_check(copy, length, rec);
	free(copy);
	return status;
}

/* Does a view of a good line see what record_parse found: the seq, the
 * type, each field in order (record_view_next), the first of each name
 * (record_view_find), and integers as record_get_int reads them? */
static bool view_agrees(const char *line, const record *parsed)
{
	char *copy = malloc(parsed->body_length + 1);
	char value[512];
	record_view view;
	record_view_field field;
	const char *cursor;
	size_t i = 0;
	bool same;

	/* A copy of the body alone: ASan sees any read past it. */
	memcpy(copy, line, parsed->body_length);
	record_view_init(&view, copy, parsed->body_length);
	cursor = view.fields;
	same = view.seq == parsed->seq
	    && view.type_length == strlen(parsed->type)
	    && memcmp(view.type, parsed->type, view.type_length) == 0
	    && record_view_is(&view, parsed->type);
	for (; same && record_view_next(&view, &cursor, &field); i++) {
		const record_field *f = &parsed->fields[i];
		size_t length = record_view_value(&field, value, sizeof value);

		same = i < parsed->field_count
		    && field.key_length == strlen(f->key)
		    && memcmp(field.key, f->key, field.key_length) == 0
		    && length == f->value_length
		    && (length >= sizeof value
		        || memcmp(value, f->value, length + 1) == 0);
	}
	same = same && i == parsed->field_count;
	for (i = 0; same && i < parsed->field_count; i++) {
		const char *key = parsed->fields[i].key;
		int64_t a = 0, b = 0;
		bool ia, ib;

		same = record_view_find(&view, key, &field);
		record_view_value(&field, value, sizeof value);
		same = same && strcmp(value, record_get(parsed, key)) == 0;
		ia = record_view_int(&field, &a);
		ib = record_get_int(parsed, key, &b);
		same = same && ia == ib && a == b;
	}
	same = same && !record_view_find(&view, "absent", &field);
	free(copy);
	return same;
}

/* record_check must say what record_parse says (verdict, reason, seq,
 * hash, body), and a view of a good line must see what it parsed.
 * Returns false (with a diag) on any difference. */
static bool check_agrees(const char *line, size_t length)
{
	record parsed = {0}, checked = {0};
	int parse_status = parse_exact(line, length, &parsed);
	int check_status = check_exact(line, length, &checked);
	bool same = parse_status == check_status
	         && strcmp(parsed.error, checked.error) == 0;

	if (same && parse_status == 0)
		same = checked.seq == parsed.seq
		    && checked.body_length == parsed.body_length
		    && memcmp(checked.hash, parsed.hash, LEDGER_HASH_SIZE) == 0
		    && checked.field_count == 0
		    && view_agrees(line, &parsed);
	if (!same)
		diag("record_check or a view disagrees with record_parse on "
		     "\"%.*s\": \"%s\" / \"%s\"", (int)length, line,
		     parsed.error, checked.error);
	record_free(&parsed);
	record_free(&checked);
	return same;
}

/* "SEQ TEXT h=HEX" for a builder's text. */
static char *line_of(uint64_t seq, const record_builder *rb,
                     const unsigned char hash[LEDGER_HASH_SIZE], size_t *length)
{
	size_t text_length;
	const char *text = record_builder_text(rb, &text_length);
	char hex[2 * LEDGER_HASH_SIZE + 1];
	char *line = malloc(text_length + 128);
	int n;

	ledger_hash_hex(hash, hex);
	n = sprintf(line, "%llu ", (unsigned long long)seq);
	memcpy(line + n, text, text_length);
	n += (int)text_length;
	n += sprintf(line + n, " h=%s", hex);
	*length = (size_t)n;
	return line;
}

/* Builds the record again from what was parsed. */
static char *rebuild(const record *rec, size_t *length)
{
	record_builder rb = {0};
	char *line;

	record_begin(&rb, rec->type);
	for (size_t i = 0; i < rec->field_count; i++)
		record_add_mem(&rb, rec->fields[i].key, rec->fields[i].value,
		               rec->fields[i].value_length);
	line = line_of(rec->seq, &rb, rec->hash, length);
	record_builder_free(&rb);
	return line;
}

static void test_values(void)
{
	record_builder rb = {0};
	record rec = {0};
	unsigned char zero[LEDGER_HASH_SIZE] = {0};
	size_t spelled_ok = 0, round_ok = 0, agree = 0;

	for (size_t i = 0; i < VALUE_COUNT; i++) {
		size_t length = values[i].length != 0 ? values[i].length
		                                      : strlen(values[i].value);
		size_t text_length, line_length;
		const char *text;
		char *want, *line;

		record_begin(&rb, "order");
		record_add_mem(&rb, "v", values[i].value, length);
		text = record_builder_text(&rb, &text_length);
		want = malloc(strlen(values[i].spelled) + 16);
		sprintf(want, "order v=%s", values[i].spelled);
		if (text_length == strlen(want)
		    && memcmp(text, want, text_length) == 0)
			spelled_ok++;
		else
			diag("value %zu spelled %.*s, wanted %s", i,
			     (int)text_length, text, want);
		free(want);

		line = line_of(7, &rb, zero, &line_length);
		if (parse_exact(line, line_length, &rec) == 0
		    && rec.field_count == 1 && strcmp(rec.fields[0].key, "v") == 0
		    && rec.fields[0].value_length == length
		    && memcmp(rec.fields[0].value, values[i].value, length) == 0
		    && rec.fields[0].value[length] == '\0')
			round_ok++;
		else
			diag("value %zu does not survive: %s", i, rec.error);
		agree += check_agrees(line, line_length);
		free(line);
	}
	is_int(VALUE_COUNT, spelled_ok, "every value gets its canonical spelling");
	is_int(VALUE_COUNT, round_ok, "every value survives a round trip");
	is_int(VALUE_COUNT, agree, "record_check accepts them and views see "
	       "every value");
	record_builder_free(&rb);
	record_free(&rec);
}

static void test_fields(void)
{
	record_builder rb;
	record rec;
	unsigned char hash[LEDGER_HASH_SIZE];
	size_t length, index = 0;
	char *line;
	const char *v;
	int64_t n = 0;

	record_builder_init(&rb);
	record_init(&rec);
	for (size_t i = 0; i < LEDGER_HASH_SIZE; i++)
		hash[i] = (unsigned char)(i * 7 + 3);
	record_begin(&rb, "order");
	record_add_str(&rb, "id", "ORD-1");
	record_add_str(&rb, "clause", "first");
	record_add_int(&rb, "n", INT64_MIN);
	record_add_str(&rb, "clause", "second one");
	record_add_int(&rb, "m", INT64_MAX);
	record_add_str(&rb, "clause", "");
	record_add_int(&rb, "z", 0);
	record_add_int(&rb, "neg", -42);
	ok(record_builder_is(&rb, "order") && !record_builder_is(&rb, "orde")
	   && !record_builder_is(&rb, "orders"), "record_builder_is");
	line = line_of(123456789, &rb, hash, &length);
	is_string("123456789 order id=ORD-1 clause=first n=-9223372036854775808 "
	          "clause=\"second one\" m=9223372036854775807 clause=\"\" z=0 "
	          "neg=-42 h=030a11181f262d343b424950575e656c737a81888f969da4abb2"
	          "b9c0c7ced5dc", line, "the line as written");
	is_int(0, parse_exact(line, length, &rec), "it parses");
	is_int(123456789, (long long)rec.seq, "seq");
	is_string("order", rec.type, "type");
	is_int(8, (long long)rec.field_count, "eight fields");
	ok(memcmp(rec.hash, hash, LEDGER_HASH_SIZE) == 0, "hash decoded");
	is_int((long long)(length - 3 - 64), (long long)rec.body_length,
	       "body ends before \" h=\"");
	is_string("ORD-1", record_get(&rec, "id"), "record_get");
	ok(record_get(&rec, "missing") == NULL, "record_get of a missing key");
	is_string("first", record_get(&rec, "clause"), "record_get: first match");
	v = record_next(&rec, "clause", &index);
	is_string("first", v, "record_next 1");
	v = record_next(&rec, "clause", &index);
	is_string("second one", v, "record_next 2");
	v = record_next(&rec, "clause", &index);
	is_string("", v, "record_next 3");
	ok(record_next(&rec, "clause", &index) == NULL, "record_next: no more");
	ok(record_get_int(&rec, "n", &n) && n == INT64_MIN, "INT64_MIN");
	ok(record_get_int(&rec, "m", &n) && n == INT64_MAX, "INT64_MAX");
	ok(record_get_int(&rec, "z", &n) && n == 0, "zero");
	ok(record_get_int(&rec, "neg", &n) && n == -42, "negative");
	ok(!record_get_int(&rec, "id", &n), "not an integer");
	ok(!record_get_int(&rec, "nope", &n), "missing integer");
	ok(check_agrees(line, length), "record_check and a view agree on it");
	free(line);
	record_builder_free(&rb);
	record_free(&rec);
}

static void test_bad_integers(void)
{
	static const char *bad[] = {
		"01", "-0", "+1", "1a", "", "-", "9223372036854775808",
		"-9223372036854775809", "99999999999999999999", "1.0", " 1",
	};
	record_builder rb = {0};
	record rec = {0};
	unsigned char zero[LEDGER_HASH_SIZE] = {0};
	size_t refused = 0, length;
	int64_t n;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *line;

		record_begin(&rb, "t");
		record_add_str(&rb, "n", bad[i]);
		line = line_of(1, &rb, zero, &length);
		if (parse_exact(line, length, &rec) == 0
		    && !record_get_int(&rec, "n", &n) && check_agrees(line, length))
			refused++;
		else
			diag("integer \"%s\" accepted", bad[i]);
		free(line);
	}
	is_int(sizeof bad / sizeof bad[0], refused,
	       "non-canonical integers refused, by views too");
	record_builder_free(&rb);
	record_free(&rec);
}

static void test_malformed(void)
{
	record rec = {0};
	size_t right = 0, agree = 0;

	for (size_t i = 0; i < MALFORMED_COUNT; i++) {
		size_t length = malformed[i].length != 0 ? malformed[i].length
		                                         : strlen(malformed[i].line);

		agree += check_agrees(malformed[i].line, length);

		if (parse_exact(malformed[i].line, length, &rec) == 0)
			diag("malformed line %zu accepted", i);
		else if (strcmp(rec.error, malformed[i].error) != 0)
			diag("malformed line %zu: wanted \"%s\", got \"%s\"", i,
			     malformed[i].error, rec.error);
		else
			right++;
	}
	is_int(MALFORMED_COUNT, right, "malformed lines refused, reasons exact");
	is_int(MALFORMED_COUNT, agree, "record_check refuses them word for word");
	record_free(&rec);
}

/* Every prefix of a good line could be a line cut by a crash; a good line
 * with any byte added is not. */
static void test_prefixes(void)
{
	static const char line[] =
		"42 order id=\"a \\\"b\\\"\\x01 \xd0\x96\" n=-5 h=" H0;
	size_t length = sizeof line - 1, wrong = 0;
	record rec = {0};
	char *longer = malloc(length + 1);

	for (size_t cut = 0; cut <= length; cut++) {
		if (!prefix_exact(line, cut, &rec)) {
			diag("prefix of %zu bytes refused: %s", cut, rec.error);
			wrong++;
		}
		wrong += !check_agrees(line, cut);
	}
	is_int(0, wrong, "every prefix of a good line is a possible prefix "
	       "(and record_check agrees on each)");
	memcpy(longer, line, length);
	wrong = 0;
	for (int c = 0; c < 256; c++) {
		longer[length] = (char)c;
		if (prefix_exact(longer, length + 1, &rec))
			wrong++;
	}
	is_int(0, wrong, "no byte after the hash makes a possible prefix");
	ok(!prefix_exact("42 Order", 8, &rec), "a bad start is no prefix");
	ok(prefix_exact(line, length - 1, &rec)
	   && !prefix_exact("1 t h=" "00000000000000000000000000000000"
	                    "0000000000000000000000000000000g", 70, &rec),
	   "a bad last hash digit is no prefix");
	ok(!prefix_exact("42 order k=\"\\q", 15, &rec), "a bad escape is no prefix");
	ok(prefix_exact("42 order k=\"\xd0", 13, &rec),
	   "a cut UTF-8 sequence is a prefix");
	free(longer);
	record_free(&rec);
}

/* xorshift: the same mutations every run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Random mutations of good lines: whatever parses must be exactly what the
 * builder writes for the parsed record (one spelling per record). */
static void test_mutations(void)
{
	static const char *seeds[] = {
		"1 begin batch=B-1 file=\"batch 1.xml\" sha256=" H0 " h=" H0,
		"2 order id=ORD-1 title=\"\xd0\x9e\xd0\x9e\xd0\x9e \\\"x\\\"\" "
		"n=-5 clause=\"\" clause=a h=" H0,
		"3 note text=\"a\\nb\\tc\\r\\\\\\x01\\x7f\\xff\" h=" H0,
		"4 commit batch=B-1 records=2 h=" H0,
	};
	static const char alphabet[] = " =\"\\xhn0123456789abcdefAZ.-\t\n\x80"
	                               "\xd0\xb0\xff";
	record rec = {0};
	size_t accepted = 0, mismatched = 0, disagree = 0;
	char buf[512];

	for (int round = 0; round < 100000; round++) {
		const char *seed = seeds[rng() % 4];
		size_t length = strlen(seed), edits = 1 + rng() % 3, rebuilt_length;
		char *rebuilt;

		memcpy(buf, seed, length);
		for (size_t e = 0; e < edits; e++) {
			size_t at = (size_t)(rng() % (length + 1));
			int op = (int)(rng() % 4);
			char c = (rng() & 1) ? (char)rng()
			       : alphabet[rng() % (sizeof alphabet - 1)];

			if (op == 0 && at < length)
				buf[at] = c;                              /* replace */
			else if (op == 1 && length < sizeof buf - 1) {
				memmove(buf + at + 1, buf + at, length - at);
				buf[at] = c;                              /* insert */
				length++;
			} else if (op == 2 && at < length) {
				memmove(buf + at, buf + at + 1, length - at - 1);
				length--;                                 /* delete */
			} else
				length = at;                              /* cut */
		}
		(void)prefix_exact(buf, length, &rec);
		if (!check_agrees(buf, length) && disagree++ >= 5)
			break;
		if (parse_exact(buf, length, &rec) != 0)
			continue;
		accepted++;
		rebuilt = rebuild(&rec, &rebuilt_length);
		if (rebuilt_length != length || memcmp(rebuilt, buf, length) != 0) {
			if (mismatched++ < 5)
				diag("accepted %.*s\n rebuilt %s", (int)length, buf,
				     rebuilt);
		}
		free(rebuilt);
	}
	diag("%zu of 100000 mutated lines parsed", accepted);
	ok(accepted > 1000, "some mutations still parse");
	is_int(0, mismatched, "every line that parses is in canonical form");
	is_int(0, disagree, "record_check and views agree with record_parse on "
	       "every mutation");
	record_free(&rec);
}

static void test_hash_parse(void)
{
	static const char good[] = "0123456789abcdef00ff10e0"
	                           "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5";
	unsigned char hash[LEDGER_HASH_SIZE], before[LEDGER_HASH_SIZE];
	char hex[2 * LEDGER_HASH_SIZE + 1], text[2 * LEDGER_HASH_SIZE];
	size_t wrong = 0;

	ok(ledger_hash_parse(good, hash), "64 lowercase hex digits");
	ledger_hash_hex(hash, hex);
	is_string(good, hex, "read back as written");
	/* Every byte value at every position: only [0-9a-f] is a digit. */
	memset(before, 0x5a, sizeof before);
	for (size_t at = 0; at < sizeof text; at++)
		for (int c = 0; c < 256; c++) {
			bool digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');

			memcpy(text, good, sizeof text);
			text[at] = (char)c;
			memcpy(hash, before, sizeof hash);
			if (ledger_hash_parse(text, hash) != digit
			    || (!digit && memcmp(hash, before, sizeof hash) != 0))
				wrong++;
			else if (digit) {
				ledger_hash_hex(hash, hex);
				wrong += memcmp(hex, text, sizeof text) != 0;
			}
		}
	is_int(0, wrong, "anything but a lowercase hex digit is refused, "
	       "anywhere, leaving the hash alone");
}

static void test_view_values(void)
{
	static const char line[] = "9 t a=\"x\\\"y\\\\z\\n\\x00\xd0\x96\" "
	                           "b=bare c=\"\" n=-12 q=12a "
	                           "h=" H0;
	record rec = {0};
	record_view view;
	record_view_field field;
	char out[8];
	int64_t n = 0;

	if (parse_exact(line, sizeof line - 1, &rec) != 0)
		bail("view line does not parse: %s", rec.error);
	record_view_init(&view, line, rec.body_length);
	ok(record_view_find(&view, "a", &field)
	   && record_view_value(&field, out, sizeof out) == 9
	   && memcmp(out, "x\"y\\z\n\0\0", 8) == 0,
	   "a quoted value decodes, cut to the buffer, with its whole length");
	ok(record_view_value(&field, out, 1) == 9 && out[0] == '\0',
	   "a buffer of one byte gets the NUL only");
	ok(record_view_find(&view, "b", &field)
	   && record_view_value(&field, out, 3) == 4 && strcmp(out, "ba") == 0,
	   "a bare value cut to the buffer");
	ok(record_view_find(&view, "c", &field)
	   && record_view_value(&field, out, sizeof out) == 0 && out[0] == '\0',
	   "the empty value");
	ok(record_view_find(&view, "n", &field) && record_view_int(&field, &n)
	   && n == -12, "an integer");
	ok(record_view_find(&view, "q", &field)
	   && !record_view_int(&field, &n) && n == -12, "12a is no integer");
	ok(!record_view_is(&view, "tt") && record_view_is(&view, "t")
	   && !record_view_is(&view, ""), "record_view_is");
	record_free(&rec);
}

int main(void)
{
	plan(3 + 22 + 1 + 2 + 6 + 3 + 3 + 7);
	test_values();
	test_fields();
	test_bad_integers();
	test_malformed();
	test_prefixes();
	test_mutations();
	test_hash_parse();
	test_view_values();
	return tap_done();
}
