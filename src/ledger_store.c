/* The ledger file; see ledger_store.h and mandate-ledger(5). */
#include "ledger_store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/diag.h"
#include "util/xalloc.h"

/* Reading starts with this much buffer; it grows only for longer lines. */
#define READ_BUFFER (1024 * 1024)

struct ledger {
	char *path;
	int fd;
	ledger_mode mode;
	bool scanned;           /* a scan succeeded: the fields below hold */
	bool broken;            /* a failed write could not be undone */
	uint64_t size;          /* bytes in the file */
	uint64_t committed;     /* end of the last commit line */
	uint64_t batches;       /* committed batches */
	ledger_head head;       /* last committed record */

	bool expecting;
	ledger_head expected;
	ledger_head_status head_status;

	EVP_MD *sha256;
	EVP_MD_CTX *md;
	record rec;             /* the line being scanned or checked */

	/* The batch being built. */
	bool in_batch, have_begin, have_commit, too_long;
	char *buffer;
	size_t length, capacity;
	uint64_t records;       /* between begin and commit */
	char *batch_id;
	size_t batch_id_length, batch_id_capacity;
	ledger_head batch_head; /* head after the last appended record */
	record_builder commit;
};

static _Noreturn void misuse(const char *what)
{
	fprintf(stderr, "mandate: internal error: ledger: %s\n", what);
	abort();
}

/* ---- Heads ------------------------------------------------------------- */

void ledger_head_format(const ledger_head *head,
                        char out[LEDGER_HEAD_TEXT_SIZE])
{
	char hex[2 * LEDGER_HASH_SIZE + 1];

	ledger_hash_hex(head->hash, hex);
	snprintf(out, LEDGER_HEAD_TEXT_SIZE, "%" PRIu64 ":%s", head->seq, hex);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ledger_head_parse(const char *text, ledger_head *out)
{
	const char *p = text;
	uint64_t seq = 0;

	if (*p < '0' || *p > '9' || (*p == '0' && p[1] != ':'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (seq > ((uint64_t)INT64_MAX - 9) / 10)
			return -1;
		seq = seq * 10 + (uint64_t)(*p - '0');
	}
	if (*p++ != ':')
		return -1;
	for (size_t i = 0; i < LEDGER_HASH_SIZE; i++) {
		int hi = hex_digit(p[0]), lo = hi < 0 ? -1 : hex_digit(p[1]);

		if (lo < 0)
			return -1;
		out->hash[i] = (unsigned char)(hi << 4 | lo);
		p += 2;
	}
	if (*p != '\0')
		return -1;
	out->seq = seq;
	return 0;
}

/* ---- Opening ----------------------------------------------------------- */

/* fsync the directory holding path, so a new file's name survives a crash. */
static int sync_directory(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, status = 0;

	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		status = diag_error(dir, 0, "cannot sync the directory of the new "
		                    "ledger: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	free(dir);
	return status;
}

static int open_file(const char *path, ledger_mode mode, bool *created)
{
	int flags = O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK
	          | (mode == LEDGER_WRITE ? O_RDWR : O_RDONLY);
	int fd = -1;
	struct stat st;

	*created = false;
	if (mode == LEDGER_WRITE) {
		fd = open(path, flags | O_CREAT | O_EXCL, 0640);
		*created = fd >= 0;
	}
	if (fd < 0 && (mode == LEDGER_READ || errno == EEXIST))
		fd = open(path, flags);
	if (fd < 0) {
		if (errno == ELOOP && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			return diag_error(path, 0, "the ledger is a symbolic link; "
			                  "give the path of the file itself");
		return diag_error(path, 0, "cannot open the ledger: %s",
		                  strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		int error = errno;

		close(fd);
		return diag_error(path, 0, "cannot open the ledger: %s",
		                  strerror(error));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return diag_error(path, 0, "the ledger is not a regular file");
	}
	/* O_NONBLOCK was there only so a FIFO could not hang the open. */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* Why could we not lock?  A shared lock we can take means only readers
 * are in the way. */
static int lock_busy(const char *path, ledger_mode mode)
{
	int probe;

	if (mode == LEDGER_READ)
		return diag_error(NULL, 0, "ledger %s is being written by another "
		                  "run", path);
	probe = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (probe >= 0 && flock(probe, LOCK_SH | LOCK_NB) == 0) {
		close(probe);
		return diag_error(NULL, 0, "ledger %s is locked by another run "
		                  "reading it", path);
	}
	if (probe >= 0)
		close(probe);
	return diag_error(NULL, 0, "ledger %s is locked by another writer", path);
}

static int lock_file(const char *path, ledger_mode mode, int fd)
{
	int operation = (mode == LEDGER_WRITE ? LOCK_EX : LOCK_SH) | LOCK_NB;
	int status;

	while ((status = flock(fd, operation)) != 0 && errno == EINTR)
		;
	if (status == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return lock_busy(path, mode);
	return diag_error(path, 0, "cannot lock the ledger: %s", strerror(errno));
}

int ledger_open(const char *path, ledger_mode mode, ledger **out)
{
	bool created;
	int fd;
	ledger *l;

	*out = NULL;
	if ((fd = open_file(path, mode, &created)) < 0)
		return LEDGER_ENV;
	if (lock_file(path, mode, fd) != 0) {
		close(fd);
		return LEDGER_ENV;
	}
	if (created && (fsync(fd) != 0 || sync_directory(path) != 0)) {
		diag_error(path, 0, "cannot sync the new ledger: %s",
		           strerror(errno));
		close(fd);
		return LEDGER_ENV;
	}
	if (mode == LEDGER_WRITE)
		signal(SIGXFSZ, SIG_IGN);

	l = xcalloc(1, sizeof *l);
	l->path = xstrdup(path);
	l->fd = fd;
	l->mode = mode;
	l->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	l->md = EVP_MD_CTX_new();
	if (l->sha256 == NULL || l->md == NULL) {
		diag_error(path, 0, "OpenSSL cannot provide SHA-256");
		ledger_close(l);
		return LEDGER_ENV;
	}
	*out = l;
	return LEDGER_OK;
}

void ledger_close(ledger *l)
{
	if (l == NULL)
		return;
	if (l->fd >= 0)
		close(l->fd);       /* releases the flock */
	EVP_MD_CTX_free(l->md);
	EVP_MD_free(l->sha256);
	record_free(&l->rec);
	record_builder_free(&l->commit);
	free(l->buffer);
	free(l->batch_id);
	free(l->path);
	free(l);
}

const char *ledger_path(const ledger *l)
{
	return l->path;
}

/* SHA-256(previous hash || body). */
static void chain_hash(ledger *l, const unsigned char prev[LEDGER_HASH_SIZE],
                       const char *body, size_t length,
                       unsigned char out[LEDGER_HASH_SIZE])
{
	if (EVP_DigestInit_ex(l->md, l->sha256, NULL) != 1
	    || EVP_DigestUpdate(l->md, prev, LEDGER_HASH_SIZE) != 1
	    || EVP_DigestUpdate(l->md, body, length) != 1
	    || EVP_DigestFinal_ex(l->md, out, NULL) != 1)
		misuse("SHA-256 failed");
}

/* ---- Scanning ---------------------------------------------------------- */

typedef struct scan_state {
	ledger *l;
	ledger_record_fn fn;
	void *ctx;
	long line;
	uint64_t next_seq;
	unsigned char prev[LEDGER_HASH_SIZE];
	bool in_batch;
	char *batch;            /* id of the open batch */
	size_t batch_length, batch_capacity;
	uint64_t records;
	uint64_t committed, batches;
	ledger_head head;
	bool head_seen, head_matches;
	uint64_t head_end;      /* end offset of the expected head's line */
} scan_state;

static int integrity(scan_state *st, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

static int integrity(scan_state *st, const char *format, ...)
{
	char message[512];
	va_list args;

	va_start(args, format);
	vsnprintf(message, sizeof message, format, args);
	va_end(args);
	diag_error(st->l->path, st->line, "%s", message);
	return LEDGER_INTEGRITY;
}

/* A batch id fit for a message: printable ASCII only, at most 64 bytes. */
static const char *shown(const char *id, size_t length, char out[72])
{
	size_t i;

	for (i = 0; i < length && i < 64; i++)
		out[i] = id[i] > 0x20 && id[i] < 0x7f ? id[i] : '?';
	if (i < length)
		out[i++] = '.', out[i++] = '.', out[i++] = '.';
	out[i] = '\0';
	return out;
}

static int check_framing(scan_state *st, const record *rec)
{
	size_t index = 0;
	const char *id = record_next(rec, "batch", &index);
	size_t id_length = id != NULL ? rec->fields[index - 1].value_length : 0;
	char a[72], b[72];
	int64_t count;

	if (strcmp(rec->type, "begin") == 0) {
		if (id == NULL)
			return integrity(st, "begin record without a batch= field");
		if (st->in_batch)
			return integrity(st, "begin of batch %s inside batch %s",
			                 shown(id, id_length, a),
			                 shown(st->batch, st->batch_length, b));
		st->batch = xgrow(st->batch, &st->batch_capacity, id_length + 1, 1);
		memcpy(st->batch, id, id_length);
		st->batch_length = id_length;
		st->in_batch = true;
		st->records = 0;
		return 0;
	}
	if (strcmp(rec->type, "commit") != 0) {
		if (!st->in_batch)
			return integrity(st, "%s record outside a batch", rec->type);
		st->records++;
		return 0;
	}
	if (id == NULL)
		return integrity(st, "commit record without a batch= field");
	if (!st->in_batch)
		return integrity(st, "commit for batch %s without begin",
		                 shown(id, id_length, a));
	if (id_length != st->batch_length || memcmp(id, st->batch, id_length))
		return integrity(st, "commit for batch %s inside batch %s",
		                 shown(id, id_length, a),
		                 shown(st->batch, st->batch_length, b));
	if (!record_get_int(rec, "records", &count) || count < 0)
		return integrity(st, "commit of batch %s without a valid "
		                 "records= field", shown(id, id_length, a));
	if ((uint64_t)count != st->records)
		return integrity(st, "commit of batch %s counts %" PRId64
		                 " records, the batch has %" PRIu64,
		                 shown(id, id_length, a), count, st->records);
	st->in_batch = false;
	return 0;
}

static int scan_line(scan_state *st, const char *line, size_t length,
                     uint64_t end)
{
	ledger *l = st->l;
	record *rec = &l->rec;
	unsigned char hash[LEDGER_HASH_SIZE];
	int status;

	st->line++;
	if (record_parse(line, length, rec) != 0)
		return integrity(st, "malformed record: %s", rec->error);
	if (rec->seq != st->next_seq)
		return integrity(st, "sequence %" PRIu64 " expected, found %" PRIu64,
		                 st->next_seq, rec->seq);
	chain_hash(l, st->prev, line, rec->body_length, hash);
	if (memcmp(hash, rec->hash, LEDGER_HASH_SIZE) != 0)
		return integrity(st, "hash does not match the chain");
	if ((status = check_framing(st, rec)) != 0)
		return status;
	if (!st->in_batch) {        /* this line was a commit */
		st->committed = end;
		st->batches++;
		st->head.seq = rec->seq;
		memcpy(st->head.hash, hash, LEDGER_HASH_SIZE);
	}
	if (l->expecting && rec->seq == l->expected.seq) {
		st->head_seen = true;
		st->head_matches = memcmp(hash, l->expected.hash,
		                          LEDGER_HASH_SIZE) == 0;
		st->head_end = end;
	}
	memcpy(st->prev, hash, LEDGER_HASH_SIZE);
	st->next_seq++;
	if (st->fn != NULL)
		return st->fn(st->ctx, rec, st->line);
	return 0;
}

/* The bytes after the last newline: what a crash during a write can leave.
 * They must be the start of a valid line. */
static int scan_fragment(scan_state *st, const char *line, size_t length)
{
	record *rec = &st->l->rec;

	st->line++;
	if (!record_parse_prefix(line, length, rec))
		return integrity(st, "malformed record: %s (in the last line, "
		                 "which has no newline)", rec->error);
	if (rec->seq != 0 && rec->seq != st->next_seq)
		return integrity(st, "sequence %" PRIu64 " expected, found %" PRIu64,
		                 st->next_seq, rec->seq);
	return 0;
}

static ledger_head_status head_status(const ledger *l, const scan_state *st)
{
	static const unsigned char zero[LEDGER_HASH_SIZE];

	if (!l->expecting)
		return LEDGER_HEAD_UNCHECKED;
	if (l->expected.seq == 0)
		return memcmp(l->expected.hash, zero, LEDGER_HASH_SIZE) == 0
		     ? LEDGER_HEAD_MATCH : LEDGER_HEAD_MISMATCH;
	if (!st->head_seen || st->head_end > st->committed)
		return LEDGER_HEAD_MISSING;
	return st->head_matches ? LEDGER_HEAD_MATCH : LEDGER_HEAD_MISMATCH;
}

/* Reads the file with pread into buf, one line at a time.  Lines longer
 * than the buffer make it grow, up to LEDGER_LINE_MAX. */
static int scan_file(scan_state *st, char **bufp, size_t *capacity,
                     uint64_t *size)
{
	ledger *l = st->l;
	uint64_t base = 0;              /* file offset of buf[0] */
	size_t start = 0, searched = 0, filled = 0;
	int status;

	for (;;) {
		char *buf = *bufp;
		char *newline = memchr(buf + searched, '\n', filled - searched);
		ssize_t got;

		if (newline != NULL) {
			size_t end = (size_t)(newline - buf);

			status = scan_line(st, buf + start, end - start,
			                   base + end + 1);
			if (status != 0)
				return status;
			start = searched = end + 1;
			continue;
		}
		searched = filled;
		if (start > 0) {
			memmove(buf, buf + start, filled - start);
			base += start;
			filled -= start;
			searched -= start;
			start = 0;
		}
		if (filled == *capacity) {
			if (*capacity >= LEDGER_LINE_MAX) {
				st->line++;
				return integrity(st, "line longer than %u bytes",
				                 LEDGER_LINE_MAX);
			}
			*capacity *= 2;
			*bufp = buf = xrealloc(buf, *capacity);
		}
		got = pread(l->fd, buf + filled, *capacity - filled,
		            (off_t)(base + filled));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			diag_error(l->path, 0, "cannot read the ledger: %s",
			           strerror(errno));
			return LEDGER_ENV;
		}
		if (got == 0)
			break;
		filled += (size_t)got;
	}
	*size = base + filled;
	if (filled > start)
		return scan_fragment(st, *bufp + start, filled - start);
	return 0;
}

int ledger_scan(ledger *l, ledger_record_fn fn, void *ctx)
{
	scan_state st;
	size_t capacity = READ_BUFFER;
	char *buf = xmalloc(capacity);
	uint64_t size = 0;
	int status;

	if (l->in_batch)
		misuse("scan while a batch is being built");
	memset(&st, 0, sizeof st);
	st.l = l;
	st.fn = fn;
	st.ctx = ctx;
	st.next_seq = 1;
	l->scanned = false;
	l->head_status = LEDGER_HEAD_UNCHECKED;
	(void)posix_fadvise(l->fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	status = scan_file(&st, &buf, &capacity, &size);
	free(buf);
	free(st.batch);
	if (status != 0)
		return status;
	l->scanned = true;
	l->size = size;
	l->committed = st.committed;
	l->batches = st.batches;
	l->head = st.head;
	l->head_status = head_status(l, &st);
	return LEDGER_OK;
}

static void require_scanned(const ledger *l, const char *what)
{
	if (l->mode != LEDGER_WRITE)
		misuse("writing to a ledger opened for reading");
	if (!l->scanned)
		misuse(what);
}

int ledger_rollback_tail(ledger *l)
{
	uint64_t tail;

	require_scanned(l, "rollback before a successful scan");
	tail = l->size - l->committed;
	if (tail == 0)
		return LEDGER_OK;
	if (ftruncate(l->fd, (off_t)l->committed) != 0 || fsync(l->fd) != 0) {
		diag_error(l->path, 0, "cannot roll back the uncommitted tail: %s",
		           strerror(errno));
		return LEDGER_ENV;
	}
	diag_warning(l->path, 0, "rolled back %" PRIu64 " bytes of an "
	             "uncommitted batch", tail);
	l->size = l->committed;
	return LEDGER_OK;
}

ledger_head ledger_head_get(const ledger *l)
{
	return l->head;
}

uint64_t ledger_size(const ledger *l)
{
	return l->size;
}

uint64_t ledger_tail_bytes(const ledger *l)
{
	return l->size - l->committed;
}

uint64_t ledger_batch_count(const ledger *l)
{
	return l->batches;
}

void ledger_expect_head(ledger *l, const ledger_head *head)
{
	l->expecting = true;
	l->expected = *head;
}

ledger_head_status ledger_head_check(const ledger *l)
{
	return l->scanned ? l->head_status : LEDGER_HEAD_UNCHECKED;
}

/* ---- Appending --------------------------------------------------------- */

void ledger_batch_begin(ledger *l)
{
	require_scanned(l, "batch before a successful scan");
	if (l->in_batch)
		misuse("batch inside a batch");
	l->in_batch = true;
	l->have_begin = l->have_commit = l->too_long = false;
	l->length = 0;
	l->records = 0;
	l->batch_head = l->head;
}

/* Checks a line just formatted against what the scan will demand, so the
 * store never writes a ledger it would refuse to read. */
static void check_appended(ledger *l, const char *line, size_t length)
{
	record *rec = &l->rec;
	const char *id;
	size_t index = 0;
	int64_t count;

	if (record_parse(line, length, rec) != 0)
		misuse(rec->error);
	if (strcmp(rec->type, "begin") == 0) {
		if ((id = record_next(rec, "batch", &index)) == NULL)
			misuse("begin record without batch=");
		l->batch_id_length = rec->fields[index - 1].value_length;
		l->batch_id = xgrow(l->batch_id, &l->batch_id_capacity,
		                    l->batch_id_length + 1, 1);
		memcpy(l->batch_id, id, l->batch_id_length + 1);
		l->have_begin = true;
	} else if (strcmp(rec->type, "commit") == 0) {
		id = record_next(rec, "batch", &index);
		if (id == NULL || rec->fields[index - 1].value_length
		                  != l->batch_id_length
		    || memcmp(id, l->batch_id, l->batch_id_length) != 0)
			misuse("commit for another batch");
		if (!record_get_int(rec, "records", &count)
		    || count < 0 || (uint64_t)count != l->records)
			misuse("commit with a wrong records= count");
		l->have_commit = true;
	} else
		l->records++;
}

uint64_t ledger_append(ledger *l, const record_builder *rb)
{
	size_t text_length, body_length, line_length;
	const char *text = record_builder_text(rb, &text_length);
	char prefix[24], hex[2 * LEDGER_HASH_SIZE + 1];
	uint64_t seq;
	int prefix_length;
	char *line;

	if (!l->in_batch || l->have_commit)
		misuse("append outside a batch");
	if (rb->type_length == 0)
		misuse("append of an empty record");
	if (record_builder_is(rb, "begin") == l->have_begin)
		misuse(l->have_begin ? "second begin in a batch"
		                     : "batch does not start with begin");
	seq = l->batch_head.seq + 1;
	prefix_length = snprintf(prefix, sizeof prefix, "%" PRIu64 " ", seq);
	body_length = (size_t)prefix_length + text_length;
	line_length = body_length + 3 + 2 * LEDGER_HASH_SIZE + 1;
	if (line_length > LEDGER_LINE_MAX) {
		l->too_long = true;
		return seq;
	}
	l->buffer = xgrow(l->buffer, &l->capacity, l->length + line_length, 1);
	line = l->buffer + l->length;
	memcpy(line, prefix, (size_t)prefix_length);
	memcpy(line + prefix_length, text, text_length);
	chain_hash(l, l->batch_head.hash, line, body_length, l->batch_head.hash);
	ledger_hash_hex(l->batch_head.hash, hex);
	memcpy(line + body_length, " h=", 3);
	memcpy(line + body_length + 3, hex, 2 * LEDGER_HASH_SIZE);
	line[line_length - 1] = '\n';
	check_appended(l, line, line_length - 1);
	l->batch_head.seq = seq;
	l->length += line_length;
	return seq;
}

void ledger_batch_abort(ledger *l)
{
	l->in_batch = false;
	l->length = 0;
}

/* Puts the file back as it was before the batch; false when it cannot. */
static bool undo_write(ledger *l)
{
	if (ftruncate(l->fd, (off_t)l->committed) == 0 && fsync(l->fd) == 0)
		return true;
	l->broken = true;
	return false;
}

static int write_batch(ledger *l)
{
	size_t done = 0;

	while (done < l->length) {
		ssize_t wrote = pwrite(l->fd, l->buffer + done, l->length - done,
		                       (off_t)(l->committed + done));

		if (wrote < 0 && errno == EINTR)
			continue;
		if (wrote < 0)
			return errno;
		if (wrote == 0)
			return EIO;
		done += (size_t)wrote;
	}
	if (fsync(l->fd) != 0)
		return errno;
	return 0;
}

int ledger_batch_commit(ledger *l)
{
	char id[72];
	int error;

	if (!l->in_batch || !l->have_begin)
		misuse("commit without a begun batch");
	shown(l->batch_id, l->batch_id_length, id);
	if (!l->have_commit && !l->too_long) {
		record_begin(&l->commit, "commit");
		record_add_mem(&l->commit, "batch", l->batch_id,
		               l->batch_id_length);
		record_add_int(&l->commit, "records", (int64_t)l->records);
		ledger_append(l, &l->commit);
	}
	if (l->too_long) {
		ledger_batch_abort(l);
		diag_error(l->path, 0, "cannot write batch %s to the ledger: a "
		           "record is longer than %u bytes", id, LEDGER_LINE_MAX);
		return LEDGER_ENV;
	}
	if (l->broken) {
		ledger_batch_abort(l);
		diag_error(l->path, 0, "cannot write batch %s to the ledger: an "
		           "earlier failed write could not be undone", id);
		return LEDGER_ENV;
	}
	if (ledger_rollback_tail(l) != LEDGER_OK) {
		ledger_batch_abort(l);
		return LEDGER_ENV;
	}
	if ((error = write_batch(l)) != 0) {
		ledger_batch_abort(l);
		if (!undo_write(l))
			diag_error(l->path, 0, "cannot write batch %s to the ledger: "
			           "%s, and cannot truncate it back (%s): the next "
			           "run will roll the partial batch back", id,
			           strerror(error), strerror(errno));
		else
			diag_error(l->path, 0, "cannot write batch %s to the ledger: "
			           "%s; the ledger is unchanged", id, strerror(error));
		return LEDGER_ENV;
	}
	l->committed += l->length;
	l->size = l->committed;
	l->head = l->batch_head;
	l->batches++;
	ledger_batch_abort(l);
	return LEDGER_OK;
}
