/* Writing documents, in parallel processes; see doc_output.h. */
#include "doc_output.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/xalloc.h"

/* Renders, signs and writes one document; 0 or -1 (reported). */
static int write_one(const doc_templates *templates, const signer *s,
                     const doc_job *job, const char *path, date_t signing_date)
{
	doc_request request = {
		.kind = job->kind, .order = job->order, .before = job->before,
		.effect = &job->effect, .date = job->date,
		.payments = job->payments, .signer_name = signer_name(s),
		.reason = job->reason
	};
	doc_sign_place place = { .signing_date = signing_date };
	unsigned char *pdf = NULL, *signed_pdf = NULL;
	size_t length = 0, signed_length = 0;
	double rect[4];
	char *dir = xstrdup(path);
	int status = -1;

	*strrchr(dir, '/') = '\0';
	place.rect = rect;
	if (doc_render(templates, &request, &pdf, &length, &place.page_index,
	               rect) == 0 &&
	    doc_sign_buffer(s, pdf, length, path, &place, &signed_pdf,
	                    &signed_length) == 0 &&
	    make_dirs(dir) == 0 &&
	    atomic_write(path, signed_pdf, signed_length) == 0) {
		diag_note(path, 0, "written");
		status = 0;
	}
	free(pdf);
	free(signed_pdf);
	free(dir);
	return status;
}

/* Writes the documents i ≡ worker (mod workers) of the list. */
static int write_share(const doc_templates *templates, const signer *s,
                       const doc_plan *plan, char *const *paths,
                       const size_t *todo, size_t count, date_t signing_date,
                       unsigned worker, unsigned workers)
{
	int status = 0;

	for (size_t i = worker; i < count; i += workers)
		if (write_one(templates, s, &plan->jobs[todo[i]], paths[i],
		              signing_date) != 0)
			status = -1;
	return status;
}

static void add_written(doc_output *result, char *path)
{
	result->written = xgrow(result->written, &result->capacity,
	                        result->written_count + 1,
	                        sizeof *result->written);
	result->written[result->written_count++] = path;
}

static int run_workers(const doc_templates *templates, const signer *s,
                       const doc_plan *plan, char *const *paths,
                       const size_t *todo, size_t count,
                       date_t signing_date, unsigned workers)
{
	pid_t *children = xcalloc(workers, sizeof *children);
	int status = 0;

	pid_t parent = getpid();

	fflush(NULL);
	for (unsigned w = 0; w < workers; w++) {
		children[w] = fork();
		if (children[w] == 0) {
			/* Die with the parent: a killed run must not leave
			 * workers writing (and holding the inherited ledger
			 * lock) while the next run starts. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(EXIT_ENVIRONMENT);
			_exit(write_share(templates, s, plan, paths, todo, count,
			                  signing_date, w, workers) == 0
			      ? 0 : EXIT_ENVIRONMENT);
		}
		if (children[w] < 0) {
			/* No more processes: do this share here. */
			diag_warning(NULL, 0, "cannot fork a document worker: %s",
			             strerror(errno));
			if (write_share(templates, s, plan, paths, todo, count,
			                signing_date, w, workers) != 0)
				status = -1;
		}
	}
	for (unsigned w = 0; w < workers; w++) {
		int child_status;
		if (children[w] <= 0)
			continue;
		while (waitpid(children[w], &child_status, 0) < 0 &&
		       errno == EINTR)
			;
		if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) != 0)
			status = -1;
	}
	free(children);
	return status;
}

int doc_output_write(const doc_templates *templates, const signer *s,
                     const doc_plan *plan, const char *out_dir,
                     date_t signing_date, bool only_missing, unsigned jobs,
                     doc_output *result)
{
	char **paths = xcalloc(plan->count + 1, sizeof *paths);
	size_t *todo = xcalloc(plan->count + 1, sizeof *todo);
	size_t count = 0;
	int status;

	memset(result, 0, sizeof *result);
	for (size_t i = 0; i < plan->count; i++) {
		char *path = doc_job_path(&plan->jobs[i], out_dir);
		if (only_missing && access(path, F_OK) == 0) {
			result->existing++;
			free(path);
			continue;
		}
		paths[count] = path;
		todo[count++] = i;
	}
	if (jobs > count)
		jobs = count > 0 ? (unsigned)count : 1;
	if (jobs <= 1)
		status = write_share(templates, s, plan, paths, todo, count,
		                     signing_date, 0, 1);
	else
		status = run_workers(templates, s, plan, paths, todo, count,
		                     signing_date, jobs);
	/* What is there now was written by this run (files are whole or
	 * absent). */
	for (size_t i = 0; i < count; i++) {
		if (access(paths[i], F_OK) == 0)
			add_written(result, paths[i]);
		else
			free(paths[i]);
	}
	free(paths);
	free(todo);
	return status == 0 ? EXIT_ACCEPTED : EXIT_ENVIRONMENT;
}

void doc_output_free(doc_output *result)
{
	for (size_t i = 0; i < result->written_count; i++)
		free(result->written[i]);
	free(result->written);
	memset(result, 0, sizeof *result);
}
