/* Reading batch files ahead, on reader threads, while the caller books the
 * previous ones: parsing and schema validation are most of the work, and
 * they are independent per file.  Results come back strictly in the order
 * of the files, each with its diagnostics replayed at that moment, so the
 * output is the same whatever the number of threads.
 *
 * At most `threads` + 1 files are held read and not yet taken, so memory
 * stays bounded.  With threads <= 1 everything happens on the caller's
 * thread, at read_ahead_next(). */
#ifndef MANDATE_READ_AHEAD_H
#define MANDATE_READ_AHEAD_H

#include <stddef.h>

#include "batch_read.h"

typedef struct read_ahead read_ahead;

/* paths (count of them) must outlive the reader; reader is shared by the
 * threads (its compiled schema is only read). */
read_ahead *read_ahead_start(batch_reader *reader, char *const *paths,
                             size_t count, unsigned threads);
/* The next file's result, in order (its diagnostics are emitted now).  On
 * BATCH_READ_OK *out is the batch, owned by the caller.  Call it exactly
 * `count` times. */
batch_read_status read_ahead_next(read_ahead *ra, batch **out);
/* Gives a taken batch back to be freed on a reader thread: a batch's
 * thousands of small blocks were allocated there, and freeing them on the
 * caller's thread is a third of its time (glibc locks the reader's arena
 * for each).  Without reader threads it is freed at once. */
void read_ahead_recycle(read_ahead *ra, batch *b);
/* Stops the threads (files not taken yet are dropped) and frees. */
void read_ahead_stop(read_ahead *ra);

/* The default number of reader threads: the online CPUs, at least 1. */
unsigned read_ahead_default_threads(void);

#endif
