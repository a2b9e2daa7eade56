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

#include <pthread.h>

#include <openssl/evp.h>

#include "util/diag.h"
#include "util/xalloc.h"

/* Scans read blocks of this size; one grows only for a longer line. */
#define SCAN_BLOCK (1024 * 1024)

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
	size_t scan_block;      /* see ledger_scan_tune */
	int scan_threads;
	bool scan_cpu_sha;

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
	/* A writer books only into a file its own user owns, with one name:
	 * a root cron job must not append to a file another user controls
	 * (or has linked to a file of root's). */
	if (mode == LEDGER_WRITE && st.st_uid != geteuid()) {
		close(fd);
		return diag_error(path, 0, "the ledger belongs to uid %lu, not to "
		                  "this process's user (uid %lu): refusing to "
		                  "write it", (unsigned long)st.st_uid,
		                  (unsigned long)geteuid());
	}
	if (mode == LEDGER_WRITE && st.st_nlink != 1) {
		close(fd);
		return diag_error(path, 0, "the ledger has %lu hard links: "
		                  "refusing to write it",
		                  (unsigned long)st.st_nlink);
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
	l->scan_block = SCAN_BLOCK;
	l->scan_threads = 2;
	l->scan_cpu_sha = true;
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

/* ---- Chain hashes -------------------------------------------------------
 * SHA-256(previous hash || body).  A scan checks a million of them, each
 * against the hash written on its line, so it hashes many lines at once
 * (chain_job): where the CPU has the SHA extensions, two lines side by
 * side, which gets half as much again out of its SHA unit as one line
 * after the other (where each round waits for the one before); elsewhere
 * one by one with OpenSSL. */

typedef struct chain_job {
	const unsigned char *prev;      /* LEDGER_HASH_SIZE bytes */
	const char *body;
	size_t length;
	unsigned char hash[LEDGER_HASH_SIZE];   /* the result */
} chain_job;

/* SHA-256(prev || body) with OpenSSL. */
static void sha256_chain(EVP_MD_CTX *md, const EVP_MD *sha256,
                         const unsigned char prev[LEDGER_HASH_SIZE],
                         const char *body, size_t length,
                         unsigned char out[LEDGER_HASH_SIZE])
{
	if (EVP_DigestInit_ex(md, sha256, NULL) != 1
	    || EVP_DigestUpdate(md, prev, LEDGER_HASH_SIZE) != 1
	    || EVP_DigestUpdate(md, body, length) != 1
	    || EVP_DigestFinal_ex(md, out, NULL) != 1)
		misuse("SHA-256 failed");
}

static void chain_hash(ledger *l, const unsigned char prev[LEDGER_HASH_SIZE],
                       const char *body, size_t length,
                       unsigned char out[LEDGER_HASH_SIZE])
{
	sha256_chain(l->md, l->sha256, prev, body, length, out);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>

#define SHA_NI __attribute__((target("sha,sse4.1,ssse3")))

static bool cpu_has_sha(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d)
	    || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return false;
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
}

/* The message SHA-256 reads for a job, 64 bytes at a time: a first block
 * of the previous hash and the body's first 32 bytes, the body's whole
 * blocks in place, then the rest of it padded (one block or two). */
typedef struct sha_message {
	const unsigned char *at[3];     /* the next block of each part */
	size_t blocks[3];               /* blocks left in each part */
	int part, parts;
	unsigned char head[64];
	unsigned char tail[128];
} sha_message;

static void message_start(sha_message *m, const chain_job *job)
{
	const unsigned char *body = (const unsigned char *)job->body;
	size_t length = job->length, rest, whole, have, padded;
	uint64_t bits = (uint64_t)(LEDGER_HASH_SIZE + length) * 8;

	m->part = m->parts = 0;
	if (length >= 64 - LEDGER_HASH_SIZE) {
		memcpy(m->head, job->prev, LEDGER_HASH_SIZE);
		memcpy(m->head + LEDGER_HASH_SIZE, body, 64 - LEDGER_HASH_SIZE);
		m->at[m->parts] = m->head;
		m->blocks[m->parts++] = 1;
		body += 64 - LEDGER_HASH_SIZE;
		rest = length - (64 - LEDGER_HASH_SIZE);
		if ((whole = rest / 64) > 0) {
			m->at[m->parts] = body;
			m->blocks[m->parts++] = whole;
		}
		have = rest - 64 * whole;
		memcpy(m->tail, body + 64 * whole, have);
	} else {
		memcpy(m->tail, job->prev, LEDGER_HASH_SIZE);
		memcpy(m->tail + LEDGER_HASH_SIZE, body, length);
		have = LEDGER_HASH_SIZE + length;
	}
	/* 0x80, zeros, and the length in bits, big-endian, to end a block. */
	padded = have + 9 <= 64 ? 64 : 128;
	m->tail[have] = 0x80;
	memset(m->tail + have + 1, 0, padded - have - 9);
	for (int i = 0; i < 8; i++)
		m->tail[padded - 1 - i] = (unsigned char)(bits >> (8 * i));
	m->at[m->parts] = m->tail;
	m->blocks[m->parts++] = padded / 64;
}

/* The next block, or NULL after the last. */
static const unsigned char *message_next(sha_message *m)
{
	const unsigned char *block;

	while (m->part < m->parts && m->blocks[m->part] == 0)
		m->part++;
	if (m->part == m->parts)
		return NULL;
	block = m->at[m->part];
	m->at[m->part] += 64;
	m->blocks[m->part]--;
	return block;
}

static const uint32_t sha256_k[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t sha256_iv[8] __attribute__((aligned(16))) = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* The state as the SHA instructions want it: words A B E F in one
 * register, C D G H in the other. */
typedef struct sha_state {
	__m128i abef, cdgh;
} sha_state;

/* Big-endian 32-bit words: the byte order of messages and digests. */
SHA_NI static inline __m128i byte_swap(__m128i x)
{
	return _mm_shuffle_epi8(x, _mm_set_epi64x(0x0c0d0e0f08090a0bLL,
	                                          0x0405060700010203LL));
}

SHA_NI static inline sha_state state_initial(void)
{
	__m128i dcba = _mm_load_si128((const __m128i *)&sha256_iv[0]);
	__m128i hgfe = _mm_load_si128((const __m128i *)&sha256_iv[4]);
	__m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);
	__m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
	sha_state s;

	s.abef = _mm_alignr_epi8(cdab, efgh, 8);
	s.cdgh = _mm_blend_epi16(efgh, cdab, 0xf0);
	return s;
}

SHA_NI static inline void state_digest(sha_state s,
                                       unsigned char out[LEDGER_HASH_SIZE])
{
	__m128i feba = _mm_shuffle_epi32(s.abef, 0x1b);
	__m128i dchg = _mm_shuffle_epi32(s.cdgh, 0xb1);

	_mm_storeu_si128((__m128i *)out,
	                 byte_swap(_mm_blend_epi16(feba, dchg, 0xf0)));
	_mm_storeu_si128((__m128i *)(out + 16),
	                 byte_swap(_mm_alignr_epi8(dchg, feba, 8)));
}

/* Words 4i..4i+3 of the message schedule from the four before. */
SHA_NI static inline __m128i schedule(__m128i w4, __m128i w3, __m128i w2,
                                      __m128i w1)
{
	return _mm_sha256msg2_epu32(
		_mm_add_epi32(_mm_sha256msg1_epu32(w4, w3),
		              _mm_alignr_epi8(w1, w2, 4)), w1);
}

/* One block into one state. */
SHA_NI static inline void compress1(sha_state *s, const unsigned char *p)
{
	__m128i x0 = s->abef, x1 = s->cdgh, w[4];

#pragma GCC unroll 16
	for (int i = 0; i < 16; i++) {
		__m128i k = _mm_load_si128((const __m128i *)&sha256_k[4 * i]), m;

		if (i < 4)
			w[i] = byte_swap(_mm_loadu_si128((const __m128i *)(p + 16 * i)));
		else
			w[i & 3] = schedule(w[i & 3], w[(i + 1) & 3], w[(i + 2) & 3],
			                    w[(i + 3) & 3]);
		m = _mm_add_epi32(w[i & 3], k);
		x1 = _mm_sha256rnds2_epu32(x1, x0, m);
		x0 = _mm_sha256rnds2_epu32(x0, x1, _mm_shuffle_epi32(m, 0x0e));
	}
	s->abef = _mm_add_epi32(s->abef, x0);
	s->cdgh = _mm_add_epi32(s->cdgh, x1);
}

/* One block each into two states, the rounds interleaved. */
SHA_NI static inline void compress2(sha_state *s, const unsigned char *p,
                                    sha_state *t, const unsigned char *q)
{
	__m128i x0 = s->abef, x1 = s->cdgh, y0 = t->abef, y1 = t->cdgh;
	__m128i v[4], w[4];

#pragma GCC unroll 16
	for (int i = 0; i < 16; i++) {
		__m128i k = _mm_load_si128((const __m128i *)&sha256_k[4 * i]), m, n;

		if (i < 4) {
			v[i] = byte_swap(_mm_loadu_si128((const __m128i *)(p + 16 * i)));
			w[i] = byte_swap(_mm_loadu_si128((const __m128i *)(q + 16 * i)));
		} else {
			v[i & 3] = schedule(v[i & 3], v[(i + 1) & 3], v[(i + 2) & 3],
			                    v[(i + 3) & 3]);
			w[i & 3] = schedule(w[i & 3], w[(i + 1) & 3], w[(i + 2) & 3],
			                    w[(i + 3) & 3]);
		}
		m = _mm_add_epi32(v[i & 3], k);
		n = _mm_add_epi32(w[i & 3], k);
		x1 = _mm_sha256rnds2_epu32(x1, x0, m);
		y1 = _mm_sha256rnds2_epu32(y1, y0, n);
		x0 = _mm_sha256rnds2_epu32(x0, x1, _mm_shuffle_epi32(m, 0x0e));
		y0 = _mm_sha256rnds2_epu32(y0, y1, _mm_shuffle_epi32(n, 0x0e));
	}
	s->abef = _mm_add_epi32(s->abef, x0);
	s->cdgh = _mm_add_epi32(s->cdgh, x1);
	t->abef = _mm_add_epi32(t->abef, y0);
	t->cdgh = _mm_add_epi32(t->cdgh, y1);
}

/* A job on one of the two lanes. */
typedef struct lane {
	chain_job *job;                 /* NULL: idle */
	sha_state state;
	sha_message message;
	const unsigned char *block;     /* the next one to compress */
} lane;

SHA_NI static void lane_take(lane *ln, chain_job *job)
{
	ln->job = job;
	if (job == NULL)
		return;
	ln->state = state_initial();
	message_start(&ln->message, job);
	ln->block = message_next(&ln->message);
}

/* After a block: on to the next, or the job is done and the lane takes
 * the next one. */
SHA_NI static void lane_step(lane *ln, chain_job **next, chain_job *end)
{
	if ((ln->block = message_next(&ln->message)) != NULL)
		return;
	state_digest(ln->state, ln->job->hash);
	lane_take(ln, *next < end ? (*next)++ : NULL);
}

SHA_NI static void hash_jobs_ni(chain_job *jobs, size_t count)
{
	chain_job *next = jobs, *end = jobs + count;
	lane a, b;

	lane_take(&a, next < end ? next++ : NULL);
	lane_take(&b, next < end ? next++ : NULL);
	while (a.job != NULL || b.job != NULL) {
		if (a.job != NULL && b.job != NULL) {
			compress2(&a.state, a.block, &b.state, b.block);
			lane_step(&a, &next, end);
			lane_step(&b, &next, end);
		} else if (a.job != NULL) {
			compress1(&a.state, a.block);
			lane_step(&a, &next, end);
		} else {
			compress1(&b.state, b.block);
			lane_step(&b, &next, end);
		}
	}
}
#else
static bool cpu_has_sha(void)
{
	return false;
}
#endif

/* Hashes count jobs: with the SHA instructions when use_cpu, else with
 * OpenSSL through md. */
static void hash_jobs(bool use_cpu, EVP_MD_CTX *md, const EVP_MD *sha256,
                      chain_job *jobs, size_t count)
{
#ifdef HAVE_SHA_NI
	if (use_cpu) {
		hash_jobs_ni(jobs, count);
		return;
	}
#else
	(void)use_cpu;
#endif
	for (size_t i = 0; i < count; i++)
		sha256_chain(md, sha256, jobs[i].prev, jobs[i].body,
		             jobs[i].length, jobs[i].hash);
}

/* ---- Reading ------------------------------------------------------------
 * The file is read in blocks of whole lines.  Checking a line's syntax and
 * hash needs nothing from the lines before it but the hash written on the
 * one just before, so blocks are checked by two threads at once (the
 * caller's and a helper), each noting the first line of the block that
 * fails.  The caller's thread then walks the blocks in file order for what
 * does need the order: sequence numbers, batch framing, the head, the
 * callback, and the first failure, which it reports just as reading one
 * line after another would: of two failures the one on the earlier line,
 * and on one line syntax first, then the sequence number, the hash, the
 * framing, the callback. */

/* " h=" and the 64 hex digits that end every line. */
#define HASH_FIELD (3 + 2 * LEDGER_HASH_SIZE)
/* Blocks in flight (read, not yet walked), and the most memory they may
 * take unless one line alone needs more. */
#define SCAN_SLOTS 4
#define SCAN_AHEAD (16 * 1024 * 1024)

typedef enum {
	BLOCK_LINES,            /* whole lines, each with its newline */
	BLOCK_FRAGMENT,         /* the bytes after the last newline */
	BLOCK_END,              /* nothing more */
	BLOCK_TOO_LONG,         /* a line longer than LEDGER_LINE_MAX */
	BLOCK_READ_ERROR
} block_kind;

typedef struct scan_block {
	char *data;
	size_t capacity, length;
	uint64_t offset;        /* in the file, of data[0] */
	block_kind kind;
	int read_error;         /* errno, for BLOCK_READ_ERROR */
	unsigned char prev[LEDGER_HASH_SIZE];   /* written on the line before */
	bool checked;           /* under the lock while a helper runs */
	/* Found by the check: where the lines end (the offsets of their
	 * newlines, as far as the check went) and the first line that fails
	 * it, if any. */
	uint32_t *ends;
	size_t lines, ends_capacity;
	size_t bad_line;        /* its index in the block, SIZE_MAX: none */
	bool bad_syntax;        /* malformed (why in error), else a wrong hash */
	char error[sizeof ((record *)0)->error];
} scan_block;

/* Lines hashed at once by a check. */
#define CHECK_BATCH 32

/* What one checking thread needs of its own. */
typedef struct checker {
	EVP_MD_CTX *md;
	record rec;
	chain_job jobs[CHECK_BATCH];
	unsigned char written[CHECK_BATCH][LEDGER_HASH_SIZE];
	unsigned char prev[LEDGER_HASH_SIZE];
} checker;

typedef struct reader {
	ledger *l;
	bool syntax;            /* check the syntax too (no record_parse later) */
	bool cpu_sha;           /* hash with the CPU's SHA instructions */
	size_t block_bytes;
	scan_block blocks[SCAN_SLOTS];          /* block n is blocks[n % SLOTS] */
	uint64_t read, claimed, walked;         /* blocks so far */
	size_t ahead;           /* bytes of the blocks in flight */
	bool at_end;            /* the last block has been read */
	uint64_t offset;        /* where the next block starts */
	uint64_t size;          /* of the file, once at_end */
	unsigned char carry[LEDGER_HASH_SIZE];  /* on the last line read */
	checker own;

	bool threaded, stop;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	checker helper;
} reader;

static void reader_lock(reader *r)
{
	if (r->threaded)
		pthread_mutex_lock(&r->lock);
}

static void reader_unlock(reader *r)
{
	if (r->threaded)
		pthread_mutex_unlock(&r->lock);
}

/* The hash at the end of a line, if it is there. */
static bool written_hash(const char *line, size_t length,
                         unsigned char hash[LEDGER_HASH_SIZE])
{
	return length >= HASH_FIELD
	    && memcmp(line + length - HASH_FIELD, " h=", 3) == 0
	    && ledger_hash_parse(line + length - 2 * LEDGER_HASH_SIZE, hash);
}

/* Notes line index of b as the first to fail the check. */
static void check_failed(scan_block *b, size_t index, const char *error)
{
	b->bad_line = index;
	b->bad_syntax = error != NULL;
	if (error != NULL)
		memcpy(b->error, error, sizeof b->error);
}

/* Finds the first line of b whose syntax (when r->syntax) or hash is
 * wrong.  Runs on either thread: it reads the block and writes only the
 * verdict.  Gathers up to CHECK_BATCH lines, hashes them together, and
 * so on. */
static void check_block(const reader *r, checker *ck, scan_block *b)
{
	const char *p = b->data, *end = b->data + b->length;
	size_t index = 0;

	b->bad_line = SIZE_MAX;
	b->lines = 0;
	if (b->kind != BLOCK_LINES)
		return;
	/* Every line the check passes is longer than its hash field. */
	b->ends = xgrow(b->ends, &b->ends_capacity, b->length / HASH_FIELD + 1,
	                sizeof *b->ends);
	memcpy(ck->prev, b->prev, LEDGER_HASH_SIZE);
	while (p < end) {
		size_t first = index, count = 0;
		bool failed = false;

		for (; count < CHECK_BATCH && p < end; count++, index++) {
			const char *newline = memchr(p, '\n', (size_t)(end - p));
			size_t length = (size_t)(newline - p);
			chain_job *job = &ck->jobs[count];

			b->ends[b->lines++] = (uint32_t)(newline - b->data);
			if (r->syntax) {
				if (record_check(p, length, &ck->rec) != 0) {
					check_failed(b, index, ck->rec.error);
					failed = true;
					break;
				}
				memcpy(ck->written[count], ck->rec.hash, LEDGER_HASH_SIZE);
			} else if (!written_hash(p, length, ck->written[count])) {
				/* No hash: malformed, as the walk will say. */
				check_failed(b, index, NULL);
				failed = true;
				break;
			}
			job->prev = count == 0 ? ck->prev : ck->written[count - 1];
			job->body = p;
			job->length = length - HASH_FIELD;
			p = newline + 1;
		}
		/* A wrong hash on an earlier line comes first. */
		hash_jobs(r->cpu_sha, ck->md, r->l->sha256, ck->jobs, count);
		for (size_t i = 0; i < count; i++)
			if (memcmp(ck->jobs[i].hash, ck->written[i],
			           LEDGER_HASH_SIZE) != 0) {
				check_failed(b, first + i, NULL);
				return;
			}
		if (failed)
			return;
		memcpy(ck->prev, ck->written[count - 1], LEDGER_HASH_SIZE);
	}
	if (b->capacity > r->block_bytes)       /* a long line: let it go */
		record_free(&ck->rec);
}

/* Reads the next block into b: whole lines from r->offset, as many as fit
 * (growing b for a line longer than it, up to LEDGER_LINE_MAX). */
static void read_block(reader *r, scan_block *b)
{
	size_t filled = 0;
	bool eof = false;

	b->offset = r->offset;
	b->length = 0;
	b->checked = false;
	memcpy(b->prev, r->carry, LEDGER_HASH_SIZE);
	if (b->capacity < r->block_bytes) {
		free(b->data);
		b->data = xmalloc(r->block_bytes);
		b->capacity = r->block_bytes;
	}
	for (;;) {
		const char *newline;

		while (filled < b->capacity && !eof) {
			ssize_t got = pread(r->l->fd, b->data + filled,
			                    b->capacity - filled,
			                    (off_t)(b->offset + filled));

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				b->kind = BLOCK_READ_ERROR;
				b->read_error = errno;
				return;
			}
			eof = got == 0;
			filled += (size_t)got;
		}
		if ((newline = memrchr(b->data, '\n', filled)) != NULL) {
			b->kind = BLOCK_LINES;
			b->length = (size_t)(newline - b->data) + 1;
			r->offset += b->length;
			/* A last line without a hash fails before the next
			 * block matters. */
			if (!written_hash(b->data, b->length - 1, r->carry))
				memset(r->carry, 0, LEDGER_HASH_SIZE);
			return;
		}
		if (eof) {
			b->kind = filled > 0 ? BLOCK_FRAGMENT : BLOCK_END;
			b->length = filled;
			r->size = r->offset + filled;
			return;
		}
		if (b->capacity >= LEDGER_LINE_MAX) {
			b->kind = BLOCK_TOO_LONG;
			return;
		}
		b->capacity = b->capacity < LEDGER_LINE_MAX / 2
		            ? 2 * b->capacity : LEDGER_LINE_MAX;
		b->data = xrealloc(b->data, b->capacity);
	}
}

static void *helper_main(void *arg)
{
	reader *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		scan_block *b;

		while (!r->stop && r->claimed == r->read)
			pthread_cond_wait(&r->work, &r->lock);
		if (r->stop)
			break;
		b = &r->blocks[r->claimed++ % SCAN_SLOTS];
		pthread_mutex_unlock(&r->lock);
		check_block(r, &r->helper, b);
		pthread_mutex_lock(&r->lock);
		b->checked = true;
		pthread_cond_signal(&r->done);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void reader_start(reader *r, ledger *l, bool syntax)
{
	struct stat st;

	memset(r, 0, sizeof *r);
	r->l = l;
	r->syntax = syntax;
	r->cpu_sha = l->scan_cpu_sha && cpu_has_sha();
	r->block_bytes = l->scan_block;
	r->own.md = l->md;
	if (l->scan_threads < 2 || fstat(l->fd, &st) != 0
	    || (uint64_t)st.st_size <= r->block_bytes)
		return;
	if ((r->helper.md = EVP_MD_CTX_new()) == NULL)
		return;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->done, NULL);
	r->threaded = pthread_create(&r->thread, NULL, helper_main, r) == 0;
	if (!r->threaded) {         /* then the caller's thread does it all */
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->work);
		pthread_cond_destroy(&r->done);
	}
}

static void reader_stop(reader *r)
{
	if (r->threaded) {
		pthread_mutex_lock(&r->lock);
		r->stop = true;
		pthread_cond_signal(&r->work);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->thread, NULL);
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->work);
		pthread_cond_destroy(&r->done);
	}
	EVP_MD_CTX_free(r->helper.md);
	record_free(&r->helper.rec);
	record_free(&r->own.rec);
	for (size_t i = 0; i < SCAN_SLOTS; i++) {
		free(r->blocks[i].data);
		free(r->blocks[i].ends);
	}
}

/* Reads ahead into the free slots; the helper may start on them. */
static void refill(reader *r)
{
	while (!r->at_end && r->read - r->walked < SCAN_SLOTS
	       && (r->read == r->walked || r->ahead < SCAN_AHEAD)) {
		scan_block *b = &r->blocks[r->read % SCAN_SLOTS];

		read_block(r, b);
		r->ahead += b->capacity;
		r->at_end = b->kind != BLOCK_LINES;
		reader_lock(r);
		r->read++;
		if (r->threaded)
			pthread_cond_signal(&r->work);
		reader_unlock(r);
	}
}

/* The next block in file order, checked: checks blocks itself (the oldest
 * first) rather than wait for the helper. */
static scan_block *next_block(reader *r)
{
	scan_block *b = &r->blocks[r->walked % SCAN_SLOTS];

	refill(r);
	reader_lock(r);
	while (!b->checked) {
		if (r->claimed < r->read) {
			scan_block *c = &r->blocks[r->claimed++ % SCAN_SLOTS];

			reader_unlock(r);
			check_block(r, &r->own, c);
			reader_lock(r);
			c->checked = true;
		} else
			pthread_cond_wait(&r->done, &r->lock);
	}
	reader_unlock(r);
	return b;
}

/* After the walk: the slot is free again (and small again, if a long line
 * made it grow). */
static void block_done(reader *r, scan_block *b)
{
	r->ahead -= b->capacity;
	if (b->capacity > r->block_bytes) {
		free(b->data);
		free(b->ends);
		b->data = NULL;
		b->ends = NULL;
		b->capacity = b->ends_capacity = 0;
	}
	reader_lock(r);
	b->checked = false;
	r->walked++;
	reader_unlock(r);
}

/* ---- Scanning ---------------------------------------------------------- */

typedef struct scan_state {
	ledger *l;
	ledger_record_fn fn;
	ledger_view_fn view_fn;
	void *ctx;
	long line;
	uint64_t next_seq;
	bool in_batch;
	char *batch;            /* id of the open batch */
	size_t batch_length, batch_capacity;
	char *id;               /* a view's batch= value, decoded */
	size_t id_capacity;
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

/* What batch framing needs of a line. */
typedef struct frame {
	enum { FRAME_BEGIN, FRAME_COMMIT, FRAME_OTHER } kind;
	const char *type;       /* type_length bytes */
	size_t type_length;
	const char *id;         /* the first batch= value (begin, commit) */
	size_t id_length;
	bool count_valid;       /* records= is an integer (commit) */
	int64_t count;
} frame;

static void frame_record(const record *rec, frame *f)
{
	size_t index = 0;

	memset(f, 0, sizeof *f);
	f->type = rec->type;
	f->type_length = strlen(rec->type);
	if (strcmp(rec->type, "begin") == 0)
		f->kind = FRAME_BEGIN;
	else if (strcmp(rec->type, "commit") == 0)
		f->kind = FRAME_COMMIT;
	else {
		f->kind = FRAME_OTHER;
		return;
	}
	if ((f->id = record_next(rec, "batch", &index)) != NULL)
		f->id_length = rec->fields[index - 1].value_length;
	if (f->kind == FRAME_COMMIT)
		f->count_valid = record_get_int(rec, "records", &f->count);
}

static void frame_view(scan_state *st, const record_view *view, frame *f)
{
	record_view_field field;

	memset(f, 0, sizeof *f);
	f->type = view->type;
	f->type_length = view->type_length;
	if (record_view_is(view, "begin"))
		f->kind = FRAME_BEGIN;
	else if (record_view_is(view, "commit"))
		f->kind = FRAME_COMMIT;
	else {
		f->kind = FRAME_OTHER;
		return;
	}
	if (record_view_find(view, "batch", &field)) {
		st->id = xgrow(st->id, &st->id_capacity, field.raw_length + 1, 1);
		f->id_length = record_view_value(&field, st->id, st->id_capacity);
		f->id = st->id;
	}
	if (f->kind == FRAME_COMMIT && record_view_find(view, "records", &field))
		f->count_valid = record_view_int(&field, &f->count);
}

static int check_framing(scan_state *st, const frame *f)
{
	char a[72], b[72];

	if (f->kind == FRAME_BEGIN) {
		if (f->id == NULL)
			return integrity(st, "begin record without a batch= field");
		if (st->in_batch)
			return integrity(st, "begin of batch %s inside batch %s",
			                 shown(f->id, f->id_length, a),
			                 shown(st->batch, st->batch_length, b));
		st->batch = xgrow(st->batch, &st->batch_capacity,
		                  f->id_length + 1, 1);
		memcpy(st->batch, f->id, f->id_length);
		st->batch_length = f->id_length;
		st->in_batch = true;
		st->records = 0;
		return 0;
	}
	if (f->kind == FRAME_OTHER) {
		if (!st->in_batch)
			return integrity(st, "%.*s record outside a batch",
			                 (int)f->type_length, f->type);
		st->records++;
		return 0;
	}
	if (f->id == NULL)
		return integrity(st, "commit record without a batch= field");
	if (!st->in_batch)
		return integrity(st, "commit for batch %s without begin",
		                 shown(f->id, f->id_length, a));
	if (f->id_length != st->batch_length
	    || memcmp(f->id, st->batch, f->id_length) != 0)
		return integrity(st, "commit for batch %s inside batch %s",
		                 shown(f->id, f->id_length, a),
		                 shown(st->batch, st->batch_length, b));
	if (!f->count_valid || f->count < 0)
		return integrity(st, "commit of batch %s without a valid "
		                 "records= field", shown(f->id, f->id_length, a));
	if ((uint64_t)f->count != st->records)
		return integrity(st, "commit of batch %s counts %" PRId64
		                 " records, the batch has %" PRIu64,
		                 shown(f->id, f->id_length, a), f->count,
		                 st->records);
	st->in_batch = false;
	return 0;
}

/* After a good line: the head, the expected head, the next number.  hex is
 * the line's hash as written. */
static void line_done(scan_state *st, uint64_t seq, const char *hex,
                      uint64_t end)
{
	ledger *l = st->l;
	unsigned char hash[LEDGER_HASH_SIZE];
	bool expected = l->expecting && seq == l->expected.seq;

	if ((!st->in_batch || expected) && !ledger_hash_parse(hex, hash))
		misuse("a checked line without its hash");
	if (!st->in_batch) {        /* this line was a commit */
		st->committed = end;
		st->batches++;
		st->head.seq = seq;
		memcpy(st->head.hash, hash, LEDGER_HASH_SIZE);
	}
	if (expected) {
		st->head_seen = true;
		st->head_matches = memcmp(hash, l->expected.hash,
		                          LEDGER_HASH_SIZE) == 0;
		st->head_end = end;
	}
	st->next_seq++;
}

/* Line `index` of block b, for a ledger_scan callback: parsed in full. */
static int walk_record(scan_state *st, const scan_block *b, size_t index,
                       const char *line, size_t length, uint64_t end)
{
	record *rec = &st->l->rec;
	frame f;
	int status;

	st->line++;
	if (record_parse(line, length, rec) != 0)
		return integrity(st, "malformed record: %s", rec->error);
	if (rec->seq != st->next_seq)
		return integrity(st, "sequence %" PRIu64 " expected, found %" PRIu64,
		                 st->next_seq, rec->seq);
	if (index == b->bad_line)
		return integrity(st, "hash does not match the chain");
	frame_record(rec, &f);
	if ((status = check_framing(st, &f)) != 0)
		return status;
	line_done(st, rec->seq, line + length - 2 * LEDGER_HASH_SIZE, end);
	if (st->fn != NULL)
		return st->fn(st->ctx, rec, st->line);
	return 0;
}

/* The same for a view: the check has seen the syntax already. */
static int walk_view(scan_state *st, const scan_block *b, size_t index,
                     const char *line, size_t length, uint64_t end)
{
	record_view view;
	frame f;
	int status;

	st->line++;
	if (index == b->bad_line && b->bad_syntax)
		return integrity(st, "malformed record: %s", b->error);
	record_view_init(&view, line, length - HASH_FIELD);
	if (view.seq != st->next_seq)
		return integrity(st, "sequence %" PRIu64 " expected, found %" PRIu64,
		                 st->next_seq, view.seq);
	if (index == b->bad_line)
		return integrity(st, "hash does not match the chain");
	frame_view(st, &view, &f);
	if ((status = check_framing(st, &f)) != 0)
		return status;
	line_done(st, view.seq, line + length - 2 * LEDGER_HASH_SIZE, end);
	if (st->view_fn != NULL)
		return st->view_fn(st->ctx, &view, st->line);
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

static int walk_block(scan_state *st, const reader *r, const scan_block *b)
{
	int status;

	switch (b->kind) {
	case BLOCK_END:
		return 0;
	case BLOCK_FRAGMENT:
		return scan_fragment(st, b->data, b->length);
	case BLOCK_TOO_LONG:
		st->line++;
		return integrity(st, "line longer than %u bytes", LEDGER_LINE_MAX);
	case BLOCK_READ_ERROR:
		diag_error(st->l->path, 0, "cannot read the ledger: %s",
		           strerror(b->read_error));
		return LEDGER_ENV;
	case BLOCK_LINES:
		break;
	}
	for (size_t index = 0, start = 0; index < b->lines; index++) {
		size_t length = b->ends[index] - start;
		uint64_t line_end = b->offset + b->ends[index] + 1;

		if (r->syntax)
			status = walk_view(st, b, index, b->data + start, length,
			                   line_end);
		else
			status = walk_record(st, b, index, b->data + start, length,
			                     line_end);
		if (status != 0)
			return status;
		start = b->ends[index] + 1;
	}
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

static int scan(ledger *l, ledger_record_fn fn, ledger_view_fn view_fn,
                void *ctx)
{
	scan_state st;
	reader r;
	int status;
	bool more;

	if (l->in_batch)
		misuse("scan while a batch is being built");
	memset(&st, 0, sizeof st);
	st.l = l;
	st.fn = fn;
	st.view_fn = view_fn;
	st.ctx = ctx;
	st.next_seq = 1;
	l->scanned = false;
	l->head_status = LEDGER_HEAD_UNCHECKED;
	(void)posix_fadvise(l->fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	reader_start(&r, l, fn == NULL);
	do {
		scan_block *b = next_block(&r);

		status = walk_block(&st, &r, b);
		more = b->kind == BLOCK_LINES;
		block_done(&r, b);
	} while (status == 0 && more);
	reader_stop(&r);
	free(st.batch);
	free(st.id);
	if (status != 0)
		return status;
	l->scanned = true;
	l->size = r.size;
	l->committed = st.committed;
	l->batches = st.batches;
	l->head = st.head;
	l->head_status = head_status(l, &st);
	return LEDGER_OK;
}

int ledger_scan(ledger *l, ledger_record_fn fn, void *ctx)
{
	return scan(l, fn, NULL, ctx);
}

int ledger_scan_views(ledger *l, ledger_view_fn fn, void *ctx)
{
	return scan(l, NULL, fn, ctx);
}

int ledger_read_lines(ledger *l, ledger_line_fn fn, void *ctx)
{
	/* the scan's block reader, with nothing checked */
	reader r = { .l = l, .block_bytes = l->scan_block };
	scan_block b = { 0 };
	long number = 0;
	int status = LEDGER_OK;

	do {
		const char *p, *end, *newline;

		read_block(&r, &b);
		if (b.kind == BLOCK_READ_ERROR) {
			diag_error(l->path, 0, "cannot read the ledger: %s",
			           strerror(b.read_error));
			status = LEDGER_ENV;
			break;
		}
		/* a fragment, a line too long, the end: no more lines */
		end = b.data + (b.kind == BLOCK_LINES ? b.length : 0);
		for (p = b.data; status == LEDGER_OK && p < end; p = newline + 1) {
			newline = memchr(p, '\n', (size_t)(end - p));
			status = fn(ctx, p, (size_t)(newline - p), ++number);
		}
	} while (status == LEDGER_OK && b.kind == BLOCK_LINES);
	free(b.data);
	free(b.ends);
	return status;
}

void ledger_scan_tune(ledger *l, size_t block_bytes, int threads,
                      bool cpu_sha)
{
	l->scan_block = block_bytes > 0 ? block_bytes : SCAN_BLOCK;
	l->scan_threads = threads;
	l->scan_cpu_sha = cpu_sha;
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

/* The line of buf that ends just before the newline at end (buf[end]),
 * when its start is inside buf: *start is set and true returned. */
static bool line_before(const char *buf, size_t end, size_t *start)
{
	const char *newline = end > 0 ? memrchr(buf, '\n', end) : NULL;

	if (newline == NULL)
		return false;
	*start = (size_t)(newline - buf) + 1;
	return true;
}

int ledger_last_commit_seq(ledger *l, uint64_t *seq)
{
	struct stat st;
	size_t capacity = l->scan_block;
	char *buf = NULL;
	uint64_t end;           /* the file up to end is still to search */
	record rec;
	int status = LEDGER_OK;

	*seq = 0;
	if (fstat(l->fd, &st) != 0) {
		diag_error(l->path, 0, "cannot read: %s", strerror(errno));
		return LEDGER_ENV;
	}
	record_init(&rec);
	end = (uint64_t)st.st_size;
	/* Reads the file backwards, a block at a time, each block ending with
	 * a newline (the cut-short last line, if any, is left out), and looks
	 * at its lines from the last. */
	while (end > 0) {
		size_t want = end < capacity ? (size_t)end : capacity, got = 0;
		uint64_t from = end - want;
		size_t line_end, start;

		buf = xrealloc(buf, capacity);
		while (got < want) {
			ssize_t n = pread(l->fd, buf + got, want - got,
			                  (off_t)(from + got));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				diag_error(l->path, 0, "cannot read: %s",
				           n < 0 ? strerror(errno) : "file shrank");
				status = LEDGER_ENV;
				goto done;
			}
			got += (size_t)n;
		}
		if (buf[want - 1] != '\n') {
			const char *newline = memrchr(buf, '\n', want);
			if (newline == NULL && from == 0)
				break;          /* no whole line at all */
			if (newline == NULL) {
				capacity *= 2;  /* one line longer than the block */
				if (capacity > 2 * (size_t)LEDGER_LINE_MAX)
					break;  /* the scan will refuse it */
				continue;
			}
			end = from + (uint64_t)(newline - buf) + 1;
			continue;
		}
		/* Each line, from the last, while it starts inside the block
		 * (the first line of the file always does). */
		for (line_end = want - 1;; line_end = start - 1) {
			if (!line_before(buf, line_end, &start)) {
				if (from > 0)
					break;
				start = 0;
			}
			if (record_parse(buf + start, line_end - start, &rec) == 0 &&
			    strcmp(rec.type, "commit") == 0) {
				*seq = rec.seq;
				goto done;
			}
			if (start == 0)
				break;
		}
		if (from == 0)
			break;
		/* The block's first line may begin before it: search again up
		 * to (and with) that line's newline. */
		if (line_end == want - 1)
			capacity *= 2;  /* not even one whole line in the block */
		if (capacity > 2 * (size_t)LEDGER_LINE_MAX)
			break;
		end = from + (uint64_t)line_end + 1;
	}
done:
	free(buf);
	record_free(&rec);
	return status;
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
