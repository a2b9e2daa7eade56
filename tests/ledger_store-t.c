/* Tests for src/ledger_store.c: the file as the promises of SPEC §3 see it.
 * Every flipped byte of a ledger is caught at its line; a ledger cut at any
 * byte of its last batch opens, rolls back to the previous commit exactly,
 * and books the batch again to the same bytes; a second writer is turned
 * away at once; a write that fails (EFBIG) leaves the file as it was. */
#include "tap.h"
#include "cmd.h"
#include "ledger_codec.h"
#include "ledger_store.h"
#include "util/diag.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define H0 "0000000000000000000000000000000000000000000000000000000000000000"

/* ---- Helpers ----------------------------------------------------------- */

static void write_file(const char *path, const char *data, size_t length)
{
	FILE *file;

	unlink(path);
	if ((file = fopen(path, "wb")) == NULL
	    || fwrite(data, 1, length, file) != length || fclose(file) != 0)
		bail("cannot write %s: %s", path, strerror(errno));
}

static bool same_file(const char *path, const char *data, size_t length)
{
	size_t got;
	char *text = test_read_file(path, &got);
	bool same = text != NULL && got == length
	         && memcmp(text, data, length) == 0;

	free(text);
	return same;
}

/* Diagnostics go to a memory stream between capture_begin/capture_end. */
static FILE *capture_stream;
static char *capture_text;
static size_t capture_length;

static void capture_begin(void)
{
	free(capture_text);
	capture_text = NULL;
	capture_stream = open_memstream(&capture_text, &capture_length);
	diag_set_stream(capture_stream);
}

/* The text captured; owned here, valid until the next capture_begin. */
static const char *capture_end(void)
{
	diag_set_stream(NULL);
	fclose(capture_stream);
	return capture_text;
}

/* format with its one "%s" replaced by path. */
static char *expect_text(const char *format, const char *path)
{
	const char *at = strstr(format, "%s");
	size_t length = strlen(format) + strlen(path) + 1;
	char *text = malloc(length);

	if (at == NULL)
		memcpy(text, format, strlen(format) + 1);
	else
		snprintf(text, length, "%.*s%s%s", (int)(at - format), format,
		         path, at + 2);
	return text;
}

static void is_message(const char *format, const char *path,
                       const char *seen, const char *description)
{
	char *want = expect_text(format, path);

	is_string(want, seen, "%s", description);
	free(want);
}

typedef struct counts {
	long records, begins, commits, last_line;
	bool lines_in_order;
	bool other_thread;      /* a callback ran off the caller's thread */
	pthread_t caller;
	long stop_at;
} counts;

static int count_line(counts *c, const char *type, size_t type_length,
                      long line)
{
	if (line != c->last_line + 1)
		c->lines_in_order = false;
	if (!pthread_equal(pthread_self(), c->caller))
		c->other_thread = true;
	c->last_line = line;
	c->records++;
	if (type_length == 5 && memcmp(type, "begin", 5) == 0)
		c->begins++;
	else if (type_length == 6 && memcmp(type, "commit", 6) == 0)
		c->commits++;
	return c->stop_at == line ? 77 : 0;
}

static int count_record(void *ctx, const record *rec, long line)
{
	return count_line(ctx, rec->type, strlen(rec->type), line);
}

static int count_view(void *ctx, const record_view *view, long line)
{
	return count_line(ctx, view->type, view->type_length, line);
}

static void counts_init(counts *c)
{
	memset(c, 0, sizeof *c);
	c->lines_in_order = true;
	c->caller = pthread_self();
}

/* ---- Scanning every way -------------------------------------------------
 * A scan must find and say the same whatever its blocks, threads and hash
 * code, and whether it parses records or views them. */

typedef struct scan_way {
	size_t block;           /* ledger_scan_tune's arguments */
	int threads;
	bool cpu_sha;
	int fn;                 /* 0: none, 1: records, 2: views */
} scan_way;

static const scan_way scan_ways[] = {
	{0, 1, true, 0},        /* the reference: one thread, one block */
	{1, 2, true, 0},        /* a line per block, grown to fit it */
	{100, 2, false, 1},
	{1, 2, true, 2},
	{4096, 2, true, 1},
	{300, 2, true, 2},
	{1, 1, false, 2},
	{64, 2, false, 0},
};
#define SCAN_WAYS (sizeof scan_ways / sizeof scan_ways[0])

/* What a scan found and said. */
typedef struct scan_result {
	int status;
	char *message;
	char head[LEDGER_HEAD_TEXT_SIZE];
	unsigned long long size, tail, batches;
	counts counts;
} scan_result;

static void scan_way_run(const char *path, const scan_way *way,
                         scan_result *out)
{
	ledger *l;

	memset(out, 0, sizeof *out);
	counts_init(&out->counts);
	capture_begin();
	out->status = ledger_open(path, LEDGER_READ, &l);
	if (out->status == LEDGER_OK) {
		ledger_scan_tune(l, way->block, way->threads, way->cpu_sha);
		if (way->fn == 1)
			out->status = ledger_scan(l, count_record, &out->counts);
		else if (way->fn == 2)
			out->status = ledger_scan_views(l, count_view, &out->counts);
		else
			out->status = ledger_scan(l, NULL, NULL);
		if (out->status == LEDGER_OK) {
			ledger_head h = ledger_head_get(l);

			ledger_head_format(&h, out->head);
			out->size = ledger_size(l);
			out->tail = ledger_tail_bytes(l);
			out->batches = ledger_batch_count(l);
		}
		ledger_close(l);
	}
	out->message = strdup(capture_end());
}

/* Whether two ways agree (callbacks are compared when both had one). */
static bool scan_same(const scan_result *a, const scan_result *b,
                      bool callbacks)
{
	return a->status == b->status && strcmp(a->message, b->message) == 0
	    && strcmp(a->head, b->head) == 0 && a->size == b->size
	    && a->tail == b->tail && a->batches == b->batches
	    && (!callbacks
	        || (a->counts.records == b->counts.records
	            && a->counts.begins == b->counts.begins
	            && a->counts.commits == b->counts.commits
	            && a->counts.lines_in_order == b->counts.lines_in_order));
}

/* Every way scans path alike; the reference's result is in *out. */
static bool all_ways_agree(const char *path, scan_result *out)
{
	bool same = true;

	scan_way_run(path, &scan_ways[0], out);
	for (size_t i = 1; i < SCAN_WAYS; i++) {
		scan_result alt;

		scan_way_run(path, &scan_ways[i], &alt);
		if (!scan_same(out, &alt, false) || alt.counts.other_thread) {
			diag("scan way %zu: status %d \"%s\", reference %d \"%s\"",
			     i, alt.status, alt.message, out->status, out->message);
			same = false;
		}
		free(alt.message);
	}
	return same;
}

/* Scans path the reference way into *out and way `other` too; false (with
 * a diag) when they differ or a callback ran off the caller's thread. */
static bool scan_agrees(const char *path, size_t other, scan_result *out)
{
	scan_result alt;
	bool same;

	scan_way_run(path, &scan_ways[0], out);
	scan_way_run(path, &scan_ways[other], &alt);
	same = scan_same(out, &alt, false) && !alt.counts.other_thread;
	if (!same)
		diag("scan way %zu: status %d \"%s\", reference %d \"%s\"",
		     other, alt.status, alt.message, out->status, out->message);
	free(alt.message);
	return same;
}

/* Books batch n (1, 2, 3: n records each) into an open ledger. */
static int book(ledger *l, int n, bool explicit_commit)
{
	record_builder rb = {0};
	char id[16], file[32], order[32];
	int status;

	snprintf(id, sizeof id, "B-%d", n);
	snprintf(file, sizeof file, "batch %d.xml", n);
	ledger_batch_begin(l);
	record_begin(&rb, "begin");
	record_add_str(&rb, "batch", id);
	record_add_str(&rb, "file", file);
	ledger_append(l, &rb);
	for (int i = 1; i <= n; i++) {
		snprintf(order, sizeof order, "ORD-%d-%d", n, i);
		record_begin(&rb, "order");
		record_add_str(&rb, "id", order);
		record_add_str(&rb, "client", "\xd0\x9e\xd0\x9e\xd0\x9e "
		               "\xc2\xab\xd0\xa0\xd0\xbe\xd0\xbc\xd0\xb0\xd1\x88"
		               "\xd0\xba\xd0\xb0\xc2\xbb");
		record_add_str(&rb, "title", "say \"hi\"\n\tthen \\ leave");
		record_add_int(&rb, "amount", 1000 * i - 7);
		record_add_str(&rb, "clause", "");
		record_add_str(&rb, "clause", "a=b");
		ledger_append(l, &rb);
	}
	if (explicit_commit) {
		record_begin(&rb, "commit");
		record_add_str(&rb, "batch", id);
		record_add_int(&rb, "records", n);
		ledger_append(l, &rb);
	}
	status = ledger_batch_commit(l);
	record_builder_free(&rb);
	return status;
}

/* The reference ledger: three batches. */
static char *reference;
static size_t reference_length;
static size_t end_of_batch[4];          /* end offset of batch n's commit */
static ledger_head head_of_batch[4];

static const char *path_ledger, *path_copy, *path_other;

/* 1-based line of byte offset in data. */
static long line_at(const char *data, size_t offset)
{
	long line = 1;

	for (size_t i = 0; i < offset; i++)
		line += data[i] == '\n';
	return line;
}

/* ---- Creating, booking, reading back ----------------------------------- */

static void test_create_and_read(void)
{
	ledger *l;
	counts c;
	char head[LEDGER_HEAD_TEXT_SIZE], head2[LEDGER_HEAD_TEXT_SIZE];
	struct stat st;
	int booked = 0;
	ledger_head h;

	unlink(path_ledger);
	is_int(LEDGER_OK, ledger_open(path_ledger, LEDGER_WRITE, &l),
	       "open for writing creates the ledger");
	ok(stat(path_ledger, &st) == 0 && (st.st_mode & 0777) == 0640,
	   "created with mode 0640");
	is_int(LEDGER_OK, ledger_scan(l, NULL, NULL), "an empty ledger scans");
	h = ledger_head_get(l);
	ledger_head_format(&h, head);
	is_string("0:" H0, head, "head of an empty ledger");
	ok(ledger_size(l) == 0 && ledger_tail_bytes(l) == 0
	   && ledger_batch_count(l) == 0, "empty: no bytes, no tail, no batch");
	for (int n = 1; n <= 3; n++) {
		booked += book(l, n, false) == LEDGER_OK;
		head_of_batch[n] = ledger_head_get(l);
		end_of_batch[n] = (size_t)ledger_size(l);
	}
	is_int(3, booked, "three batches booked");
	h = ledger_head_get(l);
	is_int(12, (long long)h.seq, "head is record 12");
	is_int(3, (long long)ledger_batch_count(l), "three batches counted");
	ledger_close(l);

	reference = test_read_file(path_ledger, &reference_length);
	is_int((long long)end_of_batch[3], (long long)reference_length,
	       "ledger_size is the file size");
	is_int(12, line_at(reference, reference_length) - 1, "twelve lines");

	is_int(LEDGER_OK, ledger_open(path_ledger, LEDGER_READ, &l),
	       "open for reading");
	counts_init(&c);
	is_int(LEDGER_OK, ledger_scan(l, count_record, &c), "scan");
	ok(c.records == 12 && c.begins == 3 && c.commits == 3
	   && c.lines_in_order && c.last_line == 12,
	   "every record seen once, in order, with its line");
	h = ledger_head_get(l);
	ledger_head_format(&h, head);
	ledger_head_format(&head_of_batch[3], head2);
	is_string(head2, head, "head read back = head written");
	ok(ledger_tail_bytes(l) == 0 && ledger_batch_count(l) == 3,
	   "no tail, three batches");
	counts_init(&c);
	c.stop_at = 5;
	is_int(77, ledger_scan(l, count_record, &c),
	       "a callback's non-zero return stops the scan");
	is_int(5, c.records, "and nothing after it is seen");
	counts_init(&c);
	is_int(LEDGER_OK, ledger_scan(l, count_record, &c), "a ledger scans again");
	ledger_close(l);
}

/* The first line by hand: SHA-256 of 32 zero bytes and the body. */
static void test_first_line(void)
{
	static const char body[] = "1 begin batch=B-1 file=\"batch 1.xml\"";
	unsigned char zero[32] = {0}, hash[32];
	char hex[65], *want;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t length;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, zero, sizeof zero);
	EVP_DigestUpdate(md, body, sizeof body - 1);
	EVP_DigestFinal_ex(md, hash, NULL);
	EVP_MD_CTX_free(md);
	ledger_hash_hex(hash, hex);
	want = malloc(sizeof body + 80);
	length = (size_t)sprintf(want, "%s h=%s\n", body, hex);
	ok(reference_length > length && memcmp(reference, want, length) == 0,
	   "line 1 is body + h=SHA-256(zeros || body)");
	free(want);
}

/* An explicit commit record gives the same bytes as the automatic one. */
static void test_explicit_commit(void)
{
	ledger *l;
	int booked = 0;

	unlink(path_other);
	if (ledger_open(path_other, LEDGER_WRITE, &l) != LEDGER_OK
	    || ledger_scan(l, NULL, NULL) != LEDGER_OK)
		bail("cannot open %s", path_other);
	for (int n = 1; n <= 3; n++)
		booked += book(l, n, true) == LEDGER_OK;
	ledger_close(l);
	ok(booked == 3 && same_file(path_other, reference, reference_length),
	   "explicit commit records give the same ledger");
}

static void test_abort(void)
{
	ledger *l;
	record_builder rb = {0};
	ledger_head before, after;

	write_file(path_copy, reference, end_of_batch[2]);
	if (ledger_open(path_copy, LEDGER_WRITE, &l) != LEDGER_OK
	    || ledger_scan(l, NULL, NULL) != LEDGER_OK)
		bail("cannot open %s", path_copy);
	before = ledger_head_get(l);
	ledger_batch_begin(l);
	record_begin(&rb, "begin");
	record_add_str(&rb, "batch", "DROPPED");
	is_int(8, (long long)ledger_append(l, &rb), "append returns the seq");
	record_begin(&rb, "order");
	record_add_str(&rb, "id", "X");
	is_int(9, (long long)ledger_append(l, &rb), "and the next");
	ledger_batch_abort(l);
	after = ledger_head_get(l);
	ok(before.seq == after.seq
	   && memcmp(before.hash, after.hash, LEDGER_HASH_SIZE) == 0
	   && same_file(path_copy, reference, end_of_batch[2]),
	   "abort: head and file unchanged");
	is_int(LEDGER_OK, book(l, 3, false), "a batch after an abort");
	ledger_close(l);
	ok(same_file(path_copy, reference, reference_length),
	   "and the ledger is as if nothing had been aborted");
	record_builder_free(&rb);
}

/* ---- Heads ------------------------------------------------------------- */

static void test_heads(void)
{
	static const char *bad[] = {
		"", "12", "12:", "12:abc", "x:" H0, "01:" H0, "-1:" H0, "12:" H0 "0",
		"12:" "000000000000000000000000000000000000000000000000000000000000000",
		"12:" "g00000000000000000000000000000000000000000000000000000000000000"
		"0", " 12:" H0, "99999999999999999999:" H0,
	};
	char text[LEDGER_HEAD_TEXT_SIZE], upper[LEDGER_HEAD_TEXT_SIZE];
	ledger_head h, parsed;
	size_t refused = 0;
	ledger *l;

	ledger_head_format(&head_of_batch[2], text);
	ok(ledger_head_parse(text, &parsed) == 0 && parsed.seq == 7
	   && memcmp(parsed.hash, head_of_batch[2].hash, LEDGER_HASH_SIZE) == 0,
	   "head text round trip");
	for (size_t i = 0; i < sizeof text && text[i] != '\0'; i++)
		upper[i] = (char)(text[i] >= 'a' && text[i] <= 'f'
		                  ? text[i] - 32 : text[i]);
	upper[strlen(text)] = '\0';
	ok(ledger_head_parse(upper, &parsed) == 0
	   && memcmp(parsed.hash, head_of_batch[2].hash, LEDGER_HASH_SIZE) == 0,
	   "uppercase hex accepted");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (ledger_head_parse(bad[i], &parsed) != 0)
			refused++;
		else
			diag("head \"%s\" accepted", bad[i]);
	is_int(sizeof bad / sizeof bad[0], refused, "malformed heads refused");

	if (ledger_open(path_ledger, LEDGER_READ, &l) != LEDGER_OK)
		bail("cannot open %s", path_ledger);
	is_int(LEDGER_HEAD_UNCHECKED, ledger_head_check(l), "unchecked");
	h = head_of_batch[2];
	ledger_expect_head(l, &h);
	ledger_scan(l, NULL, NULL);
	is_int(LEDGER_HEAD_MATCH, ledger_head_check(l), "an earlier head matches");
	h.hash[31] ^= 1;
	ledger_expect_head(l, &h);
	ledger_scan(l, NULL, NULL);
	is_int(LEDGER_HEAD_MISMATCH, ledger_head_check(l), "a wrong hash");
	h = head_of_batch[3];
	h.seq = 13;
	ledger_expect_head(l, &h);
	ledger_scan(l, NULL, NULL);
	is_int(LEDGER_HEAD_MISSING, ledger_head_check(l),
	       "a head beyond the end: the ledger was cut");
	memset(&h, 0, sizeof h);
	ledger_expect_head(l, &h);
	ledger_scan(l, NULL, NULL);
	is_int(LEDGER_HEAD_MATCH, ledger_head_check(l), "the empty head matches");
	ledger_close(l);

	/* Record 12 exists in a copy cut inside batch 3, but not committed. */
	write_file(path_copy, reference, reference_length - 1);
	if (ledger_open(path_copy, LEDGER_READ, &l) != LEDGER_OK)
		bail("cannot open %s", path_copy);
	h = head_of_batch[3];
	ledger_expect_head(l, &h);
	ledger_scan(l, NULL, NULL);
	is_int(LEDGER_HEAD_MISSING, ledger_head_check(l),
	       "an uncommitted record is no head");
	ledger_close(l);
}

/* ---- Tampering --------------------------------------------------------- */

/* Changes every byte of the reference in turn (to byte ^ mask, or to a
 * newline when mask is 0) and checks that the scan fails at that byte's
 * line. */
static void tamper_pass(unsigned mask, const char *what)
{
	char *copy = malloc(reference_length);
	size_t wrong = 0, tried = 0;
	char want[64];

	size_t differ = 0;

	for (size_t at = 0; at < reference_length; at++) {
		scan_result result;

		memcpy(copy, reference, reference_length);
		copy[at] = mask != 0 ? (char)(copy[at] ^ (char)mask) : '\n';
		if (copy[at] == reference[at])
			continue;
		tried++;
		write_file(path_copy, copy, reference_length);
		/* The reference scan, and one of the others in turn. */
		differ += !scan_agrees(path_copy, 1 + at % (SCAN_WAYS - 1), &result);
		snprintf(want, sizeof want, ":%ld: error: ",
		         line_at(reference, at));
		if (result.status != LEDGER_INTEGRITY
		    || strstr(result.message, want) == NULL) {
			if (wrong++ < 5)
				diag("byte %zu (%s): status %d, %s", at, what,
				     result.status, result.message);
		}
		free(result.message);
	}
	ok(wrong == 0 && tried > 1000,
	   "each of %zu bytes %s: integrity error at its line", tried, what);
	is_int(0, differ, "and every way of scanning says so word for word");
	free(copy);
}

static void test_tampering(void)
{
	tamper_pass(0x01, "xor 0x01");
	tamper_pass(0x20, "xor 0x20");
	tamper_pass(0x80, "xor 0x80");
	tamper_pass(0, "made a newline");
}

/* ---- Torn tail --------------------------------------------------------- */

static void test_torn_tail(void)
{
	size_t bad_scan = 0, bad_tail = 0, bad_rollback = 0, bad_rebook = 0;
	size_t bad_read = 0, cuts = 0;
	const char *message;
	char *want;

	for (size_t cut = end_of_batch[2]; cut < reference_length; cut++) {
		ledger *l;
		counts c;
		ledger_head h;
		int status;

		cuts++;
		write_file(path_copy, reference, cut);

		/* A reader sees the tail and leaves it. */
		if (ledger_open(path_copy, LEDGER_READ, &l) != LEDGER_OK)
			bail("cannot open %s", path_copy);
		status = ledger_scan(l, NULL, NULL);
		if (status != LEDGER_OK || ledger_tail_bytes(l) != cut - end_of_batch[2]
		    || !same_file(path_copy, reference, cut))
			bad_read++;
		ledger_close(l);

		if (ledger_open(path_copy, LEDGER_WRITE, &l) != LEDGER_OK)
			bail("cannot open %s", path_copy);
		counts_init(&c);
		status = ledger_scan(l, count_record, &c);
		h = ledger_head_get(l);
		if (status != LEDGER_OK || c.commits != 2 || h.seq != 7
		    || memcmp(h.hash, head_of_batch[2].hash, LEDGER_HASH_SIZE) != 0
		    || ledger_batch_count(l) != 2) {
			if (bad_scan++ < 3)
				diag("cut at %zu: status %d", cut, status);
		}
		if (ledger_tail_bytes(l) != cut - end_of_batch[2])
			bad_tail++;
		capture_begin();
		status = ledger_rollback_tail(l);
		message = capture_end();
		if (status != LEDGER_OK || ledger_size(l) != end_of_batch[2]
		    || ledger_tail_bytes(l) != 0
		    || !same_file(path_copy, reference, end_of_batch[2])) {
			if (bad_rollback++ < 3)
				diag("cut at %zu: rollback %d: %s", cut, status, message);
		}
		if (book(l, 3, false) != LEDGER_OK
		    || !same_file(path_copy, reference, reference_length))
			bad_rebook++;
		ledger_close(l);
	}
	diag("%zu cuts inside the last batch", cuts);
	is_int(0, bad_read, "a reader scans every cut copy, reports the tail, "
	       "changes nothing");
	is_int(0, bad_scan, "every cut copy scans with the first two batches");
	is_int(0, bad_tail, "and reports the uncommitted tail's size");
	is_int(0, bad_rollback, "rollback truncates to the previous commit");
	is_int(0, bad_rebook, "booking the batch again gives the same bytes");

	/* The warning, word for word; and commit rolls back by itself. */
	{
		ledger *l;

		write_file(path_copy, reference, reference_length - 10);
		if (ledger_open(path_copy, LEDGER_WRITE, &l) != LEDGER_OK
		    || ledger_scan(l, NULL, NULL) != LEDGER_OK)
			bail("cannot open %s", path_copy);
		capture_begin();
		is_int(LEDGER_OK, book(l, 3, false),
		       "commit without an explicit rollback");
		message = capture_end();
		want = malloc(strlen(path_copy) + 100);
		sprintf(want, "mandate: %s: warning: rolled back %zu bytes of an "
		        "uncommitted batch\n", path_copy,
		        reference_length - 10 - end_of_batch[2]);
		is_string(want, message, "the rollback warning");
		free(want);
		ledger_close(l);
		ok(same_file(path_copy, reference, reference_length),
		   "and the ledger is whole again");
	}
}

/* ---- Broken framing and chains, line by line --------------------------- */

/* Writes lines (bodies; "!" in front: wrong hash) chained, then tail
 * without a newline. */
static void write_chain(const char *path, const char *const *bodies,
                        const char *tail, size_t tail_length)
{
	unsigned char prev[32] = {0}, hash[32];
	char hex[65];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	FILE *file;

	unlink(path);
	if ((file = fopen(path, "wb")) == NULL)
		bail("cannot write %s", path);
	for (; *bodies != NULL; bodies++) {
		const char *body = *bodies + (**bodies == '!');

		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		EVP_DigestUpdate(md, prev, sizeof prev);
		EVP_DigestUpdate(md, body, strlen(body));
		EVP_DigestFinal_ex(md, hash, NULL);
		if (**bodies == '!')
			hash[0] ^= 1;
		ledger_hash_hex(hash, hex);
		fprintf(file, "%s h=%s\n", body, hex);
		memcpy(prev, hash, sizeof prev);
	}
	fwrite(tail, 1, tail_length != 0 ? tail_length : strlen(tail), file);
	fclose(file);
	EVP_MD_CTX_free(md);
}

static const struct {
	const char *lines[5];
	const char *tail;
	size_t tail_length;     /* 0: strlen */
	int status;
	const char *message;    /* %s: the path */
} chains[] = {
	{{"1 order id=x"}, "", 0, 3,
	 "mandate: %s:1: error: order record outside a batch\n"},
	{{"1 commit batch=A records=0"}, "", 0, 3,
	 "mandate: %s:1: error: commit for batch A without begin\n"},
	{{"1 begin batch=A", "2 begin batch=B"}, "", 0, 3,
	 "mandate: %s:2: error: begin of batch B inside batch A\n"},
	{{"1 begin batch=A", "2 x", "3 commit batch=A records=2"}, "", 0, 3,
	 "mandate: %s:3: error: commit of batch A counts 2 records, the batch "
	 "has 1\n"},
	{{"1 begin batch=A", "2 commit batch=B records=0"}, "", 0, 3,
	 "mandate: %s:2: error: commit for batch B inside batch A\n"},
	{{"1 begin batch=A", "3 commit batch=A records=0"}, "", 0, 3,
	 "mandate: %s:2: error: sequence 2 expected, found 3\n"},
	{{"1 begin x=y"}, "", 0, 3,
	 "mandate: %s:1: error: begin record without a batch= field\n"},
	{{"1 begin batch=A", "2 commit records=0"}, "", 0, 3,
	 "mandate: %s:2: error: commit record without a batch= field\n"},
	{{"1 begin batch=A", "2 commit batch=A"}, "", 0, 3,
	 "mandate: %s:2: error: commit of batch A without a valid records= "
	 "field\n"},
	{{"1 begin batch=A", "2 commit batch=A records=-1"}, "", 0, 3,
	 "mandate: %s:2: error: commit of batch A without a valid records= "
	 "field\n"},
	{{"1 begin batch=\"a\\x1b[2Jb\"", "2 commit batch=B records=0"}, "", 0, 3,
	 "mandate: %s:2: error: commit for batch B inside batch a?[2Jb\n"},
	{{"1 begin batch=A", "!2 commit batch=A records=0"}, "", 0, 3,
	 "mandate: %s:2: error: hash does not match the chain\n"},
	{{"1 begin batch=A", "2 commit batch=A records=0"}, "3 begin batch=B h=",
	 0, 0, ""},
	{{"1 begin batch=A", "2 commit batch=A records=0", "3 begin batch=B"},
	 "4 x", 0, 0, ""},
	{{"1 begin batch=A", "2 commit batch=A records=0"}, "4 begin", 0, 3,
	 "mandate: %s:3: error: sequence 3 expected, found 4\n"},
	{{"1 begin batch=A", "2 commit batch=A records=0"}, "\0\0\0", 3, 3,
	 "mandate: %s:3: error: malformed record: sequence number expected at "
	 "column 1 (in the last line, which has no newline)\n"},
	{{"1 begin batch=A", "2 commit batch=A records=0"}, "3 Begin", 0, 3,
	 "mandate: %s:3: error: malformed record: record type expected at "
	 "column 3 (in the last line, which has no newline)\n"},
	{{"1 begin batch=A", "2 commit batch=A records=0 h=" H0}, "", 0, 3,
	 "mandate: %s:2: error: malformed record: unexpected bytes after the "
	 "hash at column 94\n"},
	{{NULL}, "", 0, 0, ""},
};

static void test_chains(void)
{
	size_t differ = 0;

	for (size_t i = 0; i < sizeof chains / sizeof chains[0]; i++) {
		const char *message;
		ledger *l;
		int status;
		char *want;

		write_chain(path_copy, chains[i].lines, chains[i].tail,
		            chains[i].tail_length);
		capture_begin();
		status = ledger_open(path_copy, LEDGER_READ, &l);
		if (status == LEDGER_OK) {
			status = ledger_scan(l, NULL, NULL);
			ledger_close(l);
		}
		message = capture_end();
		want = expect_text(chains[i].message, path_copy);
		ok(status == chains[i].status && strcmp(message, want) == 0,
		   "broken ledger %zu: %s", i,
		   chains[i].status == 0 ? "accepted" : "refused at its line");
		if (strcmp(message, want) != 0)
			diag("wanted: %s  seen: %s", want, message);
		free(want);
		{
			scan_result result;

			differ += !all_ways_agree(path_copy, &result);
			free(result.message);
		}
	}
	is_int(0, differ, "every way of scanning says the same of each");
}

/* ---- A ledger of many blocks ------------------------------------------- */

/* Books `batches` batches of one to seven records whose values grow a byte
 * a record (some quoted), so that bodies of every length modulo 64 go
 * through SHA-256 and its padding. */
static void book_big(const char *path, int batches)
{
	record_builder rb = {0};
	char id[32], value[320];
	ledger *l;
	int k = 0;

	unlink(path);
	if (ledger_open(path, LEDGER_WRITE, &l) != LEDGER_OK
	    || ledger_scan(l, NULL, NULL) != LEDGER_OK)
		bail("cannot open %s", path);
	for (int b = 0; b < batches; b++) {
		snprintf(id, sizeof id, "BIG-%d", b);
		ledger_batch_begin(l);
		record_begin(&rb, "begin");
		record_add_str(&rb, "batch", id);
		ledger_append(l, &rb);
		for (int i = 0; i < 1 + b % 7; i++, k++) {
			size_t n = (size_t)(k % 300);

			for (size_t j = 0; j < n; j++)
				value[j] = (char)('a' + (j + (size_t)k) % 26);
			if (k % 5 == 0 && n > 0)
				value[n / 2] = ' ';
			record_begin(&rb, "order");
			record_add_str(&rb, "id", id);
			record_add_mem(&rb, "text", value, n);
			ledger_append(l, &rb);
		}
		if (ledger_batch_commit(l) != LEDGER_OK)
			bail("cannot book batch %d", b);
	}
	record_builder_free(&rb);
	ledger_close(l);
}

/* Offset of the first byte of line `line` (from 1) in data. */
static size_t line_start(const char *data, size_t length, long line)
{
	size_t at = 0;

	for (long n = 1; n < line && at < length; at++)
		if (data[at] == '\n')
			n++;
	return at;
}

/* Copies data with edits ("at" offsets, new bytes) to path_copy and scans
 * it every way: true when all say "error" at line want. */
static bool tampered_at(const char *data, size_t length, long want,
                        const size_t *at, const char *bytes, size_t edits)
{
	char *copy = malloc(length);
	char where[64];
	scan_result result;
	bool same, right;

	memcpy(copy, data, length);
	for (size_t i = 0; i < edits; i++)
		copy[at[i]] = bytes[i];
	write_file(path_copy, copy, length);
	same = all_ways_agree(path_copy, &result);
	snprintf(where, sizeof where, ":%ld: error: ", want);
	right = result.status == LEDGER_INTEGRITY
	     && strstr(result.message, where) != NULL;
	if (!right)
		diag("wanted an error at line %ld: %s", want, result.message);
	free(result.message);
	free(copy);
	return same && right;
}

static void test_many_blocks(void)
{
	char *big_path = test_tmp_path("ledger-big");
	scan_result result, with_records, with_views;
	size_t length, lines, at[2];
	char *data;
	long late;

	book_big(big_path, 90);
	data = test_read_file(big_path, &length);
	lines = (size_t)line_at(data, length) - 1;
	diag("a ledger of %zu lines, %zu bytes", lines, length);
	ok(length > 16 * 4096 && all_ways_agree(big_path, &result)
	   && result.status == LEDGER_OK && result.batches == 90
	   && result.size == length,
	   "a ledger of many blocks scans alike every way, SHA-256 padding "
	   "of every length included");
	free(result.message);

	/* Callbacks: every line, in order, on the caller's thread. */
	scan_way_run(big_path, &scan_ways[4], &with_records);
	scan_way_run(big_path, &scan_ways[5], &with_views);
	ok(with_records.status == LEDGER_OK && with_views.status == LEDGER_OK
	   && scan_same(&with_records, &with_views, true)
	   && with_records.counts.records == (long)lines
	   && with_records.counts.lines_in_order
	   && with_views.counts.commits == 90
	   && !with_records.counts.other_thread
	   && !with_views.counts.other_thread,
	   "callbacks see every line once, in order, on the caller's thread");
	free(with_records.message);
	free(with_views.message);
	{
		ledger *l;
		counts c;
		int status;

		counts_init(&c);
		c.stop_at = (long)lines - 5;
		if (ledger_open(big_path, LEDGER_READ, &l) != LEDGER_OK)
			bail("cannot open %s", big_path);
		ledger_scan_tune(l, 512, 2, true);
		status = ledger_scan_views(l, count_view, &c);
		ok(status == 77 && c.records == (long)lines - 5,
		   "a callback stops a threaded scan; nothing after it is seen");
		ledger_close(l);
	}

	/* Tampered late in the file: the right line, whoever checked it. */
	late = (long)lines * 3 / 4;
	at[0] = line_start(data, length, late) + 20;
	ok(tampered_at(data, length, late, at, "#", 1),
	   "a changed body byte late in the file: its line");
	at[0] = line_start(data, length, late + 1) - 2;
	ok(tampered_at(data, length, late, at, "G", 1),
	   "a malformed hash late in the file: its line");
	at[0] = line_start(data, length, late);
	ok(tampered_at(data, length, late, at, "9", 1),
	   "a wrong sequence number late in the file: its line");
	/* Two lines wrong, in two blocks: the earlier one is named, whichever
	 * the failure. */
	at[0] = line_start(data, length, late - 40) + 20;
	at[1] = line_start(data, length, late + 1) - 2;
	ok(tampered_at(data, length, late - 40, at, "#G", 2),
	   "a hash before a syntax error: the hash's line");
	at[0] = line_start(data, length, late - 40) + 20;
	at[1] = line_start(data, length, late) + 20;
	ok(tampered_at(data, length, late - 40, at, "\x01#", 2),
	   "a syntax error before a hash: the syntax error's line");
	at[0] = line_start(data, length, (long)lines) - 1;
	ok(tampered_at(data, length, (long)lines - 1, at, "x", 1),
	   "a newline made another byte: the joined line");

	/* Cut inside the last batch: the same tail every way. */
	write_file(path_copy, data, length - 100);
	ok(all_ways_agree(path_copy, &result) && result.status == LEDGER_OK
	   && result.tail > 0 && result.batches == 89,
	   "a cut copy of many blocks: the same uncommitted tail every way");
	free(result.message);

	unlink(big_path);
	free(big_path);
	free(data);
}

/* A line as long as a line may be (newline included), and one byte more:
 * the blocks grow to hold it, or the scan stops at it. */
static void test_longest_line(void)
{
	static const scan_way ways[] = {{0, 1, true, 0}, {4096, 2, false, 2}};
	size_t n = LEDGER_LINE_MAX - 81;        /* "2 order text=" ... hash */
	char *value = malloc(n + 1), *data, *longer, *want;
	record_builder rb = {0};
	scan_result result[2];
	size_t length;
	ledger *l;

	memset(value, 'a', n + 1);
	unlink(path_copy);
	if (ledger_open(path_copy, LEDGER_WRITE, &l) != LEDGER_OK
	    || ledger_scan(l, NULL, NULL) != LEDGER_OK)
		bail("cannot open %s", path_copy);
	ledger_batch_begin(l);
	record_begin(&rb, "begin");
	record_add_str(&rb, "batch", "LONG");
	ledger_append(l, &rb);
	record_begin(&rb, "order");
	record_add_mem(&rb, "text", value, n);
	ledger_append(l, &rb);
	is_int(LEDGER_OK, ledger_batch_commit(l),
	       "a line of LEDGER_LINE_MAX bytes is written");
	ledger_close(l);
	record_builder_free(&rb);
	free(value);

	for (int i = 0; i < 2; i++)
		scan_way_run(path_copy, &ways[i], &result[i]);
	ok(result[0].status == LEDGER_OK && scan_same(&result[0], &result[1],
	                                               false),
	   "and read back, one block or many");
	free(result[0].message);
	free(result[1].message);

	/* One more byte in its value. */
	data = test_read_file(path_copy, &length);
	longer = malloc(length + 1);
	length = line_start(data, length, 3);   /* to the end of line 2 */
	memcpy(longer, data, 100);
	longer[100] = 'a';
	memcpy(longer + 101, data + 100, length - 100);
	write_file(path_copy, longer, length + 1);
	for (int i = 0; i < 2; i++)
		scan_way_run(path_copy, &ways[i], &result[i]);
	want = expect_text("mandate: %s:2: error: line longer than 67108864 "
	                   "bytes\n", path_copy);
	ok(result[0].status == LEDGER_INTEGRITY
	   && strcmp(result[0].message, want) == 0
	   && scan_same(&result[0], &result[1], false),
	   "a line one byte longer is refused at its line, every way");
	free(want);
	free(result[0].message);
	free(result[1].message);
	free(longer);
	free(data);
}

/* ---- verify's look at postings -----------------------------------------
 * cmd_verify reads post records through views; it must refuse exactly what
 * codec_decode_posting refuses, with its words. */

static const char *const postings[] = {
	"account=a amount=1 cur=RUB",
	"account=a amount=0 cur=RUB",
	"amount=1 cur=RUB",
	"account=a cur=RUB",
	"account=a amount=1",
	"account=a amount=01 cur=RUB",
	"account=a amount=-0 cur=RUB",
	"account=a amount=-9223372036854775808 cur=RUB",
	"account=a amount=9223372036854775808 cur=RUB",
	"account=a amount=\"1 \" cur=RUB",
	"account=a amount=12345678901234567890123456789012345678901234567890"
	"12345678901234567890 cur=RUB",
	"account=a amount=1 cur=rub",
	"account=a amount=1 cur=ZZZ",
	"account=a amount=1 cur=RUBX",
	"account=a amount=1 cur=\"RU\\x00\"",
	"account=a amount=1 cur=\"\"",
	"account=a amount=x amount=1 cur=RUB",
	"account=a amount=1 cur=RUB cur=ZZZ",
	"cur=ZZZ account=a amount=-5",
	"amount=zz cur=ZZZ",
	"account=\"a\\x00b\" amount=2 cur=EUR",
	"account=\"a b\" amount=2 cur=JPY",
	"account=\"\" amount=2 cur=USD",
	"order=X account=a order=Y amount=3 cur=RUB note=\"cur=EUR\"",
	NULL,                   /* the long accounts, made below */
};

static void test_verify_postings(void)
{
	char *long_ok = malloc(200), *long_bad = malloc(200);
	char *quoted_bad = malloc(300), *quoted_ok = malloc(300);
	const char *cases[sizeof postings / sizeof postings[0] + 4];
	size_t count = 0, wrong = 0;
	record rec = {0};

	for (; postings[count] != NULL; count++)
		cases[count] = postings[count];
	/* 127 bytes fit posting.account, 128 do not; a NUL ends it early. */
	sprintf(long_ok, "account=%0127d amount=1 cur=RUB", 0);
	sprintf(long_bad, "account=%0128d amount=1 cur=RUB", 0);
	sprintf(quoted_bad, "account=\"%0130d \" amount=1 cur=RUB", 0);
	sprintf(quoted_ok, "account=\"1\\x00%0200d\" amount=1 cur=RUB", 0);
	cases[count++] = long_ok;
	cases[count++] = long_bad;
	cases[count++] = quoted_bad;
	cases[count++] = quoted_ok;

	for (size_t i = 0; i < count; i++) {
		char *line3 = malloc(strlen(cases[i]) + 16), *want, *parsed;
		const char *bodies[] = {"1 begin batch=P", "2 payment order=X",
		                        line3, "4 commit batch=P records=2", NULL};
		char *argv[] = {"verify", "--ledger", (char *)path_copy, "--quiet",
		                NULL};
		const char *message;
		char why[128];
		posting p;
		int status, want_status;

		sprintf(line3, "3 post %s", cases[i]);
		parsed = malloc(strlen(line3) + 80);
		sprintf(parsed, "%s h=%s", line3, H0);
		if (record_parse(parsed, strlen(parsed), &rec) != 0)
			bail("posting %zu does not parse: %s", i, rec.error);
		free(parsed);
		/* What the codec says. */
		want = malloc(strlen(path_copy) + 300);
		if (codec_decode_posting(&rec, &p, why) != 0) {
			want_status = LEDGER_INTEGRITY;
			sprintf(want, "mandate: %s:3: error: malformed posting: %s\n",
			        path_copy, why);
		} else if (p.amount != 0) {
			want_status = LEDGER_INTEGRITY;
			sprintf(want, "mandate: %s:2: error: postings of this "
			        "operation do not balance in %s\n", path_copy,
			        p.currency);
		} else {
			want_status = LEDGER_OK;
			want[0] = '\0';
		}
		write_chain(path_copy, bodies, "", 0);
		capture_begin();
		status = cmd_verify(4, argv);
		message = capture_end();
		if (status != want_status || strcmp(message, want) != 0) {
			diag("posting \"%s\": %d %s, codec: %d %s", cases[i], status,
			     message, want_status, want);
			wrong++;
		}
		free(want);
		free(line3);
	}
	is_int(0, wrong, "verify judges each of %zu postings as the codec does, "
	       "word for word", count);
	diag_set_verbosity(DIAG_NORMAL);
	record_free(&rec);
	free(long_ok);
	free(long_bad);
	free(quoted_bad);
	free(quoted_ok);
}

/* ---- Locks ------------------------------------------------------------- */

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_locks(void)
{
	int ready[2], done[2];
	char byte = 0;
	pid_t child;
	ledger *l, *l2;
	double start;
	int status;

	write_file(path_copy, reference, reference_length);
	if (pipe(ready) != 0 || pipe(done) != 0)
		bail("pipe: %s", strerror(errno));
	if ((child = fork()) < 0)
		bail("fork: %s", strerror(errno));
	if (child == 0) {
		close(ready[0]);
		close(done[1]);
		if (ledger_open(path_copy, LEDGER_WRITE, &l) != LEDGER_OK)
			_exit(1);
		if (write(ready[1], "x", 1) != 1 || read(done[0], &byte, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	if (read(ready[0], &byte, 1) != 1)
		bail("the child could not lock the ledger");

	capture_begin();
	start = seconds();
	status = ledger_open(path_copy, LEDGER_WRITE, &l);
	ok(status == LEDGER_ENV && seconds() - start < 1.0,
	   "a second writer is refused at once");
	is_message("mandate: error: ledger %s is locked by another writer\n",
	           path_copy, capture_end(), "naming the ledger");
	capture_begin();
	status = ledger_open(path_copy, LEDGER_READ, &l);
	is_int(LEDGER_ENV, status, "a reader is refused while a writer works");
	is_message("mandate: error: ledger %s is being written by another run\n",
	           path_copy, capture_end(), "saying so");
	if (write(done[1], "x", 1) != 1)
		bail("cannot tell the child to finish");
	waitpid(child, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child held the lock");
	is_int(LEDGER_OK, ledger_open(path_copy, LEDGER_WRITE, &l),
	       "once it is gone the lock is free");
	ledger_close(l);

	is_int(LEDGER_OK, ledger_open(path_copy, LEDGER_READ, &l), "a reader");
	is_int(LEDGER_OK, ledger_open(path_copy, LEDGER_READ, &l2),
	       "readers share the lock");
	ledger_close(l2);
	capture_begin();
	status = ledger_open(path_copy, LEDGER_WRITE, &l2);
	is_int(LEDGER_ENV, status, "a writer is refused while a reader reads");
	is_message("mandate: error: ledger %s is locked by another run reading "
	           "it\n", path_copy, capture_end(), "saying so");
	ledger_close(l);
}

/* ---- A write that fails ------------------------------------------------ */

static void test_efbig(void)
{
	char *log = test_tmp_path("ledger-efbig.log");
	char *message;
	pid_t child;
	int status;
	ledger *l;

	write_file(path_copy, reference, end_of_batch[2]);
	unlink(log);
	if ((child = fork()) < 0)
		bail("fork: %s", strerror(errno));
	if (child == 0) {
		struct rlimit limit;
		FILE *out = fopen(log, "w");

		diag_set_stream(out);
		if (ledger_open(path_copy, LEDGER_WRITE, &l) != LEDGER_OK
		    || ledger_scan(l, NULL, NULL) != LEDGER_OK)
			_exit(10);
		limit.rlim_cur = limit.rlim_max = end_of_batch[2] + 100;
		if (setrlimit(RLIMIT_FSIZE, &limit) != 0)
			_exit(11);
		_exit(book(l, 3, false));
	}
	waitpid(child, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == LEDGER_ENV,
	   "a batch past RLIMIT_FSIZE fails with LEDGER_ENV, no SIGXFSZ");
	ok(same_file(path_copy, reference, end_of_batch[2]),
	   "and the ledger is byte for byte as before");
	message = test_read_file(log, NULL);
	is_message("mandate: %s: error: cannot write batch B-3 to the ledger: "
	           "File too large; the ledger is unchanged\n", path_copy,
	           message, "the message");
	free(message);
	unlink(log);
	free(log);
	if (ledger_open(path_copy, LEDGER_WRITE, &l) != LEDGER_OK)
		bail("cannot open %s", path_copy);
	ok(ledger_scan(l, NULL, NULL) == LEDGER_OK && ledger_tail_bytes(l) == 0
	   && book(l, 3, false) == LEDGER_OK
	   && same_file(path_copy, reference, reference_length),
	   "the next run books the batch");
	ledger_close(l);
}

/* ---- Files that are no ledger ------------------------------------------ */

/* A writer books only into a file of its own user with one name; a
 * reader may read another user's ledger. */
static void test_not_ours(void)
{
	char *theirs = test_tmp_path("ledger-theirs");
	char *second = test_tmp_path("ledger-second-name");
	ledger *l;
	int fd;

	unlink(theirs);
	unlink(second);
	fd = open(theirs, O_WRONLY | O_CREAT | O_EXCL, 0640);
	if (fd < 0)
		bail("create %s: %s", theirs, strerror(errno));
	close(fd);
	if (link(theirs, second) != 0)
		bail("link: %s", strerror(errno));
	capture_begin();
	is_int(LEDGER_ENV, ledger_open(theirs, LEDGER_WRITE, &l),
	       "a ledger with two hard links is refused for writing");
	is_message("mandate: %s: error: the ledger has 2 hard links: refusing "
	           "to write it\n", theirs, capture_end(), "saying so");
	unlink(second);
	if (geteuid() == 0 && chown(theirs, 65534, (gid_t)-1) == 0) {
		capture_begin();
		is_int(LEDGER_ENV, ledger_open(theirs, LEDGER_WRITE, &l),
		       "another user's ledger is refused for writing");
		is_message("mandate: %s: error: the ledger belongs to uid 65534, "
		           "not to this process's user (uid 0): refusing to "
		           "write it\n", theirs, capture_end(), "naming the owner");
		ok(ledger_open(theirs, LEDGER_READ, &l) == LEDGER_OK,
		   "but a reader may read it");
		if (l != NULL)
			ledger_close(l);
	} else {
		skip("not root: cannot give a ledger away");
		skip("not root: cannot give a ledger away");
		skip("not root: cannot give a ledger away");
	}
	unlink(theirs);
	free(theirs);
	free(second);
}

static void test_refusals(void)
{
	char *link = test_tmp_path("ledger-link");
	char *dir = test_tmp_path("ledger-dir");
	char *fifo = test_tmp_path("ledger-fifo");
	char *missing = test_tmp_path("ledger-missing");
	ledger *l;

	unlink(link);
	if (symlink("ledger-copy", link) != 0)
		bail("symlink: %s", strerror(errno));
	capture_begin();
	is_int(LEDGER_ENV, ledger_open(link, LEDGER_WRITE, &l),
	       "a symbolic link is refused for writing");
	is_message("mandate: %s: error: the ledger is a symbolic link; give the "
	           "path of the file itself\n", link, capture_end(), "saying so");
	capture_begin();
	is_int(LEDGER_ENV, ledger_open(link, LEDGER_READ, &l),
	       "and for reading");
	capture_end();

	mkdir(dir, 0755);
	capture_begin();
	is_int(LEDGER_ENV, ledger_open(dir, LEDGER_READ, &l), "a directory");
	is_message("mandate: %s: error: the ledger is not a regular file\n", dir,
	           capture_end(), "is no regular file");

	unlink(fifo);
	if (mkfifo(fifo, 0600) != 0)
		bail("mkfifo: %s", strerror(errno));
	capture_begin();
	ok(ledger_open(fifo, LEDGER_READ, &l) == LEDGER_ENV
	   && ledger_open(fifo, LEDGER_WRITE, &l) == LEDGER_ENV,
	   "a FIFO is refused without hanging");
	capture_end();

	unlink(missing);
	capture_begin();
	is_int(LEDGER_ENV, ledger_open(missing, LEDGER_READ, &l),
	       "a reader needs an existing ledger");
	is_message("mandate: %s: error: cannot open the ledger: No such file or "
	           "directory\n", missing, capture_end(), "saying so");

	test_not_ours();
	unlink(link);
	unlink(fifo);
	rmdir(dir);
	free(link);
	free(dir);
	free(fifo);
	free(missing);
}

int main(void)
{
	char *ledger_file = test_tmp_path("ledger-ref");
	char *copy_file = test_tmp_path("ledger-copy");
	char *other_file = test_tmp_path("ledger-other");

	umask(022);
	path_ledger = ledger_file;
	path_copy = copy_file;
	path_other = other_file;
	plan(87 + 4 + 1 + 10 + 3 + 1 + 5);
	test_create_and_read();
	test_first_line();
	test_explicit_commit();
	test_abort();
	test_heads();
	test_tampering();
	test_torn_tail();
	test_chains();
	test_many_blocks();
	test_longest_line();
	test_verify_postings();
	test_locks();
	test_efbig();
	test_refusals();
	unlink(ledger_file);
	unlink(copy_file);
	unlink(other_file);
	free(ledger_file);
	free(copy_file);
	free(other_file);
	free(reference);
	free(capture_text);
	return tap_done();
}
