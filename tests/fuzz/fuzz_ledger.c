/* Fuzz target: bytes as a ledger file →
 *
 *   - mandate verify (cmd_verify: chain, framing, balances);
 *   - a read-only replay (ledger_replay with events and balances) whose
 *     scan reads small blocks, two threads and OpenSSL's SHA-256;
 *   - ledger_load for writing (default scan, rolls back a tail), which
 *     must reach the same verdict, and after which the file must open
 *     again with no tail and the same head.
 * A ledger that replays must also verify.
 *
 * A mutated line almost never carries the right hash, so each input is
 * also tried re-chained: every " h=" field rewritten to the hash of its
 * line, so that what follows the hash check gets fuzzed too. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cmd.h"
#include "fuzz/fuzz.h"
#include "ledger_replay.h"
#include "util/xalloc.h"

static void on_event(void *ctx, const replay_event *event)
{
	size_t *events = ctx;

	(void)event;
	(*events)++;
}

/* Replays path read-only, reading the file in blocks of block bytes. */
static int replay_read(const char *path, size_t block, ledger_head *head)
{
	size_t events = 0;
	replay_target target = { .on_event = on_event, .ctx = &events };
	ledger *l;
	int status;

	if (ledger_open(path, LEDGER_READ, &l) != LEDGER_OK)
		abort();
	target.book = order_book_new(true);
	target.balances = trial_balance_new();
	ledger_scan_tune(l, block, 2, false);
	status = ledger_replay(l, &target);
	*head = ledger_head_get(l);
	ledger_close(l);
	trial_balance_free(target.balances);
	order_book_free(target.book);
	return status;
}

/* Opens path for writing: the uncommitted tail is rolled back. */
static int load_write(const char *path, ledger_head *head)
{
	replay_target target = { .book = order_book_new(true) };
	ledger *l;
	int status = ledger_load(path, LEDGER_WRITE, &target, &l);

	if (status == LEDGER_OK) {
		*head = ledger_head_get(l);
		ledger_close(l);
	}
	order_book_free(target.book);
	return status;
}

/* A copy of data (size bytes) whose every line holding " h=" followed by
 * 64 bytes ends in the chained hash of the body before it. */
static uint8_t *rechain(const uint8_t *data, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	uint8_t *copy = xmalloc(size + 1), *line = copy, *end = copy + size;
	unsigned char hash[LEDGER_HASH_SIZE] = { 0 };
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	memcpy(copy, data, size);
	while (line < end) {
		uint8_t *eol = memchr(line, '\n', (size_t)(end - line));
		uint8_t *h;

		if (eol == NULL)
			eol = end;
		h = eol - 3 - 2 * LEDGER_HASH_SIZE;
		if (eol - line >= 3 + 2 * LEDGER_HASH_SIZE
		    && memcmp(h, " h=", 3) == 0) {
			EVP_DigestInit_ex(md, EVP_sha256(), NULL);
			EVP_DigestUpdate(md, hash, sizeof hash);
			EVP_DigestUpdate(md, line, (size_t)(h - line));
			EVP_DigestFinal_ex(md, hash, NULL);
			for (int i = 0; i < LEDGER_HASH_SIZE; i++) {
				h[3 + 2 * i] = (uint8_t)digits[hash[i] >> 4];
				h[4 + 2 * i] = (uint8_t)digits[hash[i] & 15];
			}
		}
		line = eol + 1;
	}
	EVP_MD_CTX_free(md);
	return copy;
}

static void one_ledger(const uint8_t *data, size_t size)
{
	char *path, verify[] = "verify", ledger_opt[] = "--ledger";
	ledger_head read_head, write_head, again_head;
	int verify_status, read_status, write_status;

	fuzz_reset();
	path = fuzz_write_file("fuzz.ledger", data, size);
	verify_status = cmd_verify(3, (char *[]){ verify, ledger_opt, path,
	                                          NULL });
	read_status = replay_read(path, 1 + size % 512, &read_head);
	write_status = load_write(path, &write_head);
	/* Replay checks all verify does and more; both scans agree. */
	if (read_status != write_status
	    || (read_status == LEDGER_OK && verify_status != LEDGER_OK))
		abort();
	if (write_status == LEDGER_OK) {
		if (memcmp(&read_head, &write_head, sizeof read_head) != 0
		    || load_write(path, &again_head) != LEDGER_OK
		    || memcmp(&write_head, &again_head, sizeof again_head) != 0)
			abort();
	}
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *chained;

	fuzz_setup();
	one_ledger(data, size);
	chained = rechain(data, size);
	if (memcmp(chained, data, size) != 0)
		one_ledger(chained, size);
	free(chained);
	return 0;
}
