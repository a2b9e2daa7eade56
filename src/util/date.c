/* Calendar dates as a day count.  The conversions work on a calendar whose
 * year starts on March 1, so the leap day is the last day of its year and
 * month lengths follow a fixed 153-days-per-5-months pattern; 400-year eras
 * (146097 days each) make the arithmetic exact for negative days too. */
#include "util/date.h"

#include <time.h>

#define DAYS_PER_ERA 146097	/* 400 Gregorian years */
#define EPOCH_SHIFT 719468	/* 0000-03-01 to 1970-01-01 */

static bool is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int length[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (month == 2 && is_leap(year))
		return 29;
	return length[month - 1];
}

/* Years 1..9999: the dates date_format can write back. */
bool date_valid_ymd(int year, int month, int day)
{
	if (year < 1 || year > 9999 || month < 1 || month > 12)
		return false;
	return day >= 1 && day <= days_in_month(year, month);
}

/* Floor division, so eras before year 0 still start on their first day. */
static long long floor_div(long long a, long long b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Only meaningful for valid dates; see date_valid_ymd. */
date_t date_from_ymd(int year, int month, int day)
{
	/* January and February belong to the year before. */
	long long y = year - (month <= 2);
	long long era = floor_div(y, 400);
	long long year_of_era = y - era * 400;	/* 0..399 */
	long long march_month = (month + 9) % 12;	/* Mar 0 .. Feb 11 */
	long long day_of_year = (153 * march_month + 2) / 5 + day - 1;
	long long day_of_era = year_of_era * 365 + year_of_era / 4
	    - year_of_era / 100 + day_of_year;

	return (date_t)(era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT);
}

void date_to_ymd(date_t date, int *year, int *month, int *day)
{
	long long z = (long long)date + EPOCH_SHIFT;
	long long era = floor_div(z, DAYS_PER_ERA);
	long long day_of_era = z - era * DAYS_PER_ERA;	/* 0..146096 */
	/* Undo the 4/100/400 leap corrections to find the year of the era;
	 * the last day of an era (a leap day) needs the 146096 term. */
	long long year_of_era = (day_of_era - day_of_era / 1460
	    + day_of_era / 36524 - day_of_era / 146096) / 365;
	long long day_of_year = day_of_era - (365 * year_of_era
	    + year_of_era / 4 - year_of_era / 100);
	long long march_month = (5 * day_of_year + 2) / 153;
	int m = (int)(march_month < 10 ? march_month + 3 : march_month - 9);

	*day = (int)(day_of_year - (153 * march_month + 2) / 5 + 1);
	*month = m;
	*year = (int)(year_of_era + era * 400 + (m <= 2));
}

/* n must be 0..9999 here; writes exactly width digits. */
static void put_digits(char *out, int n, int width)
{
	while (width-- > 0) {
		out[width] = (char)('0' + n % 10);
		n /= 10;
	}
}

/* Dates outside years 1..9999 (DATE_NONE among them) have no YYYY-MM-DD
 * form; they come out as the recognisably bogus "0000-00-00". */
void date_format(date_t date, char buf[static 11])
{
	int year = 0, month = 0, day = 0;

	if (date != DATE_NONE)
		date_to_ymd(date, &year, &month, &day);
	if (year < 1 || year > 9999)
		year = month = day = 0;
	put_digits(buf, year, 4);
	buf[4] = '-';
	put_digits(buf + 5, month, 2);
	buf[7] = '-';
	put_digits(buf + 8, day, 2);
	buf[10] = '\0';
}

/* Reads count digits; false if any is not one.  Stops at a NUL because a
 * NUL is not a digit, so short input is never read past its end. */
static bool get_digits(const char *text, int count, int *out)
{
	int n = 0;

	for (int i = 0; i < count; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		n = n * 10 + (text[i] - '0');
	}
	*out = n;
	return true;
}

bool date_parse(const char *text, date_t *out)
{
	int year, month, day;

	if (text == NULL || !get_digits(text, 4, &year) || text[4] != '-'
	    || !get_digits(text + 5, 2, &month) || text[7] != '-'
	    || !get_digits(text + 8, 2, &day) || text[10] != '\0')
		return false;
	if (year < 1000 || !date_valid_ymd(year, month, day))
		return false;
	*out = date_from_ymd(year, month, day);
	return true;
}

/* POSIX time_t counts seconds since the epoch without leap seconds, so a
 * UTC day is exactly 86400 of them; floor keeps pre-1970 clocks honest. */
date_t date_today(void)
{
	long long now = (long long)time(NULL);

	return (date_t)floor_div(now, 86400);
}
