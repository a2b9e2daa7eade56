/* Fuzz target: bytes as a ledger file →
 *
 *   - mandate verify (cmd_verify: chain, framing, balances);
 *   - a read-only replay (ledger_replay with events and balances) whose
 *     scan reads small blocks, two threads and OpenSSL's SHA-256;
 *   - ledger_load for writing (default scan, rolls back a tail), which
 *     must reach the same verdict, and after which the file must open
 *     again with no tail and the same head;
 *   - the replay in two halves (ledger_replay_halves), which must say
 *     what one replay without a trial balance says, word for word, and
 *     deliver as many events.
 * A ledger that replays must also verify.
 *
 * A mutated line almost never carries the right hash, so each input is
 * also tried re-chained: every " h=" field rewritten to the hash of its
 * line, so that what follows the hash check gets fuzzed too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cmd.h"
#include "fuzz/fuzz.h"
#include "ledger_replay.h"
#include "util/diag.h"
#include "util/xalloc.h"

static void on_event(void *ctx, const replay_event *event)
{
	size_t *events = ctx;

	(void)event;
	(*events)++;
}

/* What a read-only replay said. */
struct said {
	int status;
	size_t events;
	char messages[4096];
};

typedef enum { ONCE_WITH_BALANCES, ONCE, HALVES } replay_way;

/* Replays path read-only, reading the file in blocks of block bytes, its
 * events delivered at once. */
static void replay_read(const char *path, size_t block, replay_way way,
                        ledger_head *head, struct said *said)
{
	size_t events[2] = { 0, 0 };
	replay_target targets[2];
	FILE *stream = tmpfile(), *was = diag_get_stream();
	ledger *l;
	size_t n;

	if (stream == NULL || ledger_open(path, LEDGER_READ, &l) != LEDGER_OK)
		abort();
	for (int i = 0; i < 2; i++) {
		targets[i] = (replay_target){
			.book = order_book_new(true),
			.balances = way == ONCE_WITH_BALANCES
			            ? trial_balance_new() : NULL,
			.on_event = on_event, .ctx = &events[i], .at_once = true
		};
		order_book_in_place(targets[i].book);
	}
	ledger_scan_tune(l, block, 2, false);
	diag_set_stream(stream);
	said->status = way == HALVES ? ledger_replay_halves(l, targets)
	                             : ledger_replay(l, &targets[0]);
	diag_set_stream(was);
	*head = ledger_head_get(l);
	ledger_close(l);
	for (int i = 0; i < 2; i++) {
		trial_balance_free(targets[i].balances);
		order_book_free(targets[i].book);
	}
	said->events = events[0] + events[1];
	rewind(stream);
	n = fread(said->messages, 1, sizeof said->messages - 1, stream);
	said->messages[n] = '\0';
	fclose(stream);
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
	ledger_head read_head, write_head, again_head, once_head, halves_head;
	int verify_status, read_status, write_status;
	struct said with_balances, once, halves;

	fuzz_reset();
	path = fuzz_write_file("fuzz.ledger", data, size);
	verify_status = cmd_verify(3, (char *[]){ verify, ledger_opt, path,
	                                          NULL });
	replay_read(path, 1 + size % 512, ONCE_WITH_BALANCES, &read_head,
	            &with_balances);
	replay_read(path, 1 + size % 512, ONCE, &once_head, &once);
	replay_read(path, 1 + size % 512, HALVES, &halves_head, &halves);
	read_status = with_balances.status;
	write_status = load_write(path, &write_head);
	/* In halves: the same verdict, the same words, the same events. */
	if (halves.status != once.status
	    || strcmp(halves.messages, once.messages) != 0
	    || (once.status == LEDGER_OK
	        && (halves.events != once.events
	            || memcmp(&once_head, &halves_head, sizeof once_head))))
		abort();
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
