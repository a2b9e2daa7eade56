/* The row rules of a worksheet, which both read-back passes apply (the
 * full one in xlsx_check over libxml2, the quick one in sheet_scan): each
 * <row r> above the row before it, each cell's reference in its row, the
 * last row the one <dimension ref> names. */
#ifndef MANDATE_SHEET_ROWS_H
#define MANDATE_SHEET_ROWS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sheet_rows {
	long last_row, current_row;
	long dimension_last_row;       /* 0: no <dimension> range seen */
} sheet_rows;

/* <row r="VALUE">: false when it does not follow the row before. */
bool sheet_rows_row(sheet_rows *rows, const char *value, size_t length);
/* <c r="VALUE">: false when it lies outside its row. */
bool sheet_rows_cell(const sheet_rows *rows, const char *value,
                     size_t length);
/* <dimension ref="VALUE">. */
void sheet_rows_dimension(sheet_rows *rows, const char *value,
                          size_t length);
/* At the sheet's end: false when its last row is not the dimension's. */
bool sheet_rows_end(const sheet_rows *rows);

#endif
