/* JSON writer; see json_out.h. */
#include "util/json_out.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static void put(json_out *j, const char *text, size_t length)
{
	j->data = xgrow(j->data, &j->capacity, j->length + length + 1, 1);
	memcpy(j->data + j->length, text, length);
	j->length += length;
	j->data[j->length] = '\0';
}

static void puts_(json_out *j, const char *text)
{
	put(j, text, strlen(text));
}

static void newline(json_out *j)
{
	put(j, "\n", 1);
	for (int i = 0; i < j->depth; i++)
		put(j, "  ", 2);
}

static void quoted(json_out *j, const char *text)
{
	char escape[8];

	put(j, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '"' || *p == '\\') {
			escape[0] = '\\';
			escape[1] = (char)*p;
			put(j, escape, 2);
		} else if (*p == '\n') {
			put(j, "\\n", 2);
		} else if (*p == '\t') {
			put(j, "\\t", 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(escape, sizeof escape, "\\u%04x", *p);
			puts_(j, escape);
		} else {
			put(j, (const char *)p, 1);
		}
	}
	put(j, "\"", 1);
}

/* Comma, new line and key before a value. */
static void start_value(json_out *j, const char *key)
{
	if (j->need_comma)
		put(j, ",", 1);
	if (j->depth > 0)
		newline(j);
	if (key != NULL) {
		quoted(j, key);
		put(j, ": ", 2);
	}
	j->need_comma = true;
}

static void open_(json_out *j, const char *key, const char *bracket)
{
	start_value(j, key);
	puts_(j, bracket);
	j->depth++;
	j->need_comma = false;
}

static void close_(json_out *j, const char *bracket)
{
	bool empty = !j->need_comma;
	j->depth--;
	if (!empty)
		newline(j);
	puts_(j, bracket);
	j->need_comma = true;
	if (j->depth == 0)
		put(j, "\n", 1);
}

void json_object_begin(json_out *j, const char *key) { open_(j, key, "{"); }
void json_object_end(json_out *j) { close_(j, "}"); }
void json_array_begin(json_out *j, const char *key) { open_(j, key, "["); }
void json_array_end(json_out *j) { close_(j, "]"); }

void json_string(json_out *j, const char *key, const char *value)
{
	start_value(j, key);
	if (value == NULL)
		puts_(j, "null");
	else
		quoted(j, value);
}

void json_int(json_out *j, const char *key, int64_t value)
{
	char text[32];
	start_value(j, key);
	snprintf(text, sizeof text, "%" PRId64, value);
	puts_(j, text);
}

void json_seconds(json_out *j, const char *key, double value)
{
	char text[48];
	start_value(j, key);
	snprintf(text, sizeof text, "%.3f", value);
	puts_(j, text);
}

void json_bool(json_out *j, const char *key, bool value)
{
	start_value(j, key);
	puts_(j, value ? "true" : "false");
}

void json_free(json_out *j)
{
	free(j->data);
	memset(j, 0, sizeof *j);
}
