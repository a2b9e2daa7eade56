/* Checking a batch against a book; see batch_check.h. */
#include "batch_check.h"

size_t batch_check(order_book *book, const batch *b, date_t as_of,
                   op_effect *effects)
{
	size_t refused = 0;

	for (size_t i = 0; i < b->op_count; i++)
		if (book_apply(book, &b->ops[i], b->path, as_of,
		               effects != NULL ? &effects[i] : NULL) != 0)
			refused++;
	return refused;
}
