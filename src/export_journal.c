/* Export; see export_journal.h.
 *
 * Pass 1 learns the committed head, the accounts, the currencies and the
 * closing balances; pass 2 writes one transaction per operation that has
 * postings, stopping at the head so an uncommitted tail is never exported. */
#include "export_journal.h"

#include <stdlib.h>
#include <string.h>

#include "ledger_codec.h"
#include "trial_balance.h"
#include "util/diag.h"
#include "util/money.h"
#include "util/xalloc.h"

struct pass1 {
	trial_balance *committed;
	posting *pending;
	size_t pending_count, pending_capacity;
	char last_date[11];     /* latest committed operation date */
	char batch_date[11];    /* latest date in the open batch */
};

static int collect(void *ctx, const record *rec, long line)
{
	struct pass1 *p = ctx;
	posting post;
	char why[128];
	const char *on;

	(void)line;
	if (strcmp(rec->type, "begin") == 0) {
		p->pending_count = 0;
		p->batch_date[0] = '\0';
	} else if (strcmp(rec->type, "post") == 0) {
		if (codec_decode_posting(rec, &post, why) != 0)
			return LEDGER_INTEGRITY;
		p->pending = xgrow(p->pending, &p->pending_capacity,
		                   p->pending_count + 1, sizeof *p->pending);
		p->pending[p->pending_count++] = post;
	} else if (strcmp(rec->type, "commit") == 0) {
		for (size_t i = 0; i < p->pending_count; i++)
			if (!trial_balance_add(p->committed, &p->pending[i]))
				return LEDGER_INTEGRITY;
		p->pending_count = 0;
		if (strcmp(p->batch_date, p->last_date) > 0)
			memcpy(p->last_date, p->batch_date, sizeof p->last_date);
	} else if ((on = record_get(rec, "on")) != NULL &&
	           strcmp(on, p->batch_date) > 0) {
		snprintf(p->batch_date, sizeof p->batch_date, "%s", on);
	}
	return LEDGER_OK;
}

static int digits_of(const char *code)
{
	const currency *cur = currency_find(code);
	return cur != NULL ? cur->minor_digits : 2;
}

/* "1234.50 RUB"; JPY keeps hledger's trailing point where asked. */
static void amount_text(int64_t minor, const char *code, char out[48])
{
	char number[32];
	money_format(minor, digits_of(code), number);
	snprintf(out, 48, "%s %s", number, code);
}

/* Descriptions may not hold ';' or '|' (comment and payee separators) or
 * line breaks. */
static void put_clean(FILE *out, const char *text)
{
	for (; *text != '\0'; text++)
		fputc(strchr(";|\r\n\t", *text) != NULL ? ' ' : *text, out);
}

struct pass2 {
	FILE *out;
	export_format format;
	uint64_t head_seq;
	char batch[IDENT_MAX + 1];
	char date[11];
	char op_type[16];
	char order[IDENT_MAX + 1];
	char detail[160];
	bool header_due;
};

static void remember_op(struct pass2 *p, const record *rec)
{
	const char *v;

	snprintf(p->date, sizeof p->date, "%s",
	         (v = record_get(rec, "on")) != NULL ? v : "");
	snprintf(p->op_type, sizeof p->op_type, "%s", rec->type);
	snprintf(p->order, sizeof p->order, "%s",
	         (v = record_get(rec, "order")) != NULL ? v : "");
	p->detail[0] = '\0';
	if ((v = record_get(rec, "cost_kind")) != NULL ||
	    (v = record_get(rec, "reference")) != NULL)
		snprintf(p->detail, sizeof p->detail, " %s", v);
	p->header_due = true;
}

static void write_posting(struct pass2 *p, const record *rec,
                          const posting *post)
{
	char amount[48], number[32];

	if (p->format == EXPORT_CSV) {
		money_format(post->amount, digits_of(post->currency), number);
		fprintf(p->out, "%llu,%s,%s,%s,%s,%s,%s,%s\n",
		        (unsigned long long)rec->seq, p->date, p->batch, p->order,
		        p->op_type, post->account, number, post->currency);
		return;
	}
	if (p->header_due) {
		fprintf(p->out, "\n%s %s ", p->date, p->order);
		put_clean(p->out, p->op_type);
		put_clean(p->out, p->detail);
		fputc('\n', p->out);
		p->header_due = false;
	}
	amount_text(post->amount, post->currency, amount);
	fprintf(p->out, "    %-40s  %s\n", post->account, amount);
}

static int emit(void *ctx, const record *rec, long line)
{
	struct pass2 *p = ctx;
	posting post;
	char why[128];
	const char *v;

	(void)line;
	if (rec->seq > p->head_seq)
		return LEDGER_OK;
	if (strcmp(rec->type, "begin") == 0) {
		snprintf(p->batch, sizeof p->batch, "%s",
		         (v = record_get(rec, "batch")) != NULL ? v : "");
	} else if (strcmp(rec->type, "post") == 0) {
		if (codec_decode_posting(rec, &post, why) != 0)
			return LEDGER_INTEGRITY;
		write_posting(p, rec, &post);
	} else if (codec_is_op(rec->type)) {
		remember_op(p, rec);
	}
	return LEDGER_OK;
}

/* "1000.00" for 2 digits. */
static void commodity_sample(int digits, char out[32])
{
	int n = snprintf(out, 32, "1000.");
	for (int d = 0; d < digits && n < 31; d++)
		out[n++] = '0';
	out[n] = '\0';
}

static void write_declarations(FILE *out, ledger *l, const balance_line *lines,
                               size_t count)
{
	char head[LEDGER_HEAD_TEXT_SIZE], sample[32];
	ledger_head h = ledger_head_get(l);

	ledger_head_format(&h, head);
	fprintf(out, "; mandate export of the committed ledger, head %s\n", head);
	for (size_t i = 0; i < count; i++) {
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(lines[k].currency, lines[i].currency) == 0;
		if (seen)
			continue;
		/* "commodity 1000.00 RUB" alone is hledger's form; ledger-cli
		 * 3.3 reads it as a commodity named "1000.00 RUB".  The format
		 * sub-directive gives both tools the same sample.  For a
		 * currency without minor unit no sample suits both (hledger
		 * wants "1000.", ledger-cli refuses it): declare it bare and
		 * let both infer the precision from the amounts. */
		fprintf(out, "commodity %s\n", lines[i].currency);
		if (digits_of(lines[i].currency) > 0) {
			commodity_sample(digits_of(lines[i].currency), sample);
			fprintf(out, "    format %s %s\n", sample,
			        lines[i].currency);
		}
	}
	for (size_t i = 0; i < count; i++)
		if (i == 0 || strcmp(lines[i].account, lines[i - 1].account) != 0)
			fprintf(out, "account %s\n", lines[i].account);
}

static void write_assertions(FILE *out, const balance_line *lines,
                             size_t count, const char *date)
{
	char zero[48], balance[48];

	if (count == 0)
		return;
	fprintf(out, "\n%s closing balances (assertions)\n", date);
	for (size_t i = 0; i < count; i++) {
		amount_text(0, lines[i].currency, zero);
		amount_text(lines[i].balance, lines[i].currency, balance);
		fprintf(out, "    %-40s  %s = %s\n", lines[i].account, zero,
		        balance);
	}
}

int export_journal(ledger *l, export_format format, FILE *out)
{
	struct pass1 p1 = { .committed = trial_balance_new() };
	struct pass2 p2 = { .out = out, .format = format };
	const balance_line *lines;
	size_t count;
	int status = ledger_scan(l, collect, &p1);

	if (status != LEDGER_OK)
		goto done;
	lines = trial_balance_lines(p1.committed, &count);
	p2.head_seq = ledger_head_get(l).seq;
	if (format == EXPORT_LEDGER)
		write_declarations(out, l, lines, count);
	else
		fprintf(out, "seq,date,batch,order,operation,account,amount,"
		        "currency\n");
	status = ledger_scan(l, emit, &p2);
	if (status == LEDGER_OK && format == EXPORT_LEDGER)
		write_assertions(out, lines, count, p1.last_date);
done:
	free(p1.pending);
	trial_balance_free(p1.committed);
	return status;
}
