/* Trial balance; see trial_balance.h. */
#include "trial_balance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/money.h"
#include "util/strmap.h"
#include "util/text.h"
#include "util/xalloc.h"

struct trial_balance {
	strmap *index;            /* "account currency" → balance_line* */
	balance_line *sorted;
	size_t sorted_count;
};

trial_balance *trial_balance_new(void)
{
	trial_balance *tb = xcalloc(1, sizeof *tb);
	tb->index = strmap_new();
	return tb;
}

static void free_line(const char *key, void *value, void *ctx)
{
	balance_line *line = value;
	(void)key;
	(void)ctx;
	free((char *)line->account);
	free(line);
}

void trial_balance_free(trial_balance *tb)
{
	if (tb == NULL)
		return;
	strmap_each(tb->index, free_line, NULL);
	strmap_free(tb->index);
	free(tb->sorted);
	free(tb);
}

bool trial_balance_add(trial_balance *tb, const posting *p)
{
	char key[sizeof p->account + 8];
	balance_line *line;
	int64_t sum;
	size_t used;

	/* "ACCOUNT CUR" */
	used = strlen(text_join(key, sizeof key, p->account, " "));
	text_copy(key + used, sizeof key - used, p->currency);
	line = strmap_get(tb->index, key);
	if (line == NULL) {
		line = xcalloc(1, sizeof *line);
		line->account = xstrdup(p->account);
		memcpy(line->currency, p->currency, 4);
		strmap_put(tb->index, key, line);
	}
	if (!money_add(line->balance, p->amount, &sum))
		return false;
	line->balance = sum;
	return true;
}

struct gather {
	balance_line *lines;
	size_t count;
};

static void gather_line(const char *key, void *value, void *ctx)
{
	struct gather *g = ctx;
	(void)key;
	g->lines[g->count++] = *(balance_line *)value;
}

static int compare_lines(const void *a, const void *b)
{
	const balance_line *x = a, *y = b;
	int order = strcmp(x->account, y->account);
	return order != 0 ? order : strcmp(x->currency, y->currency);
}

const balance_line *trial_balance_lines(trial_balance *tb, size_t *count)
{
	struct gather g;

	free(tb->sorted);
	g.lines = xcalloc(strmap_count(tb->index) + 1, sizeof *g.lines);
	g.count = 0;
	strmap_each(tb->index, gather_line, &g);
	qsort(g.lines, g.count, sizeof *g.lines, compare_lines);
	tb->sorted = g.lines;
	tb->sorted_count = g.count;
	*count = g.count;
	return g.lines;
}
