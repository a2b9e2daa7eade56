/* The rule checks of SPEC §2 that need more than one value: each operation
 * of a batch is checked and applied, in document order, to the book inside
 * a transaction the caller opened (book_txn_begin) and will commit or abort.
 * Every error is reported as file:line: message; checking goes on after an
 * error so the user sees them all. */
#ifndef MANDATE_BATCH_CHECK_H
#define MANDATE_BATCH_CHECK_H

#include "batch.h"
#include "order_book.h"

/* effects: NULL, or an array of b->op_count entries filled for the ledger.
 * Returns the number of operations refused. */
size_t batch_check(order_book *book, const batch *b, date_t as_of,
                   op_effect *effects);

#endif
