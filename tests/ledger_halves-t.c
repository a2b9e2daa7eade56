/* ledger_replay_halves: the sample days replayed in two halves give the
 * events, books and balances of one replay; a torn ledger too; and a
 * ledger made wrong in each way a replay can find (re-chained, so the
 * scan passes it) fails with the same status and the same message as one
 * replay says, whichever half finds it first and whichever line the
 * other half fails on. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ledger_codec.h"
#include "ledger_replay.h"
#include "sample_ledger.h"
#include "tap.h"
#include "trial_balance.h"
#include "util/diag.h"
#include "util/xalloc.h"

/* ---- events, written down ------------------------------------------------ */

/* One event as text: everything a consumer reads of it. */
typedef struct event_log {
	char **lines;
	uint64_t *seqs;
	size_t count, capacity;
	int half;                   /* -1: a whole replay */
	bool wrong_half;            /* an event of the other half came */
	bool out_of_order;
	trial_balance *postings;    /* the events' postings, exactly */
} event_log;

static void log_event(void *ctx, const replay_event *e)
{
	event_log *log = ctx;
	const order_state *a = e->after;
	char *line;

	if (log->half >= 0 &&
	    half_of_order(e->op->order_id, strlen(e->op->order_id)) !=
	    log->half)
		log->wrong_half = true;
	if (log->count > 0 && e->seq <= log->seqs[log->count - 1])
		log->out_of_order = true;
	line = xasprintf("%llu line %ld batch %s %s %s v%d changed %u late %d "
	                 "penalty %lld postings %d number %zu | before %s | "
	                 "after v%d stage %d costs %lld paid %lld price %lld "
	                 "%s",
	                 (unsigned long long)e->seq, e->line, e->batch_id,
	                 op_kind_name(e->op->kind), e->op->order_id,
	                 e->effect->version, e->effect->changed,
	                 e->effect->days_late, (long long)e->effect->penalty,
	                 e->effect->posting_count, e->order_number,
	                 e->before != NULL ? "yes" : "no", a->version,
	                 (int)a->stage, (long long)a->costs,
	                 (long long)a->payments, (long long)a->fields.price,
	                 a->fields.title != NULL ? a->fields.title : "-");
	log->lines = xgrow(log->lines, &log->capacity, log->count + 1,
	                   sizeof *log->lines);
	log->seqs = xrealloc(log->seqs, log->capacity * sizeof *log->seqs);
	log->lines[log->count] = line;
	log->seqs[log->count++] = e->seq;
	if (log->postings == NULL)
		log->postings = trial_balance_new_exact();
	for (int i = 0; i < e->effect->posting_count; i++)
		trial_balance_add(log->postings, &e->effect->postings[i]);
}

static void log_free(event_log *log)
{
	for (size_t i = 0; i < log->count; i++)
		free(log->lines[i]);
	free(log->lines);
	free(log->seqs);
	trial_balance_free(log->postings);
	memset(log, 0, sizeof *log);
}

static bool amends(void *ctx, const operation *op)
{
	(void)ctx;
	return op->kind == OP_AMEND;
}

/* ---- replaying, once and in halves ---------------------------------------- */

typedef struct outcome {
	int status;
	char *messages;             /* what diag printed */
	event_log events;           /* merged by seq, for halves */
	char *balances;             /* the trial balance as text */
	size_t orders;              /* in the book(s) */
} outcome;

static char *read_stream(FILE *f)
{
	long size = ftell(f);
	char *text = xmalloc((size_t)size + 1);

	rewind(f);
	text[fread(text, 1, (size_t)size, f)] = '\0';
	return text;
}

/* The balances of both (exact; either may be NULL), put together, as
 * "account cur amount" lines. */
static char *balance_text(trial_balance *a, trial_balance *b)
{
	trial_balance *sum = trial_balance_new_exact();
	char *text = xstrdup(""), *next;
	const balance_line *lines;
	size_t count;

	if (a != NULL)
		trial_balance_merge(sum, a);
	if (b != NULL)
		trial_balance_merge(sum, b);
	lines = trial_balance_lines(sum, &count);
	for (size_t i = 0; i < count; i++) {
		next = xasprintf("%s%s %s %lld\n", text, lines[i].account,
		                 lines[i].currency, (long long)lines[i].balance);
		free(text);
		text = next;
	}
	trial_balance_free(sum);
	return text;
}

/* A trial balance kept in ledger order as text, as balance_text. */
static char *plain_text(trial_balance *tb)
{
	char *text = xstrdup(""), *next;
	size_t count;
	const balance_line *lines = trial_balance_lines(tb, &count);

	for (size_t i = 0; i < count; i++) {
		next = xasprintf("%s%s %s %lld\n", text, lines[i].account,
		                 lines[i].currency, (long long)lines[i].balance);
		free(text);
		text = next;
	}
	return text;
}

static bool balances_agree = true;

static outcome replay_once(const char *path)
{
	outcome out = { .events.half = -1 };
	order_book *book = order_book_new(true);
	trial_balance *tb = trial_balance_new();
	replay_target target = { .book = book, .balances = tb,
	                         .on_event = log_event,
	                         .wants_states = amends, .ctx = &out.events,
	                         .at_once = true };
	FILE *sink = tmpfile();
	ledger *l;

	order_book_in_place(book);
	diag_set_stream(sink);
	out.status = ledger_load(path, LEDGER_READ, &target, &l);
	ledger_close(l);
	diag_set_stream(NULL);
	out.messages = read_stream(sink);
	fclose(sink);
	out.balances = balance_text(out.events.postings, NULL);
	if (out.status == LEDGER_OK) {
		/* the replay's own trial balance says the same */
		char *plain = plain_text(tb);
		balances_agree &= strcmp(plain, out.balances) == 0;
		free(plain);
	}
	out.orders = order_book_count(book);
	trial_balance_free(tb);
	order_book_free(book);
	return out;
}

static bool halves_in_order = true, halves_kept_apart = true;

static outcome replay_halves(const char *path)
{
	outcome out = { .events.half = -1 };
	order_book *books[2];
	event_log logs[2] = { { .half = 0 }, { .half = 1 } };
	replay_target targets[2];
	FILE *sink = tmpfile();
	ledger *l;
	size_t at[2] = { 0, 0 };

	for (int i = 0; i < 2; i++) {
		books[i] = order_book_new(true);
		order_book_in_place(books[i]);
		targets[i] = (replay_target){
			.book = books[i],
			.on_event = log_event, .wants_states = amends,
			.ctx = &logs[i], .at_once = true
		};
	}
	diag_set_stream(sink);
	out.status = ledger_load_halves(path, targets, &l);
	ledger_close(l);
	diag_set_stream(NULL);
	out.messages = read_stream(sink);
	fclose(sink);
	out.balances = balance_text(logs[0].postings, logs[1].postings);
	for (int i = 0; i < 2; i++) {
		halves_in_order &= !logs[i].out_of_order;
		halves_kept_apart &= !logs[i].wrong_half;
		out.orders += order_book_count(books[i]);
		order_book_free(books[i]);
	}
	/* merged by seq */
	while (at[0] < logs[0].count || at[1] < logs[1].count) {
		int k = at[1] >= logs[1].count ? 0
		      : at[0] >= logs[0].count ? 1
		      : logs[0].seqs[at[0]] < logs[1].seqs[at[1]] ? 0 : 1;
		out.events.lines = xgrow(out.events.lines,
		                         &out.events.capacity,
		                         out.events.count + 1,
		                         sizeof *out.events.lines);
		out.events.lines[out.events.count++] = logs[k].lines[at[k]];
		logs[k].lines[at[k]++] = NULL;
	}
	log_free(&logs[0]);
	log_free(&logs[1]);
	return out;
}

static void outcome_free(outcome *o)
{
	free(o->messages);
	free(o->balances);
	log_free(&o->events);
}

/* Whether both replays agree; says where they do not. */
static bool same_outcome(const outcome *one, const outcome *two)
{
	if (one->status != two->status) {
		diag("status %d once, %d in halves", one->status, two->status);
		return false;
	}
	if (strcmp(one->messages, two->messages) != 0) {
		diag("messages once:\n%s\nin halves:\n%s", one->messages,
		     two->messages);
		return false;
	}
	if (one->status != LEDGER_OK)
		return true;    /* events of a failed replay do not count */
	if (one->events.count != two->events.count) {
		diag("%zu events once, %zu in halves", one->events.count,
		     two->events.count);
		return false;
	}
	for (size_t i = 0; i < one->events.count; i++)
		if (strcmp(one->events.lines[i], two->events.lines[i]) != 0) {
			diag("event %zu once:\n  %s\nin halves:\n  %s", i,
			     one->events.lines[i], two->events.lines[i]);
			return false;
		}
	if (strcmp(one->balances, two->balances) != 0) {
		diag("balances once:\n%s\nin halves:\n%s", one->balances,
		     two->balances);
		return false;
	}
	if (one->orders != two->orders) {
		diag("%zu orders once, %zu in halves", one->orders,
		     two->orders);
		return false;
	}
	return true;
}

/* ---- ledgers made wrong --------------------------------------------------- */

/* A ledger as lines without their number and hash ("type k=v ..."). */
typedef struct lines {
	char **at;
	size_t count, capacity;
} lines;

static lines split_ledger(const char *text)
{
	lines ls = { 0 };

	for (const char *p = text; *p != '\0';) {
		const char *newline = strchr(p, '\n');
		const char *start = strchr(p, ' ') + 1;
		const char *hash = newline - (3 + 2 * LEDGER_HASH_SIZE);

		ls.at = xgrow(ls.at, &ls.capacity, ls.count + 1, sizeof *ls.at);
		ls.at[ls.count++] = xasprintf("%.*s", (int)(hash - start),
		                              start);
		p = newline + 1;
	}
	return ls;
}

static void lines_free(lines *ls)
{
	for (size_t i = 0; i < ls->count; i++)
		free(ls->at[i]);
	free(ls->at);
}

/* Writes the lines numbered and chained, as the store would. */
static void write_chained(const char *path, const lines *ls)
{
	FILE *out = fopen(path, "wb");
	unsigned char prev[LEDGER_HASH_SIZE] = { 0 };

	for (size_t i = 0; i < ls->count; i++) {
		char *body = xasprintf("%zu %s", i + 1, ls->at[i]);
		char hex[2 * LEDGER_HASH_SIZE + 1];
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		unsigned int size;

		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		EVP_DigestUpdate(md, prev, sizeof prev);
		EVP_DigestUpdate(md, body, strlen(body));
		EVP_DigestFinal_ex(md, prev, &size);
		EVP_MD_CTX_free(md);
		ledger_hash_hex(prev, hex);
		fprintf(out, "%s h=%s\n", body, hex);
		free(body);
	}
	fclose(out);
}

static const char *type_is(const char *line, const char *type)
{
	size_t n = strlen(type);

	return strncmp(line, type, n) == 0 && line[n] == ' ' ? line : NULL;
}

/* The half of the order a line names (-1: none). */
static int line_half(const char *line)
{
	const char *id = strstr(line, " order=");
	size_t n;

	if (id == NULL)
		return -1;
	id += 7;
	n = strcspn(id, " ");
	return half_of_order(id, n);
}

static bool is_op(const char *line)
{
	char type[32];

	sscanf(line, "%31[a-z]", type);
	return codec_is_op(type);
}

/* The first line at or after from of type whose order is in half (any
 * half when -1) and, when then_half >= 0, followed by an operation of
 * that half. */
static size_t find(const lines *ls, size_t from, const char *type, int half,
                   int then_half)
{
	for (size_t i = from; i + 1 < ls->count; i++) {
		if (!type_is(ls->at[i], type) ||
		    (half >= 0 && line_half(ls->at[i]) != half))
			continue;
		if (then_half >= 0 && (!is_op(ls->at[i + 1]) ||
		                       line_half(ls->at[i + 1]) != then_half))
			continue;
		return i;
	}
	bail("no %s line of half %d in the samples", type, half);
	return 0;
}

/* Replaces the first "key=N" of line i with N + 1. */
static void bump(lines *ls, size_t i, const char *key)
{
	char *line = ls->at[i], *at = strstr(line, key), *end;
	long long value;

	if (at == NULL)
		bail("no %s in line %zu", key, i + 1);
	at += strlen(key);
	value = strtoll(at, &end, 10);
	ls->at[i] = xasprintf("%.*s%lld%s", (int)(at - line), line, value + 1,
	                      end);
	free(line);
}

/* The commit line closing the batch line i is in gets `delta` records. */
static void recount(lines *ls, size_t i, int delta)
{
	while (i < ls->count && !type_is(ls->at[i], "commit"))
		i++;
	if (i == ls->count)
		bail("no commit after line %zu", i);
	for (int k = 0; k < abs(delta); k++) {
		if (delta > 0) {
			bump(ls, i, "records=");
			continue;
		}
		/* one less: "records=N" -> N - 1, by hand */
		char *line = ls->at[i], *at = strstr(line, "records=") + 8;
		ls->at[i] = xasprintf("%.*s%lld", (int)(at - line), line,
		                      strtoll(at, NULL, 10) - 1);
		free(line);
	}
}

static void insert(lines *ls, size_t i, const char *line)
{
	ls->at = xgrow(ls->at, &ls->capacity, ls->count + 1, sizeof *ls->at);
	memmove(ls->at + i + 1, ls->at + i, (ls->count - i) * sizeof *ls->at);
	ls->at[i] = xstrdup(line);
	ls->count++;
	recount(ls, i + 1, 1);
}

static void delete(lines *ls, size_t i)
{
	free(ls->at[i]);
	memmove(ls->at + i, ls->at + i + 1,
	        (ls->count - i - 1) * sizeof *ls->at);
	ls->count--;
	recount(ls, i, -1);
}

static lines copy(const lines *ls)
{
	lines c = { .count = ls->count, .capacity = ls->count };

	c.at = xmalloc(ls->count * sizeof *c.at);
	for (size_t i = 0; i < ls->count; i++)
		c.at[i] = xstrdup(ls->at[i]);
	return c;
}

/* Replays the lines both ways; true when they agree and fail with
 * `status` and a message holding `expect` (and ":LINE:" for line > 0). */
static bool agree_on(const char *path, const lines *ls, int status,
                     const char *expect, size_t line, const char *what)
{
	outcome one, two;
	char where[32];
	bool same;

	write_chained(path, ls);
	one = replay_once(path);
	two = replay_halves(path);
	same = same_outcome(&one, &two);
	snprintf(where, sizeof where, ":%zu:", line);
	if (one.status != status || strstr(one.messages, expect) == NULL ||
	    (line > 0 && strstr(one.messages, where) == NULL)) {
		diag("%s: once gave %d: %s", what, one.status, one.messages);
		same = false;
	}
	outcome_free(&one);
	outcome_free(&two);
	return same;
}

/* The first `type` line of half with its `key=N` made N + 1: whether both
 * replays fail on it with LEDGER_INTEGRITY and a message holding
 * expect. */
static bool bumped_agree(const char *path, const lines *ls, const char *type,
                         int half, const char *key, const char *expect)
{
	lines bad = copy(ls);
	size_t i = find(&bad, 0, type, half, -1);
	bool same;

	bump(&bad, i, key);
	same = agree_on(path, &bad, LEDGER_INTEGRITY, expect, i + 1, key);
	lines_free(&bad);
	return same;
}

int main(void)
{
	char *path = test_tmp_path("halves-t.ledger");
	char *work = test_tmp_path("halves-t-work.ledger");
	outcome one, two;
	char *text;
	size_t length;
	lines ls, bad;
	size_t i, j;

	plan(25);
	unlink(path);
	book_sample_days(path);
	text = test_read_file(path, &length);

	one = replay_once(path);
	two = replay_halves(path);
	is_int(LEDGER_OK, one.status, "the samples replay once");
	ok(same_outcome(&one, &two), "in halves: the same events, balances, "
	   "books and messages");
	ok(halves_in_order, "each half's events come in ledger order");
	ok(halves_kept_apart, "each half gets its own orders only");
	{
		size_t counts[2] = { 0, 0 };
		ls = split_ledger(text);
		for (size_t k = 0; k < ls.count; k++)
			if (type_is(ls.at[k], "order"))
				counts[line_half(ls.at[k])]++;
		ok(counts[0] > 2 && counts[1] > 2, "both halves have orders "
		   "(%zu and %zu)", counts[0], counts[1]);
	}
	outcome_free(&one);
	outcome_free(&two);

	/* the lines as the test writes them are the ledger */
	write_chained(work, &ls);
	{
		size_t n;
		char *again = test_read_file(work, &n);
		ok(n == length && memcmp(again, text, n) == 0,
		   "re-chaining the samples gives the same bytes");
		free(again);
	}

	/* torn inside its last batch */
	{
		FILE *out = fopen(work, "wb");
		fwrite(text, 1, length - 40, out);
		fclose(out);
		one = replay_once(work);
		two = replay_halves(work);
		ok(one.status == LEDGER_OK && same_outcome(&one, &two),
		   "a torn ledger: the same in halves");
		outcome_free(&one);
		outcome_free(&two);
	}

	/* Wrong postings, versions, records, for either half. */
	for (int half = 0; half < 2; half++) {
		ok(bumped_agree(work, &ls, "post", half, "amount=",
		                "posting does not match its operation"),
		   "half %d: a posting that does not match", half);
		ok(bumped_agree(work, &ls, "advance", half, "version=",
		                "version does not match"),
		   "half %d: a version that does not match", half);

		/* the last posting of an operation gone, another half's
		 * operation next: found on that line */
		bad = copy(&ls);
		i = find(&bad, 0, "post", half, 1 - half);
		delete(&bad, i);
		ok(agree_on(work, &bad, LEDGER_INTEGRITY, "postings of the "
		            "previous operation are missing", i + 1,
		            "missing posting"),
		   "half %d: a missing posting, found on the other half's "
		   "line", half);
		lines_free(&bad);
	}

	/* Two failures on one line: the last posting of one half's
	 * operation gone, and the other half's operation after it wrong too:
	 * one replay checks the postings first. */
	for (int half = 0; half < 2; half++) {
		bad = copy(&ls);
		i = find(&bad, 0, "post", half, 1 - half);
		bump(&bad, i + 1, "version=");
		delete(&bad, i);
		ok(agree_on(work, &bad, LEDGER_INTEGRITY, "postings of the "
		            "previous operation are missing", i + 1,
		            "missing posting, wrong operation"),
		   "half %d's missing posting and half %d's wrong version on "
		   "one line: the postings are said", half, 1 - half);
		lines_free(&bad);
	}

	/* a posting right after begin; an unknown record type */
	bad = copy(&ls);
	i = find(&bad, 1, "begin", -1, -1);
	insert(&bad, i + 1, ls.at[find(&ls, 0, "post", 1, -1)]);
	ok(agree_on(work, &bad, LEDGER_INTEGRITY, "posting without an "
	            "operation", i + 2, "orphan posting"),
	   "a posting of half 1 without an operation");
	lines_free(&bad);
	bad = copy(&ls);
	i = find(&bad, 0, "advance", 1, -1);
	insert(&bad, i, "audit note=x");
	ok(agree_on(work, &bad, LEDGER_INTEGRITY, "unknown record type",
	            i + 1, "unknown type"), "an unknown record type");
	lines_free(&bad);

	/* Two failures: the earlier line wins, whichever half it is in. */
	for (int half = 0; half < 2; half++) {
		bad = copy(&ls);
		i = find(&bad, 0, "advance", half, -1);
		j = find(&bad, i + 40, "advance", 1 - half, -1);
		bump(&bad, i, "version=");
		bump(&bad, j, "version=");
		ok(agree_on(work, &bad, LEDGER_INTEGRITY, "version does not "
		            "match", i + 1, "two versions"),
		   "half %d fails first, half %d later: the first is said",
		   half, 1 - half);
		lines_free(&bad);
	}

	/* A replay failure after a broken chain, and before one. */
	{
		bad = copy(&ls);
		i = find(&bad, 0, "advance", 1, -1);
		bump(&bad, i, "version=");
		write_chained(work, &bad);
		free(text);
		text = test_read_file(work, &length);
		/* break the hash of a line after it, then before it */
		for (int before = 0; before < 2; before++) {
			char *copy_text = xstrdup(text);
			size_t target = before ? i / 2 + 1 : i + 10, n = 0;
			char *p = copy_text;
			FILE *out;

			while (++n < target)
				p = strchr(p, '\n') + 1;
			p = strchr(p, '\n') - 1;     /* the hash's last digit */
			*p = *p == '0' ? '1' : '0';
			out = fopen(work, "wb");
			fwrite(copy_text, 1, length, out);
			fclose(out);
			one = replay_once(work);
			two = replay_halves(work);
			ok(same_outcome(&one, &two) &&
			   strstr(one.messages, before
			          ? "hash does not match"
			          : "version does not match") != NULL,
			   "a broken hash %s the replay's failure: the same "
			   "message", before ? "before" : "after");
			outcome_free(&one);
			outcome_free(&two);
			free(copy_text);
		}
		lines_free(&bad);
	}

	ok(balances_agree, "one replay's trial balance is the exact sum of "
	   "its events' postings");

	/* Exact trial balances: the same whatever the order and the sharing
	 * out (a plain one overflows on the way). */
	{
		trial_balance *plain = trial_balance_new();
		trial_balance *parts[2] = { trial_balance_new_exact(),
		                            trial_balance_new_exact() };
		trial_balance *all = trial_balance_new_exact();
		posting max = { .account = "assets:bank", .currency = "RUB",
		                .amount = INT64_MAX };
		posting plus2 = max, minus = max;
		size_t n;
		const balance_line *bl;

		plus2.amount = 2;
		minus.amount = -INT64_MAX;
		ok(trial_balance_add(plain, &max) &&
		   !trial_balance_add(plain, &plus2),
		   "in ledger order MAX + 2 overflows");
		trial_balance_add(parts[0], &max);
		trial_balance_add(parts[1], &plus2);
		trial_balance_add(parts[0], &minus);
		trial_balance_merge(all, parts[0]);
		trial_balance_merge(all, parts[1]);
		ok(trial_balance_unfit(all) == NULL &&
		   (bl = trial_balance_lines(all, &n)) != NULL && n == 1 &&
		   bl[0].balance == 2,
		   "exact, in two parts: MAX + 2 - MAX = 2");
		trial_balance_add(all, &max);
		bl = trial_balance_unfit(all);
		ok(bl != NULL && strcmp(bl->account, "assets:bank") == 0,
		   "exact: a balance past 64 bits is named");
		trial_balance_free(plain);
		trial_balance_free(parts[0]);
		trial_balance_free(parts[1]);
		trial_balance_free(all);
	}

	lines_free(&ls);
	free(text);
	unlink(work);
	free(path);
	free(work);
	return tap_done();
}
