/* One ledger line: building it and parsing it back.  See mandate-ledger(5).
 *
 *     <seq> <type> <key>=<value> ... h=<64 lowercase hex>\n
 *
 * The *body* of a line is everything before " h=": the hash field is
 * SHA-256(previous record's hash || body).  This module knows the syntax
 * only; sequence numbers, the chain and batch framing are ledger_store's.
 *
 * Values are byte strings.  The builder picks the one canonical spelling of
 * each value (bare when it can, quoted with escapes otherwise) and the parser
 * accepts nothing else, so parsing a line and building it again gives the
 * same bytes. */
#ifndef MANDATE_LEDGER_FORMAT_H
#define MANDATE_LEDGER_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LEDGER_HASH_SIZE 32
/* No line (newline included) may be longer than this: the reader refuses
 * it, the store refuses to write it. */
#define LEDGER_LINE_MAX (64u * 1024 * 1024)

/* ---- Building ---------------------------------------------------------
 * A record_builder holds the *text* of a record: "type k=v k=v", without
 * the sequence number and hash that ledger_append() adds.  Zero-initialise
 * it (or record_builder_init) and reuse it; record_builder_free releases
 * the buffer.  Types must match [a-z]+ and keys [a-z][a-z0-9_]* (and not
 * be "h"): anything else is a bug in the caller and aborts. */
typedef struct record_builder {
	char *data;
	size_t length;
	size_t capacity;
	size_t type_length;     /* data[0..type_length) is the type */
} record_builder;

void record_builder_init(record_builder *rb);
void record_builder_free(record_builder *rb);
/* Starts a new record (discarding any previous text). */
void record_begin(record_builder *rb, const char *type);
/* Adds key=value; value is a NUL-terminated string / length bytes. */
void record_add_str(record_builder *rb, const char *key, const char *value);
void record_add_mem(record_builder *rb, const char *key, const char *value,
                    size_t length);
void record_add_int(record_builder *rb, const char *key, int64_t value);
/* The text built so far ("type k=v ...", not NUL-terminated). */
const char *record_builder_text(const record_builder *rb, size_t *length);
/* Whether the record being built has type `type`. */
bool record_builder_is(const record_builder *rb, const char *type);

/* ---- Parsing ----------------------------------------------------------- */
typedef struct record_field {
	const char *key;        /* NUL-terminated */
	const char *value;      /* unescaped, NUL-terminated; value_length bytes
	                           (a value written with \x00 holds a NUL) */
	size_t value_length;
} record_field;

/* A parsed record.  All strings are owned by the record and stay valid
 * until the next record_parse into it or record_free, so one record can be
 * reused line after line without allocating again.  Zero-initialise it
 * (or record_init) before the first use. */
typedef struct record {
	uint64_t seq;
	const char *type;
	record_field *fields;   /* in line order; keys may repeat */
	size_t field_count;
	unsigned char hash[LEDGER_HASH_SIZE];   /* the h= field, decoded */
	size_t body_length;     /* bytes of the line before " h=" */
	char error[128];        /* why record_parse failed */

	/* private */
	char *storage;
	size_t storage_capacity;
	size_t field_capacity;
} record;

void record_init(record *rec);
void record_free(record *rec);

/* Parses one line: `length` bytes without the newline (line need not be
 * NUL-terminated, and nothing past length is read).  Returns 0, or -1 with
 * rec->error set ("unterminated quoted value at column 17").  Checks syntax
 * only: not the hash chain. */
int record_parse(const char *line, size_t length, record *out);
/* Whether `length` bytes could be the beginning of a valid line (what a
 * crash in the middle of a write leaves).  A complete line counts too.  On
 * false, rec->error says why. */
bool record_parse_prefix(const char *line, size_t length, record *out);

/* Checks one line exactly as record_parse does (same verdict, same
 * error) without recording the fields: on success sets out->seq, out->hash
 * and out->body_length, leaves out->type "" and out->field_count 0.  For
 * readers that only need the syntax checked and look at a few fields
 * through a record_view. */
int record_check(const char *line, size_t length, record *out);

/* Value of the first field named key, or NULL. */
const char *record_get(const record *rec, const char *key);
/* Iterates over repeated keys: returns the value of the first field named
 * key at index >= *index and moves *index past it; NULL when none is left.
 *     size_t i = 0; const char *v;
 *     while ((v = record_next(rec, "clause", &i)) != NULL) ...            */
const char *record_next(const record *rec, const char *key, size_t *index);
/* The first field named key as an integer ("-?(0|[1-9][0-9]*)", in range,
 * the way record_add_int writes it).  Returns false when it is missing or
 * not such an integer. */
bool record_get_int(const record *rec, const char *key, int64_t *out);

/* ---- Viewing a checked line ------------------------------------------
 * A look into a line that record_check or record_parse accepted, without
 * copying it: the sequence number and type at once, fields on demand.
 * Only valid lines may be viewed (nothing is checked again); a view points
 * into the line and lives as long as it does. */
typedef struct record_view {
	const char *line;       /* where the line starts */
	uint64_t seq;
	const char *type;       /* type_length bytes, not NUL-terminated */
	size_t type_length;
	const char *fields;     /* the first key, or end when there is none */
	const char *end;        /* end of the body (where " h=" starts) */
} record_view;

/* A field as written: raw is the value's spelling (bare, or quoted with
 * its quotes and escapes). */
typedef struct record_view_field {
	const char *key;
	size_t key_length;
	const char *raw;
	size_t raw_length;
} record_view_field;

/* Views a valid line given its body_length (the line up to " h="). */
void record_view_init(record_view *view, const char *line,
                      size_t body_length);
/* Whether the line's type is `type` (inline: verify asks a million
 * times). */
static inline bool record_view_is(const record_view *view, const char *type)
{
	size_t length = strlen(type);

	return view->type_length == length
	    && memcmp(view->type, type, length) == 0;
}
/* Steps through the fields in line order: start with *cursor =
 * view->fields; false when none is left. */
bool record_view_next(const record_view *view, const char **cursor,
                      record_view_field *field);
/* The first field named key; false when there is none. */
bool record_view_find(const record_view *view, const char *key,
                      record_view_field *field);
/* Decodes the value: writes at most capacity - 1 of its bytes and a NUL
 * to out (capacity >= 1) and returns its whole decoded length. */
size_t record_view_value(const record_view_field *field, char *out,
                         size_t capacity);
/* The value as an integer, with the rules of record_get_int. */
bool record_view_int(const record_view_field *field, int64_t *out);

/* Reads the 64 lowercase hex digits at hex (an h= field) into hash.
 * Returns false, hash unchanged, when the 64 bytes are anything else. */
bool ledger_hash_parse(const char *restrict hex,
                       unsigned char *restrict hash);

/* Lowercase hex of a hash into out (2 * LEDGER_HASH_SIZE + 1 bytes). */
void ledger_hash_hex(const unsigned char hash[LEDGER_HASH_SIZE],
                     char out[2 * LEDGER_HASH_SIZE + 1]);

#endif
