/* The ledger file: opening and locking it, reading it back with every
 * integrity check, rolling back an uncommitted tail and appending batches.
 * See mandate-ledger(5) for the format and its promises.
 *
 * A writer's life, in one pass over the file:
 *
 *     ledger *l;
 *     if ((status = ledger_open(path, LEDGER_WRITE, &l)) != LEDGER_OK)
 *             return status;                       // 4: locked, I/O, ...
 *     status = ledger_scan(l, replay_record, &state);  // 3 on tampering
 *     if (status == LEDGER_OK)
 *             status = ledger_rollback_tail(l);    // drop a crashed batch
 *     ...
 *     ledger_batch_begin(l);
 *     record_begin(&rb, "begin"); record_add_str(&rb, "batch", id); ...
 *     ledger_append(l, &rb);
 *     ... one ledger_append per record ...
 *     status = ledger_batch_commit(l);             // adds the commit line,
 *                                                  // writes, fsyncs
 *     ledger_close(l);
 *
 * A reader (verify, export, report) opens LEDGER_READ and scans.
 *
 * Every function that fails has already printed its diagnostic (diag.h)
 * naming the ledger, and the line for integrity failures.  Status codes
 * are the exit codes of SPEC §6. */
#ifndef MANDATE_LEDGER_STORE_H
#define MANDATE_LEDGER_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger_format.h"

typedef enum { LEDGER_READ, LEDGER_WRITE } ledger_mode;

/* Status codes match SPEC §6 exit codes. */
enum { LEDGER_OK = 0, LEDGER_INTEGRITY = 3, LEDGER_ENV = 4 };

typedef struct ledger ledger;

/* Where the chain stands: the last committed record (seq 0 and an all-zero
 * hash for an empty ledger). */
typedef struct ledger_head {
	uint64_t seq;
	unsigned char hash[LEDGER_HASH_SIZE];
} ledger_head;

/* "SEQ:HEX": up to 19 digits, ':', 64 hex digits, NUL. */
#define LEDGER_HEAD_TEXT_SIZE (19 + 1 + 2 * LEDGER_HASH_SIZE + 1)
void ledger_head_format(const ledger_head *head,
                        char out[LEDGER_HEAD_TEXT_SIZE]);
/* Parses "SEQ:HEX" (64 hex digits, either case).  Returns 0 or -1; prints
 * nothing. */
int ledger_head_parse(const char *text, ledger_head *out);

/* Opens the ledger at path.  The path must name a regular file, not a
 * symbolic link.
 *
 * LEDGER_WRITE: creates the file (mode 0640, directory fsync'ed) when it
 *   does not exist, and takes an exclusive flock without waiting: when
 *   another process holds any lock on it, fails with "ledger PATH is locked
 *   by another run".  Sets SIGXFSZ to SIG_IGN so an over-size write fails
 *   with EFBIG instead of killing the process.
 * LEDGER_READ: the file must exist; takes a shared flock without waiting:
 *   while a writer holds it, fails with "ledger PATH is being written by
 *   another run".
 * The lock is held until ledger_close.  flock locks belong to the open
 * file, so open one ledger handle per process and scan it as often as
 * needed instead of opening the same path twice.
 * Returns LEDGER_OK with *out set, or LEDGER_ENV. */
int ledger_open(const char *path, ledger_mode mode, ledger **out);
/* Releases the lock, closes the file, frees l (NULL is fine).  A batch
 * still open is dropped. */
void ledger_close(ledger *l);

/* Called for every complete, valid line in file order, as the scan reaches
 * it: rec is valid during the call only; line_number counts from 1.
 * Records arrive between their batch's "begin" and "commit" records: buffer
 * a batch's effects and apply them at its commit, because the last batch
 * may have no commit (the uncommitted tail: see below) and must then be
 * ignored.  A non-zero return stops the scan and becomes its result. */
typedef int (*ledger_record_fn)(void *ctx, const record *rec,
                                long line_number);

/* Reads the whole file from the start in one pass and constant memory,
 * checking every line: syntax, sequence numbers 1, 2, 3..., the hash chain
 * and batch framing.  fn may be NULL.  On the first bad line, prints
 * "PATH:LINE: error: <what>" and returns LEDGER_INTEGRITY; on a read error
 * LEDGER_ENV.
 *
 * What follows the last commit line is the uncommitted tail (a run that
 * crashed while writing): a begin with some of its records, perhaps a last
 * line cut short (no newline).  It is not an error; see ledger_tail_bytes.
 * A cut line must still be the beginning of a valid line: anything else
 * (say, the last newline changed into another byte) is an integrity error.
 *
 * After a successful scan ledger_head, ledger_size and ledger_tail_bytes
 * describe the file.  A ledger can be scanned again.
 *
 * The hashes and the syntax of the lines are checked ahead of the callback,
 * by a helper thread as well as the caller's (see ledger_scan_tune); fn is
 * only ever called from the caller's thread, in file order, and never for a
 * line after the first bad one. */
int ledger_scan(ledger *l, ledger_record_fn fn, void *ctx);

/* The same scan with the same checks, messages and results, for readers
 * that look at a few fields only (verify): fn sees each line as a
 * record_view instead of a parsed record, which saves building the field
 * array of every line.  fn may be NULL (ledger_scan with a NULL fn is this
 * scan). */
typedef int (*ledger_view_fn)(void *ctx, const record_view *view,
                              long line_number);
int ledger_scan_views(ledger *l, ledger_view_fn fn, void *ctx);

/* Reads the file's lines from the start WITHOUT any check, for a second
 * reader beside a scan of the same handle on another thread (the split
 * replay: ledger_replay.h): fn gets every line that ends with a newline
 * (without it) and its number, counting from 1 as a scan does.  Stops at
 * the end (a last line without a newline is not given), at a line longer
 * than LEDGER_LINE_MAX, or when fn returns non-zero, which becomes the
 * result.  The lines may be anything: only the scan says whether they
 * are sound.  LEDGER_OK, fn's value, or LEDGER_ENV ("cannot read the
 * ledger", reported). */
typedef int (*ledger_line_fn)(void *ctx, const char *line, size_t length,
                              long line_number);
int ledger_read_lines(ledger *l, ledger_line_fn fn, void *ctx);

/* How scans read: blocks of about block_bytes (0: the default, 1 MiB; a
 * block grows to hold at least one line) checked by `threads` threads (1:
 * the caller's only; 2, the default: one helper as well, for files of
 * more than one block), hashing with the CPU's SHA instructions when it
 * has them and cpu_sha (the default), else with OpenSSL.  For tests and
 * measurements: no setting changes what a scan finds or says. */
void ledger_scan_tune(ledger *l, size_t block_bytes, int threads,
                      bool cpu_sha);

/* Write mode, after a successful scan: truncates the uncommitted tail (if
 * any) away, fsyncs, and warns "rolled back N bytes of an uncommitted
 * batch".  Returns LEDGER_OK or LEDGER_ENV.  ledger_batch_commit calls it
 * itself when it has not been called. */
int ledger_rollback_tail(ledger *l);

/* The sequence number of the last commit line in the file as it is now
 * (0: none), found by reading it backwards from the end, before or
 * without a scan: every operation with a lower number belongs to a batch
 * that is committed, if the scan finds the file sound.  Reads blocks of
 * ledger_scan_tune's size.  LEDGER_OK, or LEDGER_ENV (reported) when the
 * file cannot be read. */
int ledger_last_commit_seq(ledger *l, uint64_t *seq);
/* After a scan: the last committed record. */
ledger_head ledger_head_get(const ledger *l);
/* Bytes of the file: the committed part plus the tail not yet rolled back. */
uint64_t ledger_size(const ledger *l);
/* Bytes after the end of the last commit line (0 once rolled back). */
uint64_t ledger_tail_bytes(const ledger *l);
/* Committed batches seen by the scan plus those committed since. */
uint64_t ledger_batch_count(const ledger *l);

/* Checking a head recorded elsewhere (verify --head SEQ:HASH).  Call
 * ledger_expect_head before ledger_scan; afterwards ledger_head_status
 * tells whether the committed part holds a record with that sequence
 * number and hash. */
typedef enum {
	LEDGER_HEAD_UNCHECKED,  /* no head expected, or no scan yet */
	LEDGER_HEAD_MATCH,      /* record SEQ is committed and has HASH */
	LEDGER_HEAD_MISMATCH,   /* record SEQ is committed with another hash */
	LEDGER_HEAD_MISSING     /* no committed record SEQ: a cut-off ledger */
} ledger_head_status;
void ledger_expect_head(ledger *l, const ledger_head *head);
ledger_head_status ledger_head_check(const ledger *l);

/* Appending, write mode only, after a scan.  A batch is built in memory
 * and reaches the file only at ledger_batch_commit, in one write.
 *
 * The first record of a batch must be a "begin" with a batch= field; no
 * other begin may follow.  ledger_append gives the record the next sequence
 * number, chains its hash and returns the sequence number.  The commit
 * record may be appended by the caller (it must then read
 * "commit batch=<same> records=<n>" and be last) or is added by
 * ledger_batch_commit.  Misuse (appending outside a batch, a second begin,
 * a record after the commit) is a bug and aborts. */
void ledger_batch_begin(ledger *l);
uint64_t ledger_append(ledger *l, const record_builder *rb);
/* Adds the commit record when missing, writes the batch at the end of the
 * committed part and fsyncs.  On any failure (short write, ENOSPC, EFBIG,
 * EIO, fsync) truncates the file back to its size before the batch,
 * fsyncs, keeps the head as it was, prints "cannot write batch ID to the
 * ledger: <strerror>" and returns LEDGER_ENV; after a failure of that
 * clean-up itself, every later commit fails too (the next run rolls the
 * partial batch back). */
int ledger_batch_commit(ledger *l);
/* Drops the batch being built; the head stays where it was. */
void ledger_batch_abort(ledger *l);

const char *ledger_path(const ledger *l);

#endif
