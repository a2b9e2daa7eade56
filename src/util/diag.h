/* One voice for every diagnostic:
 *
 *     mandate: FILE:LINE: error: message
 *     mandate: FILE: error: message          (no line known)
 *     mandate: error: message                (no file)
 *
 * Messages go to stderr (unless quiet for warnings/notes) and, while a
 * capture is active, are also kept so a caller can write them beside a
 * rejected file.  diag_error() returns -1 so callers can write
 * `return diag_error(...)`. */
#ifndef MANDATE_DIAG_H
#define MANDATE_DIAG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum diag_level {
	DIAG_NOTE,
	DIAG_WARNING,
	DIAG_ERROR
} diag_level;

typedef enum diag_verbosity {
	DIAG_QUIET = -1,    /* errors only */
	DIAG_NORMAL = 0,
	DIAG_VERBOSE = 1
} diag_verbosity;

void diag_set_program(const char *name);
void diag_set_verbosity(diag_verbosity verbosity);
diag_verbosity diag_get_verbosity(void);

/* line <= 0 means "no line". file may be NULL. */
int diag_error(const char *file, long line, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
void diag_warning(const char *file, long line, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
/* An error the process cannot go on after (a scratch file that cannot be
 * written): printed at once, after what the calling thread deferred, and
 * the process exits with status 4 (environment). */
_Noreturn void diag_fatal(const char *file, long line, const char *format,
                          ...)
	__attribute__((format(printf, 3, 4)));
void diag_note(const char *file, long line, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
void diag_emit(diag_level level, const char *file, long line,
               const char *format, ...)
	__attribute__((format(printf, 4, 5)));

/* Number of errors reported since the last diag_reset_count(). */
size_t diag_error_count(void);
void diag_reset_count(void);

/* Capture: while active, every error and warning line (without the
 * "mandate: " prefix) is appended to an internal buffer as well.
 * diag_capture_end() returns the text (owned by the caller, may be "") and
 * stops capturing. */
void diag_capture_begin(void);
char *diag_capture_end(void);

/* Deferring, for work done on another thread: between diag_defer_begin()
 * and diag_defer_end() every message of the calling thread is kept (with
 * its level) instead of being printed or captured (errors are still
 * counted, by the thread that reports them).  The main thread later passes
 * the list to diag_replay(), which prints and captures the messages as if
 * they were reported then, in order, and frees the list.  Counting and
 * capturing are per thread. */
typedef struct diag_deferred diag_deferred;
void diag_defer_begin(void);
diag_deferred *diag_defer_end(void);
void diag_replay(diag_deferred *list);
/* Frees a deferred list without emitting it. */
void diag_replay_discard(diag_deferred *list);

/* Test hook: when set, messages are written to this stream instead of
 * stderr. */
#include <stdio.h>
void diag_set_stream(FILE *stream);
/* The stream set last (NULL: stderr). */
FILE *diag_get_stream(void);

#endif
