/* The one diagnostic printer; see diag.h. */
#include "util/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static const char *program = "mandate";
static diag_verbosity verbosity = DIAG_NORMAL;
static size_t error_count;
static FILE *stream;

static bool capturing;
static char *capture;
static size_t capture_length, capture_capacity;

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

static void emit(diag_level level, const char *file, long line,
                 const char *format, va_list args)
{
	char where[4096 + 32] = "";
	char message[8192];
	char full[sizeof where + sizeof message + 16];

	if (level == DIAG_ERROR)
		error_count++;
	if (file != NULL && line > 0)
		snprintf(where, sizeof where, "%s:%ld: ", file, line);
	else if (file != NULL)
		snprintf(where, sizeof where, "%s: ", file);
	vsnprintf(message, sizeof message, format, args);
	snprintf(full, sizeof full, "%s%s: %s\n", where, level_name(level),
	         message);

	if (capturing && level != DIAG_NOTE)
		capture_append(full);
	if (level == DIAG_ERROR || verbosity >= DIAG_NORMAL) {
		FILE *out = stream != NULL ? stream : stderr;
		fprintf(out, "%s: %s", program, full);
		fflush(out);
	}
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
