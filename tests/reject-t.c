/* reject_file and atomic_write: files moved aside with their errors; no
 * temporary files left behind. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reject.h"
#include "tap.h"
#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/xalloc.h"

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

int main(void)
{
	char *base = test_tmp_path("reject-t");
	char *in = xasprintf("%s/in", base), *rejected = xasprintf("%s/rej/x", base);
	char *file = xasprintf("%s/batch-07.xml", in);
	char *moved = xasprintf("%s/batch-07.xml", rejected);
	char *errors = xasprintf("%s/batch-07.xml.errors.txt", rejected);
	char *bad = xasprintf("%s/missing/out.txt", base);
	char *text;
	FILE *sink = tmpfile();

	plan(10);
	diag_set_stream(sink);
	text = xasprintf("rm -rf '%s'", base);
	if (system(text) != 0)
		bail("cannot clean");
	free(text);
	is_int(0, make_dirs(in), "make_dirs creates parents");
	is_int(0, atomic_write(file, "<batch/>", 8), "atomic_write");
	is_int(0, reject_file(file, rejected, "x.xml:3: error: bad\n"),
	       "reject_file");
	ok(access(file, F_OK) != 0, "the file left the incoming folder");
	text = test_read_file(moved, NULL);
	is_string("<batch/>", text, "and is in the reject folder, whole");
	free(text);
	text = test_read_file(errors, NULL);
	is_string("x.xml:3: error: bad\n", text, "NAME.errors.txt beside it");
	free(text);
	is_int(2, (long long)entries(rejected), "nothing else there");
	is_int(-1, atomic_write(bad, "x", 1), "writing into a missing folder fails");
	ok(access(bad, F_OK) != 0, "and leaves no file");
	is_int(2, (long long)entries(base), "nor a temporary one (only in/ and rej/)");
	fclose(sink);
	free(base);
	free(in);
	free(rejected);
	free(file);
	free(moved);
	free(errors);
	free(bad);
	return tap_done();
}
