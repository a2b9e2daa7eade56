/* Tests for src/util/date.c: parsing, validity, the day-count conversions
 * and their round trip over the whole supported range. */
#include "tap.h"
#include "util/date.h"

#include <string.h>
#include <time.h>

#define REFUSED INT32_MAX	/* expected day count meaning "not a date" */

static const struct {
	const char *text;
	date_t days;		/* REFUSED when date_parse must say no */
} parse_cases[] = {
	{"1970-01-01", 0},
	{"1969-12-31", -1},
	{"2000-02-29", 11016},	/* divisible by 400: leap */
	{"2024-02-29", 19782},
	{"2000-03-01", 11017},
	{"1900-03-01", -25508},
	{"2026-01-05", 20458},
	{"2026-02-28", 20512},
	{"1000-01-01", -354285},	/* first year accepted */
	{"9999-12-31", 2932896},	/* last day accepted */
	{"2026-02-30", REFUSED},
	{"2025-02-29", REFUSED},
	{"1900-02-29", REFUSED},	/* divisible by 100: not leap */
	{"2100-02-29", REFUSED},
	{"2026-04-31", REFUSED},
	{"2026-13-01", REFUSED},
	{"2026-00-10", REFUSED},
	{"2026-01-00", REFUSED},
	{"2026-01-32", REFUSED},
	{"0999-12-31", REFUSED},	/* year below 1000 */
	{"0000-01-01", REFUSED},
	{"10000-01-01", REFUSED},
	{"2026-1-05", REFUSED},
	{"2026-01-5", REFUSED},
	{"26-01-05", REFUSED},
	{"2026/01/05", REFUSED},
	{"20260105", REFUSED},
	{" 2026-01-05", REFUSED},
	{"2026-01-05 ", REFUSED},
	{"2026-01-05\n", REFUSED},
	{"2026-01-05Z", REFUSED},
	{"2026-01-05T00:00:00", REFUSED},
	{"+026-01-05", REFUSED},
	{"-2026-01-05", REFUSED},
	{"2026-0a-05", REFUSED},
	{"2026-01", REFUSED},
	{"", REFUSED},
};

static const struct {
	int year, month, day;
	bool valid;
} valid_cases[] = {
	{2000, 2, 29, true},
	{2024, 2, 29, true},
	{2400, 2, 29, true},
	{1900, 2, 29, false},
	{2100, 2, 29, false},
	{2025, 2, 29, false},
	{2026, 2, 30, false},
	{2026, 6, 31, false},
	{2026, 12, 31, true},
	{2026, 0, 1, false},
	{2026, 13, 1, false},
	{2026, 1, 0, false},
	{2026, 1, -1, false},
	{1, 1, 1, true},	/* the range date_format can write */
	{0, 12, 31, false},
	{9999, 12, 31, true},
	{10000, 1, 1, false},
};

static const struct {
	date_t days;
	const char *text;
} format_cases[] = {
	{0, "1970-01-01"},
	{-1, "1969-12-31"},
	{19782, "2024-02-29"},
	{2932896, "9999-12-31"},
	{-719162, "0001-01-01"},
	{-719163, "0000-00-00"},	/* year 0: no YYYY-MM-DD form */
	{2932897, "0000-00-00"},	/* year 10000 */
	{DATE_NONE, "0000-00-00"},
};

/* The text with control characters escaped, so a description never breaks
 * a TAP line.  Returns a static buffer. */
static const char *shown(const char *text)
{
	static char buf[64];
	size_t pos = 0;

	for (; *text != '\0' && pos + 5 < sizeof buf; text++) {
		if (*text == '\n') {
			buf[pos++] = '\\';
			buf[pos++] = 'n';
		} else
			buf[pos++] = *text;
	}
	buf[pos] = '\0';
	return buf;
}

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof parse_cases / sizeof *parse_cases; i++) {
		date_t got = REFUSED;

		if (!date_parse(parse_cases[i].text, &got))
			got = REFUSED;
		is_int(parse_cases[i].days, got, "date_parse(\"%s\")",
		    shown(parse_cases[i].text));
	}
}

static void test_valid(void)
{
	for (size_t i = 0; i < sizeof valid_cases / sizeof *valid_cases; i++)
		is_int(valid_cases[i].valid,
		    date_valid_ymd(valid_cases[i].year, valid_cases[i].month,
		    valid_cases[i].day), "date_valid_ymd(%d, %d, %d)",
		    valid_cases[i].year, valid_cases[i].month,
		    valid_cases[i].day);
}

static void test_format(void)
{
	for (size_t i = 0; i < sizeof format_cases / sizeof *format_cases;
	    i++) {
		char buf[11];

		date_format(format_cases[i].days, buf);
		is_string(format_cases[i].text, buf, "date_format(%ld)",
		    (long)format_cases[i].days);
	}
}

static void test_ymd(void)
{
	int y, m, d;

	is_int(0, date_from_ymd(1970, 1, 1), "date_from_ymd epoch");
	is_int(-135080, date_from_ymd(1600, 3, 1), "date_from_ymd 1600-03-01");
	is_int(-719162, date_from_ymd(1, 1, 1), "date_from_ymd 0001-01-01");
	date_to_ymd(-1, &y, &m, &d);
	ok(y == 1969 && m == 12 && d == 31, "date_to_ymd(-1) is 1969-12-31");
	date_to_ymd(11016, &y, &m, &d);
	ok(y == 2000 && m == 2 && d == 29, "date_to_ymd(11016) is 2000-02-29");
}

/* The day after (y, m, d), worked out by hand from month lengths. */
static void next_day(int *y, int *m, int *d)
{
	if (date_valid_ymd(*y, *m, *d + 1)) {
		++*d;
	} else if (*m < 12) {
		++*m;
		*d = 1;
	} else {
		++*y;
		*m = *d = 1;
	}
}

/* Every day from 0001-01-01 to 9999-12-31: to_ymd must walk the calendar
 * one day at a time, from_ymd must invert it, and parse must invert format
 * (from year 1000, where parsing starts). */
static void test_round_trip(void)
{
	date_t first = date_from_ymd(1, 1, 1);
	date_t last = date_from_ymd(9999, 12, 31);
	int y = 1, m = 1, d = 1;
	unsigned long bad = 0;

	for (date_t day = first; day <= last; day++) {
		int yy, mm, dd;
		char buf[11];
		date_t back;

		date_to_ymd(day, &yy, &mm, &dd);
		if (yy != y || mm != m || dd != d
		    || date_from_ymd(yy, mm, dd) != day) {
			if (bad++ < 5)
				diag("day %ld: %d-%d-%d, wanted %d-%d-%d",
				    (long)day, yy, mm, dd, y, m, d);
		}
		date_format(day, buf);
		if (y >= 1000 && (!date_parse(buf, &back) || back != day)) {
			if (bad++ < 5)
				diag("day %ld: \"%s\" does not parse back",
				    (long)day, buf);
		}
		next_day(&y, &m, &d);
	}
	is_int(10000, y, "walk ends in year 10000");
	is_int(0, (long long)bad, "round trip over %ld days",
	    (long)(last - first + 1));
}

/* date_today against gmtime(); taken twice in case midnight passes. */
static void test_today(void)
{
	time_t now = time(NULL);
	struct tm *tm = gmtime(&now);
	date_t utc = date_from_ymd(tm->tm_year + 1900, tm->tm_mon + 1,
	    tm->tm_mday);
	date_t today = date_today();

	ok(today == utc || today == utc + 1, "date_today is UTC today");
}

int main(void)
{
	plan(sizeof parse_cases / sizeof *parse_cases
	    + sizeof valid_cases / sizeof *valid_cases
	    + sizeof format_cases / sizeof *format_cases + 5 + 2 + 1);
	test_parse();
	test_valid();
	test_format();
	test_ymd();
	test_round_trip();
	test_today();
	return tap_done();
}
