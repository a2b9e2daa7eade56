/* Calendar dates as days since 1970-01-01 (proleptic Gregorian). */
#ifndef MANDATE_DATE_H
#define MANDATE_DATE_H

#include <stdbool.h>
#include <stdint.h>

typedef int32_t date_t;        /* days since 1970-01-01 */
#define DATE_NONE INT32_MIN    /* "no date given" */

/* Parses exactly "YYYY-MM-DD" (year 1000..9999) and refuses dates that do not
 * exist (2026-02-30).  Returns false on any other text. */
bool date_parse(const char *text, date_t *out);
/* Writes "YYYY-MM-DD" into buf (at least 11 bytes). */
void date_format(date_t date, char buf[static 11]);
date_t date_from_ymd(int year, int month, int day);
void date_to_ymd(date_t date, int *year, int *month, int *day);
bool date_valid_ymd(int year, int month, int day);
/* Today in UTC. */
date_t date_today(void);

#endif
