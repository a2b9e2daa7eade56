/* diag: one format for every message; capture for .errors.txt files. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "util/diag.h"

static FILE *out;

static char *take_output(void)
{
	long length;
	char *text;

	fflush(out);
	length = ftell(out);
	text = calloc(1, (size_t)length + 1);
	rewind(out);
	if (fread(text, 1, (size_t)length, out) != (size_t)length)
		bail("cannot read back");
	rewind(out);
	if (ftruncate(fileno(out), 0) != 0)
		bail("cannot truncate");
	return text;
}

static void expect(const char *wanted, const char *what)
{
	char *seen = take_output();
	is_string(wanted, seen, "%s", what);
	free(seen);
}

int main(void)
{
	char *captured;

	plan(13);
	out = tmpfile();
	diag_set_stream(out);

	is_int(-1, diag_error("a.xml", 7, "bad %s", "thing"),
	       "diag_error returns -1");
	expect("mandate: a.xml:7: error: bad thing\n", "file:line: error:");
	diag_error("a.xml", 0, "unreadable");
	expect("mandate: a.xml: error: unreadable\n", "file without line");
	diag_error(NULL, 0, "no file");
	expect("mandate: error: no file\n", "no file at all");
	diag_warning("b.xml", 2, "careful");
	expect("mandate: b.xml:2: warning: careful\n", "warning");
	diag_note("b.xml", 2, "hidden");
	expect("", "notes only when verbose");

	diag_set_verbosity(DIAG_QUIET);
	diag_warning("b.xml", 3, "quiet");
	diag_error("b.xml", 4, "loud");
	expect("mandate: b.xml:4: error: loud\n", "-q keeps errors only");
	diag_set_verbosity(DIAG_NORMAL);

	diag_reset_count();
	diag_capture_begin();
	diag_error("c.xml", 1, "one");
	diag_warning("c.xml", 2, "two");
	captured = diag_capture_end();
	is_string("c.xml:1: error: one\nc.xml:2: warning: two\n", captured,
	          "capture keeps errors and warnings, without the prefix");
	free(captured);
	is_int(1, (long long)diag_error_count(), "errors are counted");
	captured = diag_capture_end();
	is_string("", captured, "nothing captured outside a capture");
	free(captured);
	free(take_output());     /* what the capture test printed */
	diag_reset_count();
	diag_defer_begin();
	diag_error("d.xml", 1, "first");
	diag_warning("d.xml", 2, "second");
	{
		diag_deferred *kept = diag_defer_end();
		expect("", "deferred messages are not printed");
		is_int(1, (long long)diag_error_count(),
		       "but counted where reported");
		diag_replay(kept);
	}
	expect("mandate: d.xml:1: error: first\nmandate: d.xml:2: warning: second\n",
	       "replay prints them in order");
	fclose(out);
	return tap_done();
}
