/* mandate verify --ledger L [--head SEQ:HASH]
 *
 * Reads the whole ledger under a shared lock: syntax, sequence, hash chain
 * and batch framing (ledger_scan), and that every operation's postings
 * balance to zero per currency.  With --head, also that the ledger still
 * holds that record with that hash: a chain alone cannot show a cut-off
 * tail or a chain recomputed by someone with write access. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "ledger_codec.h"
#include "ledger_store.h"
#include "util/diag.h"

#define MAX_GROUP_CURRENCIES 8

/* Postings since the last operation record, summed per currency.  An
 * unbalanced operation is judged at its batch's commit: in an uncommitted
 * tail it is only a crash's leftover. */
struct balance_check {
	const char *path;
	struct { char code[4]; int64_t sum; } sums[MAX_GROUP_CURRENCIES];
	int count;
	long group_line;
	long unbalanced_line;      /* first unbalanced operation, 0: none */
	char unbalanced_code[4];
};

static void close_group(struct balance_check *c)
{
	for (int i = 0; i < c->count && c->unbalanced_line == 0; i++)
		if (c->sums[i].sum != 0) {
			c->unbalanced_line = c->group_line;
			memcpy(c->unbalanced_code, c->sums[i].code, 4);
		}
	c->count = 0;
}

static int judge_batch(struct balance_check *c)
{
	if (c->unbalanced_line == 0)
		return LEDGER_OK;
	return diag_error(c->path, c->unbalanced_line, "postings of this "
	                  "operation do not balance in %s", c->unbalanced_code),
	       LEDGER_INTEGRITY;
}

static int add_posting(struct balance_check *c, const record *rec, long line)
{
	posting p;
	char why[128];
	int i;

	if (codec_decode_posting(rec, &p, why) != 0)
		return diag_error(c->path, line, "malformed posting: %s", why),
		       LEDGER_INTEGRITY;
	for (i = 0; i < c->count; i++)
		if (strcmp(c->sums[i].code, p.currency) == 0)
			break;
	if (i == c->count) {
		if (c->count == MAX_GROUP_CURRENCIES)
			return diag_error(c->path, line, "too many currencies "
			                  "in one operation"), LEDGER_INTEGRITY;
		memcpy(c->sums[c->count].code, p.currency, 4);
		c->sums[c->count++].sum = 0;
	}
	/* |amount| < 2^63 each and few postings: no overflow in practice,
	 * but check anyway. */
	if (__builtin_add_overflow(c->sums[i].sum, p.amount, &c->sums[i].sum))
		return diag_error(c->path, line, "posting sum overflows"),
		       LEDGER_INTEGRITY;
	return LEDGER_OK;
}

static int check_record(void *ctx, const record *rec, long line)
{
	struct balance_check *c = ctx;
	int status;

	if (strcmp(rec->type, "post") == 0)
		return add_posting(c, rec, line);
	close_group(c);
	if (strcmp(rec->type, "begin") == 0)
		c->unbalanced_line = 0;
	if (strcmp(rec->type, "commit") == 0 &&
	    (status = judge_batch(c)) != LEDGER_OK)
		return status;
	c->group_line = line;
	if (strcmp(rec->type, "begin") != 0 && strcmp(rec->type, "commit") != 0 &&
	    !codec_is_op(rec->type))
		return diag_error(c->path, line, "unknown record type '%s'",
		                  rec->type), LEDGER_INTEGRITY;
	return LEDGER_OK;
}

static void verify_usage(FILE *out)
{
	fprintf(out, "usage: mandate verify --ledger L [--head SEQ:HASH]\n"
	        "Checks the hash chain, batch framing and balances.\n"
	        "exit: 0 intact, 2 usage, 3 integrity failure, 4 environment\n");
}

int cmd_verify(int argc, char **argv)
{
	static const struct option options[] = {
		{ "ledger", required_argument, NULL, 'l' },
		{ "head", required_argument, NULL, 'H' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL, *head_text = NULL;
	struct balance_check check = { 0 };
	ledger_head expected, head;
	char head_out[LEDGER_HEAD_TEXT_SIZE];
	ledger *l;
	int opt, status;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "qvh", options, NULL)) != -1) {
		switch (opt) {
		case 'l': path = optarg; break;
		case 'H': head_text = optarg; break;
		case 'q': diag_set_verbosity(DIAG_QUIET); break;
		case 'v': diag_set_verbosity(DIAG_VERBOSE); break;
		case 'h': verify_usage(stdout); return EXIT_ACCEPTED;
		default: verify_usage(stderr); return EXIT_USAGE;
		}
	}
	if (path == NULL || optind != argc) {
		diag_error(NULL, 0, "verify: --ledger is required and takes no "
		           "other arguments");
		verify_usage(stderr);
		return EXIT_USAGE;
	}
	if (head_text != NULL && ledger_head_parse(head_text, &expected) != 0) {
		diag_error(NULL, 0, "--head '%s' is not SEQ:HASH (64 hex digits)",
		           head_text);
		return EXIT_USAGE;
	}
	if ((status = ledger_open(path, LEDGER_READ, &l)) != LEDGER_OK)
		return status;
	check.path = path;
	if (head_text != NULL)
		ledger_expect_head(l, &expected);
	status = ledger_scan(l, check_record, &check);
	if (status == LEDGER_OK && head_text != NULL &&
	    ledger_head_check(l) != LEDGER_HEAD_MATCH) {
		diag_error(path, 0, "head %s is not in the ledger: it was cut "
		           "off or rewritten", head_text);
		status = LEDGER_INTEGRITY;
	}
	if (status == LEDGER_OK) {
		head = ledger_head_get(l);
		ledger_head_format(&head, head_out);
		if (ledger_tail_bytes(l) > 0)
			diag_warning(path, 0, "%llu bytes of an uncommitted batch "
			             "after the last commit (rolled back by the "
			             "next writer)",
			             (unsigned long long)ledger_tail_bytes(l));
		if (diag_get_verbosity() >= DIAG_NORMAL)
			printf("verify: ok: %llu batches; head %s\n",
			       (unsigned long long)ledger_batch_count(l),
			       head_out);
	}
	ledger_close(l);
	return status;
}
