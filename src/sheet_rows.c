/* A worksheet's row rules; see sheet_rows.h. */
#include "sheet_rows.h"

#include <string.h>

/* A whole decimal number; -1 if malformed or too long. */
static long number_of(const char *text, size_t length)
{
	long n = 0;

	if (length == 0)
		return -1;
	for (size_t i = 0; i < length; i++) {
		if (text[i] < '0' || text[i] > '9' || n > 10000000)
			return -1;
		n = n * 10 + (text[i] - '0');
	}
	return n;
}

/* The row number of a cell reference such as "AB12"; -1 if malformed. */
static long row_of_reference(const char *ref, size_t length)
{
	size_t i = 0;

	while (i < length && ref[i] >= 'A' && ref[i] <= 'Z')
		i++;
	if (i == 0)
		return -1;
	return number_of(ref + i, length - i);
}

bool sheet_rows_row(sheet_rows *rows, const char *value, size_t length)
{
	long row = number_of(value, length);
	bool rises = row > rows->last_row;

	rows->current_row = rows->last_row = row;
	return rises;
}

bool sheet_rows_cell(const sheet_rows *rows, const char *value,
                     size_t length)
{
	return row_of_reference(value, length) == rows->current_row;
}

void sheet_rows_dimension(sheet_rows *rows, const char *value,
                          size_t length)
{
	const char *colon = memchr(value, ':', length);

	if (colon != NULL)
		rows->dimension_last_row = row_of_reference(colon + 1,
		        length - (size_t)(colon + 1 - value));
}

bool sheet_rows_end(const sheet_rows *rows)
{
	return rows->dimension_last_row <= 0 ||
	       rows->last_row == rows->dimension_last_row;
}
