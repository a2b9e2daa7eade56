/* The one diagnostic printer; see diag.h. */
#include "util/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Set once by the main thread before any other thread starts. */
static const char *program = "mandate";
static diag_verbosity verbosity = DIAG_NORMAL;
static FILE *stream;

/* Per thread: a reader thread counts, captures and defers on its own. */
static _Thread_local size_t error_count;
static _Thread_local bool capturing;
static _Thread_local char *capture;
static _Thread_local size_t capture_length, capture_capacity;

struct deferred_message {
	diag_level level;
	char *text;            /* "FILE:LINE: error: message\n" */
};

struct diag_deferred {
	struct deferred_message *items;
	size_t count, capacity;
};

static _Thread_local diag_deferred *deferring;

void diag_set_program(const char *name)
{
	program = name;
}

void diag_set_verbosity(diag_verbosity value)
{
	verbosity = value;
}

diag_verbosity diag_get_verbosity(void)
{
	return verbosity;
}

void diag_set_stream(FILE *value)
{
	stream = value;
}

FILE *diag_get_stream(void)
{
	return stream;
}

size_t diag_error_count(void)
{
	return error_count;
}

void diag_reset_count(void)
{
	error_count = 0;
}

static const char *level_name(diag_level level)
{
	switch (level) {
	case DIAG_ERROR:
		return "error";
	case DIAG_WARNING:
		return "warning";
	case DIAG_NOTE:
		break;
	}
	return "note";
}

static void capture_append(const char *text)
{
	size_t length = strlen(text);

	capture = xgrow(capture, &capture_capacity, capture_length + length + 1, 1);
	memcpy(capture + capture_length, text, length + 1);
	capture_length += length;
}

static void defer(diag_level level, const char *full)
{
	struct deferred_message *item;

	deferring->items = xgrow(deferring->items, &deferring->capacity,
	                         deferring->count + 1, sizeof *deferring->items);
	item = &deferring->items[deferring->count++];
	item->level = level;
	item->text = xstrdup(full);
}

/* Captures and prints one formatted line (or keeps it, when deferring). */
static void emit_line(diag_level level, const char *full)
{
	if (deferring != NULL) {
		defer(level, full);
		return;
	}
	if (capturing && level != DIAG_NOTE)
		capture_append(full);
	if (level == DIAG_ERROR || verbosity >= DIAG_NORMAL) {
		FILE *out = stream != NULL ? stream : stderr;
		fprintf(out, "%s: %s", program, full);
		fflush(out);
	}
}

static void emit(diag_level level, const char *file, long line,
                 const char *format, va_list args)
	__attribute__((format(printf, 4, 0)));

static void emit(diag_level level, const char *file, long line,
                 const char *format, va_list args)
{
	char where[4096 + 32] = "";
	char message[8192];
	char full[sizeof where + sizeof message + 16];

	if (file != NULL && line > 0)
		snprintf(where, sizeof where, "%s:%ld: ", file, line);
	else if (file != NULL)
		snprintf(where, sizeof where, "%s: ", file);
	vsnprintf(message, sizeof message, format, args);
	snprintf(full, sizeof full, "%s%s: %s\n", where, level_name(level),
	         message);
	/* Counted where reported (also when deferred), not when replayed. */
	if (level == DIAG_ERROR)
		error_count++;
	emit_line(level, full);
}

void diag_defer_begin(void)
{
	if (deferring == NULL)
		deferring = xcalloc(1, sizeof *deferring);
}

diag_deferred *diag_defer_end(void)
{
	diag_deferred *list = deferring;

	deferring = NULL;
	return list != NULL ? list : xcalloc(1, sizeof *list);
}

void diag_replay(diag_deferred *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->count; i++) {
		emit_line(list->items[i].level, list->items[i].text);
		free(list->items[i].text);
	}
	free(list->items);
	free(list);
}

void diag_emit(diag_level level, const char *file, long line,
               const char *format, ...)
{
	va_list args;
	va_start(args, format);
	emit(level, file, line, format, args);
	va_end(args);
}

int diag_error(const char *file, long line, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	emit(DIAG_ERROR, file, line, format, args);
	va_end(args);
	return -1;
}

void diag_fatal(const char *file, long line, const char *format, ...)
{
	va_list args;
	diag_deferred *kept = deferring;

	deferring = NULL;           /* what this thread kept comes first */
	diag_replay(kept);
	va_start(args, format);
	emit(DIAG_ERROR, file, line, format, args);
	va_end(args);
	exit(4);
}

void diag_warning(const char *file, long line, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	emit(DIAG_WARNING, file, line, format, args);
	va_end(args);
}

void diag_note(const char *file, long line, const char *format, ...)
{
	va_list args;
	if (verbosity < DIAG_VERBOSE)
		return;
	va_start(args, format);
	emit(DIAG_NOTE, file, line, format, args);
	va_end(args);
}

void diag_capture_begin(void)
{
	capturing = true;
	capture_length = 0;
	if (capture != NULL)
		capture[0] = '\0';
}

char *diag_capture_end(void)
{
	char *text = capture != NULL ? capture : xstrdup("");

	capturing = false;
	capture = NULL;
	capture_length = capture_capacity = 0;
	return text;
}

void diag_replay_discard(diag_deferred *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].text);
	free(list->items);
	free(list);
}
