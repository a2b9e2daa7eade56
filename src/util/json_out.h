/* A small JSON writer into a growing buffer: enough for run.json.  Keys and
 * strings are escaped per RFC 8259; numbers are integers or fixed
 * decimals; output is deterministic (fields in the order written). */
#ifndef MANDATE_JSON_OUT_H
#define MANDATE_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct json_out {
	char *data;
	size_t length, capacity;
	int depth;
	bool need_comma;
} json_out;

void json_object_begin(json_out *j, const char *key);   /* key NULL: value */
void json_object_end(json_out *j);
void json_array_begin(json_out *j, const char *key);
void json_array_end(json_out *j);
void json_string(json_out *j, const char *key, const char *value);
void json_int(json_out *j, const char *key, int64_t value);
/* value with 3 decimals (seconds to the millisecond). */
void json_seconds(json_out *j, const char *key, double value);
void json_bool(json_out *j, const char *key, bool value);
void json_free(json_out *j);

#endif
