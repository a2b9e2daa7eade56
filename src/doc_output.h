/* Writing the planned documents: render (doc_render), sign (doc_sign) and
 * write each one atomically at its path, in `jobs` worker processes forked
 * after the replay (each takes every jobs-th document, so the files are
 * the same whatever the number).  With only_missing, documents whose file
 * already exists are left alone: that is how the nightly run writes just
 * what its batches call for, and how a re-run after a crash writes what
 * the crash left unwritten. */
#ifndef MANDATE_DOC_OUTPUT_H
#define MANDATE_DOC_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "doc_plan.h"
#include "doc_render.h"
#include "doc_sign.h"

typedef struct doc_output {
	char **written;            /* paths written (owned) */
	size_t written_count;
	size_t existing;           /* left alone (only_missing) */
	size_t capacity;
} doc_output;

/* Returns 0 (EXIT_ACCEPTED) or 4 after reporting (some document could not
 * be written; the others are whole). */
int doc_output_write(const doc_templates *templates, const signer *s,
                     const doc_plan *plan, const char *out_dir,
                     date_t signing_date, bool only_missing, unsigned jobs,
                     doc_output *result);
void doc_output_free(doc_output *result);

#endif
