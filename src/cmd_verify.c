/* mandate verify --ledger L [--head SEQ:HASH]
 *
 * Reads the whole ledger under a shared lock: syntax, sequence, hash chain
 * and batch framing (ledger_scan_views), and that every operation's
 * postings balance to zero per currency.  With --head, also that the ledger still
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
#include "util/money.h"

#define MAX_GROUP_CURRENCIES 8
#define KNOWN_CURRENCIES 8
#define KNOWN_OPS 16

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
	/* Currency codes and operation names accepted already: a million
	 * records use a handful. */
	char known[KNOWN_CURRENCIES][4];
	int known_count;
	struct { char name[16]; size_t length; } ops[KNOWN_OPS];
	int op_count;
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

/* Is code (NUL-terminated) an active ISO 4217 code? */
static bool known_currency(struct balance_check *c, const char *code)
{
	for (int i = 0; i < c->known_count; i++)
		if (memcmp(c->known[i], code, 4) == 0)
			return true;
	if (currency_find(code) == NULL)
		return false;
	if (c->known_count < KNOWN_CURRENCIES)
		memcpy(c->known[c->known_count++], code, 4);
	return true;
}

/* Decodes a value into out (of size capacity) and returns its length as a
 * C string: up to the first NUL, which only a quoted value can hold. */
static size_t value_length(const record_view_field *field, char *out,
                           size_t capacity)
{
	size_t length = record_view_value(field, out, capacity);

	if (field->raw[0] == '"' || length >= capacity)
		return strlen(out);
	return length;
}

static bool key_is(const record_view_field *field, const char *name)
{
	size_t length = strlen(name);

	return field->key_length == length
	    && memcmp(field->key, name, length) == 0;
}

/* A post record's amount and currency, refused with the words of
 * codec_decode_posting: "post record without amount=", "bad cur='XX'". */
static int decode_posting(struct balance_check *c, const record_view *v,
                          int64_t *amount, char code[4], char why[128])
{
	record_view_field field, account, amount_field, cur;
	bool have_account = false, have_amount = false, have_cur = false;
	const char *cursor = v->fields;
	char value[129];

	/* The first field of each name, as record_get finds it. */
	while (record_view_next(v, &cursor, &field)) {
		if (!have_account && key_is(&field, "account")) {
			account = field;
			have_account = true;
		} else if (!have_amount && key_is(&field, "amount")) {
			amount_field = field;
			have_amount = true;
		} else if (!have_cur && key_is(&field, "cur")) {
			cur = field;
			have_cur = true;
		}
	}
	if (!have_account)
		return snprintf(why, 128, "post record without account="), -1;
	/* As a C string (a quoted value may hold a NUL). */
	if (value_length(&account, value, sizeof value)
	    >= sizeof ((posting *)0)->account)
		return snprintf(why, 128, "bad account='%.60s'", value), -1;
	if (!have_amount)
		return snprintf(why, 128, "post record without amount="), -1;
	if (!record_view_int(&amount_field, amount)) {
		record_view_value(&amount_field, value, sizeof value);
		return snprintf(why, 128, "bad amount='%.60s'", value), -1;
	}
	if (!have_cur)
		return snprintf(why, 128, "post record without cur="), -1;
	if (value_length(&cur, value, sizeof value) != 3
	    || !known_currency(c, value))
		return snprintf(why, 128, "bad cur='%.60s'", value), -1;
	memcpy(code, value, 4);
	return 0;
}

static int add_posting(struct balance_check *c, const record_view *v,
                       long line)
{
	int64_t amount;
	char code[4], why[128];
	int i;

	if (decode_posting(c, v, &amount, code, why) != 0)
		return diag_error(c->path, line, "malformed posting: %s", why),
		       LEDGER_INTEGRITY;
	for (i = 0; i < c->count; i++)
		if (memcmp(c->sums[i].code, code, 4) == 0)
			break;
	if (i == c->count) {
		if (c->count == MAX_GROUP_CURRENCIES)
			return diag_error(c->path, line, "too many currencies "
			                  "in one operation"), LEDGER_INTEGRITY;
		memcpy(c->sums[c->count].code, code, 4);
		c->sums[c->count++].sum = 0;
	}
	/* |amount| < 2^63 each and few postings: no overflow in practice,
	 * but check anyway. */
	if (__builtin_add_overflow(c->sums[i].sum, amount, &c->sums[i].sum))
		return diag_error(c->path, line, "posting sum overflows"),
		       LEDGER_INTEGRITY;
	return LEDGER_OK;
}

/* Whether a record type names an operation (codec_is_op wants a string;
 * no operation's name is long). */
static bool is_op(struct balance_check *c, const record_view *v)
{
	char type[sizeof c->ops[0].name];

	for (int i = 0; i < c->op_count; i++)
		if (c->ops[i].length == v->type_length
		    && memcmp(c->ops[i].name, v->type, v->type_length) == 0)
			return true;
	if (v->type_length >= sizeof type)
		return false;
	memcpy(type, v->type, v->type_length);
	type[v->type_length] = '\0';
	if (!codec_is_op(type))
		return false;
	if (c->op_count < KNOWN_OPS) {
		memcpy(c->ops[c->op_count].name, type, sizeof type);
		c->ops[c->op_count++].length = v->type_length;
	}
	return true;
}

static int check_record(void *ctx, const record_view *v, long line)
{
	struct balance_check *c = ctx;
	bool begin, commit;
	int status;

	if (record_view_is(v, "post"))
		return add_posting(c, v, line);
	close_group(c);
	begin = record_view_is(v, "begin");
	commit = record_view_is(v, "commit");
	if (begin)
		c->unbalanced_line = 0;
	if (commit && (status = judge_batch(c)) != LEDGER_OK)
		return status;
	c->group_line = line;
	if (!begin && !commit && !is_op(c, v))
		return diag_error(c->path, line, "unknown record type '%.*s'",
		                  (int)v->type_length, v->type), LEDGER_INTEGRITY;
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
	status = ledger_scan_views(l, check_record, &check);
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
