/* Trial balance; see trial_balance.h. */
#include "trial_balance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/money.h"
#include "util/strmap.h"
#include "util/text.h"
#include "util/xalloc.h"

/* One account and currency. */
typedef struct entry {
	balance_line line;        /* line.balance: when not exact */
	money_sum sum;            /* when exact */
} entry;

struct trial_balance {
	strmap *index;            /* "account currency" → entry* */
	bool exact;
	balance_line *sorted;     /* trial_balance_lines' */
	size_t first_unfit;       /* in sorted (SIZE_MAX: every one fits) */
};

static trial_balance *create(bool exact)
{
	trial_balance *tb = xcalloc(1, sizeof *tb);
	tb->index = strmap_new();
	tb->exact = exact;
	return tb;
}

trial_balance *trial_balance_new(void)
{
	return create(false);
}

trial_balance *trial_balance_new_exact(void)
{
	return create(true);
}

static void free_entry(const char *key, void *value, void *ctx)
{
	entry *e = value;
	(void)key;
	(void)ctx;
	free((char *)e->line.account);
	free(e);
}

void trial_balance_free(trial_balance *tb)
{
	if (tb == NULL)
		return;
	strmap_each(tb->index, free_entry, NULL);
	strmap_free(tb->index);
	free(tb->sorted);
	free(tb);
}

/* The entry of account and currency, made when new. */
static entry *entry_of(trial_balance *tb, const char *account,
                       const char *code)
{
	char key[sizeof ((posting *)0)->account + 8];
	entry *e;
	size_t used;

	/* "ACCOUNT CUR" */
	used = strlen(text_join(key, sizeof key, account, " "));
	text_copy(key + used, sizeof key - used, code);
	e = strmap_get(tb->index, key);
	if (e == NULL) {
		e = xcalloc(1, sizeof *e);
		e->line.account = xstrdup(account);
		text_copy(e->line.currency, sizeof e->line.currency, code);
		strmap_put(tb->index, key, e);
	}
	return e;
}

bool trial_balance_add(trial_balance *tb, const posting *p)
{
	entry *e = entry_of(tb, p->account, p->currency);
	int64_t sum;

	if (tb->exact) {
		e->sum += p->amount;
		return true;
	}
	if (!money_add(e->line.balance, p->amount, &sum))
		return false;
	e->line.balance = sum;
	return true;
}

static void merge_entry(const char *key, void *value, void *ctx)
{
	const entry *from = value;
	(void)key;
	entry_of(ctx, from->line.account, from->line.currency)->sum +=
		from->sum;
}

void trial_balance_merge(trial_balance *tb, const trial_balance *from)
{
	if (!tb->exact || !from->exact)
		abort();    /* misuse: see trial_balance.h */
	strmap_each(from->index, merge_entry, tb);
}

struct gather {
	const entry **entries;
	size_t count;
};

static void gather_entry(const char *key, void *value, void *ctx)
{
	struct gather *g = ctx;
	(void)key;
	g->entries[g->count++] = value;
}

static int compare_entries(const void *a, const void *b)
{
	const balance_line *x = &(*(const entry *const *)a)->line;
	const balance_line *y = &(*(const entry *const *)b)->line;
	int order = strcmp(x->account, y->account);
	return order != 0 ? order : strcmp(x->currency, y->currency);
}

const balance_line *trial_balance_lines(trial_balance *tb, size_t *count)
{
	struct gather g = { 0 };

	g.entries = xcalloc(strmap_count(tb->index) + 1, sizeof *g.entries);
	strmap_each(tb->index, gather_entry, &g);
	qsort(g.entries, g.count, sizeof *g.entries, compare_entries);
	free(tb->sorted);
	tb->sorted = xcalloc(g.count + 1, sizeof *tb->sorted);
	tb->first_unfit = SIZE_MAX;
	for (size_t i = 0; i < g.count; i++) {
		balance_line *line = &tb->sorted[i];

		*line = g.entries[i]->line;
		if (tb->exact && !money_sum_get(g.entries[i]->sum,
		                                &line->balance)) {
			line->balance = 0;
			if (tb->first_unfit == SIZE_MAX)
				tb->first_unfit = i;
		}
	}
	free(g.entries);
	*count = g.count;
	return tb->sorted;
}

const balance_line *trial_balance_unfit(trial_balance *tb)
{
	size_t count;

	trial_balance_lines(tb, &count);
	return tb->first_unfit < count ? &tb->sorted[tb->first_unfit] : NULL;
}
