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
void trial_balance_free(trial_balance *tb);
/* Adds a posting; false when the balance would overflow. */
bool trial_balance_add(trial_balance *tb, const posting *p);
/* Every line, sorted by account then currency (byte order); the array and
 * its strings belong to tb and live until the next add or free. */
const balance_line *trial_balance_lines(trial_balance *tb, size_t *count);

#endif
