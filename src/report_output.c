/* Writing the workbooks; see report_output.h. */
#include "report_output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "kpi.h"
#include "report_xlsx.h"
#include "xlsx_check.h"
#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/xalloc.h"

typedef int (*workbook_fn)(const report_context *ctx, const char *path);

/* Reads the workbook just written back whole (see xlsx_check.h: a failed
 * write to libxlsxwriter's scratch files is not reported otherwise). */
static int check_written(const char *temp, const char *scratch)
{
	char *why = NULL;

	if (xlsx_check(temp, &why) == 0)
		return 0;
	diag_error(temp, 0, "the workbook as written is damaged (%s); a write "
	           "to its scratch files in %s must have failed (disk full?)",
	           why, scratch);
	free(why);
	return -1;
}

/* Writes DIR/NAME through DIR/NAME.tmp, checked before it is renamed; an
 * exit code. */
static int write_workbook(const report_context *ctx, const char *dir,
                          const char *name, workbook_fn write)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *temp = xasprintf("%s.tmp", path);
	int status = EXIT_ACCEPTED;

	if (write(ctx, temp) != 0 || check_written(temp, ctx->tmpdir) != 0) {
		unlink(temp);
		status = EXIT_ENVIRONMENT;
	} else if (atomic_commit(temp, path) != 0) {
		status = EXIT_ENVIRONMENT;
	}
	free(temp);
	free(path);
	return status;
}

static double now_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Both workbooks, with LC_NUMERIC at "C": libxlsxwriter prints numbers
 * with printf, and a comma-decimal locale would corrupt the files.  With
 * -v, how long each took. */
static int write_workbooks(const report_context *ctx, const char *dir)
{
	const char *current = setlocale(LC_NUMERIC, NULL);
	char *saved = xstrdup(current != NULL ? current : "C");
	double start = now_seconds();
	int status;

	setlocale(LC_NUMERIC, "C");
	status = write_workbook(ctx, dir, "status.xlsx", report_status_write);
	diag_note(NULL, 0, "report: status.xlsx in %.2f s",
	          now_seconds() - start);
	start = now_seconds();
	if (status == EXIT_ACCEPTED) {
		status = write_workbook(ctx, dir, "performance.xlsx",
		                        report_performance_write);
		diag_note(NULL, 0, "report: performance.xlsx in %.2f s",
		          now_seconds() - start);
	}
	setlocale(LC_NUMERIC, saved);
	free(saved);
	return status;
}

/* libxlsxwriter's scratch files (unlinked right after creation, but a kill
 * in between leaves one) go to DIR/.xlsx-tmp, emptied before and removed
 * after each report, so no stray file is left beside the workbooks. */
static char *scratch_folder(const char *dir)
{
	char *scratch = xasprintf("%s/.xlsx-tmp", dir);
	DIR *handle = opendir(scratch);
	struct dirent *entry;

	while (handle != NULL && (entry = readdir(handle)) != NULL) {
		char *stale;
		if (strncmp(entry->d_name, "tmp", 3) != 0)
			continue;
		stale = xasprintf("%s/%s", scratch, entry->d_name);
		unlink(stale);
		free(stale);
	}
	if (handle != NULL)
		closedir(handle);
	if (mkdir(scratch, 0700) != 0 && errno != EEXIST) {
		diag_error(scratch, 0, "cannot create folder: %s",
		           strerror(errno));
		free(scratch);
		return NULL;
	}
	return scratch;
}

int report_output_write(const report_data *data, const char *head,
                        const char *dir)
{
	double start = now_seconds();
	kpi_set *kpi = kpi_compute(data);
	report_context ctx;
	char *scratch = NULL;
	int status;

	diag_note(NULL, 0, "report: KPIs in %.2f s", now_seconds() - start);
	if (kpi->overflow)
		status = EXIT_INTEGRITY;
	else if (make_dirs(dir) != 0 ||
	         (scratch = scratch_folder(dir)) == NULL)
		status = EXIT_ENVIRONMENT;
	else {
		ctx = (report_context){ .data = data, .kpi = kpi,
		                        .tmpdir = scratch, .head = head };
		status = write_workbooks(&ctx, dir);
		rmdir(scratch);
	}
	free(scratch);
	kpi_free(kpi);
	return status;
}
