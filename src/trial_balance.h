/* Balances per account and currency, in minor units (debit positive). */
#ifndef MANDATE_TRIAL_BALANCE_H
#define MANDATE_TRIAL_BALANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "order_book.h"

typedef struct trial_balance trial_balance;

typedef struct balance_line {
	const char *account;
	char currency[4];
	int64_t balance;
} balance_line;

trial_balance *trial_balance_new(void);
/* A trial balance whose sums are exact whatever the order of the postings
 * (128 bits): trial_balance_add never fails, and trial_balance_unfit says
 * whether a balance does not fit in 64 bits.  For balances summed in
 * parts and put together (trial_balance_merge): the result does not
 * depend on how the postings were shared out. */
trial_balance *trial_balance_new_exact(void);
void trial_balance_free(trial_balance *tb);
/* Adds a posting; false when the balance would overflow (never for an
 * exact one). */
bool trial_balance_add(trial_balance *tb, const posting *p);
/* Adds every balance of from to tb; both exact (else it aborts). */
void trial_balance_merge(trial_balance *tb, const trial_balance *from);
/* Every line, sorted by account then currency (byte order); the array and
 * its strings belong to tb and live until the next add or free.  An exact
 * balance that does not fit shows as 0: ask trial_balance_unfit first. */
const balance_line *trial_balance_lines(trial_balance *tb, size_t *count);
/* The first line (in that order) whose exact balance does not fit in 64
 * bits, or NULL (always for a trial balance that is not exact).  It
 * calls trial_balance_lines: the line is in its new array, and what an
 * earlier call returned is gone. */
const balance_line *trial_balance_unfit(trial_balance *tb);

#endif
