/* Tests for src/util/money.c: the currency table, exact decimal parsing
 * with its three refusals, formatting, and overflow-checked arithmetic. */
#include "tap.h"
#include "util/money.h"

#include <stdio.h>
#include <string.h>

/* Every code the table must hold, with its minor digits.  Looking each one
 * up also proves the table is sorted, since bsearch misses in one that is
 * not. */
static const char all_codes[] =
	"AED2 AFN2 ALL2 AMD2 ANG2 AOA2 ARS2 AUD2 AWG2 AZN2 BAM2 BBD2 BDT2 "
	"BGN2 BHD3 BIF0 BMD2 BND2 BOB2 BOV2 BRL2 BSD2 BTN2 BWP2 BYN2 BZD2 "
	"CAD2 CDF2 CHE2 CHF2 CHW2 CLF4 CLP0 CNY2 COP2 COU2 CRC2 CUC2 CUP2 "
	"CVE2 CZK2 DJF0 DKK2 DOP2 DZD2 EGP2 ERN2 ETB2 EUR2 FJD2 FKP2 GBP2 "
	"GEL2 GHS2 GIP2 GMD2 GNF0 GTQ2 GYD2 HKD2 HNL2 HTG2 HUF2 IDR2 ILS2 "
	"INR2 IQD3 IRR2 ISK0 JMD2 JOD3 JPY0 KES2 KGS2 KHR2 KMF0 KPW2 KRW0 "
	"KWD3 KYD2 KZT2 LAK2 LBP2 LKR2 LRD2 LSL2 LYD3 MAD2 MDL2 MGA2 MKD2 "
	"MMK2 MNT2 MOP2 MRU2 MUR2 MVR2 MWK2 MXN2 MXV2 MYR2 MZN2 NAD2 NGN2 "
	"NIO2 NOK2 NPR2 NZD2 OMR3 PAB2 PEN2 PGK2 PHP2 PKR2 PLN2 PYG0 QAR2 "
	"RON2 RSD2 RUB2 RWF0 SAR2 SBD2 SCR2 SDG2 SEK2 SGD2 SHP2 SLE2 SLL2 "
	"SOS2 SRD2 SSP2 STN2 SVC2 SYP2 SZL2 THB2 TJS2 TMT2 TND3 TOP2 TRY2 "
	"TTD2 TWD2 TZS2 UAH2 UGX0 USD2 USN2 UYI0 UYU2 UYW4 UZS2 VED2 VES2 "
	"VND0 VUV0 WST2 XAF0 XCD2 XCG2 XOF0 XPF0 YER2 ZAR2 ZMW2 ZWG2 ZWL2";

/* Codes that must not be found: metals, units, testing, gone, malformed. */
static const char *const unknown_codes[] = {
	"XAU", "XAG", "XPT", "XPD", "XTS", "XXX", "XDR", "XSU", "XUA",
	"XBA", "XBB", "XBC", "XBD", "HRK", "ABC", "rub", "Rub", "RU", "RUBB",
	"RUB ", " RUB", "", "\xd0\xa0UB",
};

static const struct {
	const char *text;
	const char *code;
	money_parse_status status;
	int64_t minor;		/* meaningful only for MONEY_OK */
} parse_cases[] = {
	{"150000.00", "RUB", MONEY_OK, 15000000},
	{"150000", "RUB", MONEY_OK, 15000000},
	{"10.5", "RUB", MONEY_OK, 1050},
	{"1.000", "RUB", MONEY_OK, 100},	/* trailing zeros are fine */
	{"1.005", "RUB", MONEY_PRECISION, 0},
	{"0.001", "RUB", MONEY_PRECISION, 0},
	{"0.01", "RUB", MONEY_OK, 1},
	{"+7.25", "EUR", MONEY_OK, 725},
	{"-7.25", "USD", MONEY_OK, -725},
	{"-0", "USD", MONEY_OK, 0},
	{"-0.00", "USD", MONEY_OK, 0},
	{"007.10", "USD", MONEY_OK, 710},	/* leading zeros are fine */
	{"5.", "USD", MONEY_OK, 500},	/* XSD decimal allows both */
	{".5", "USD", MONEY_OK, 50},
	{"10", "JPY", MONEY_OK, 10},
	{"10.", "JPY", MONEY_OK, 10},
	{"10.0", "JPY", MONEY_OK, 10},
	{"10.5", "JPY", MONEY_PRECISION, 0},
	{"10.50", "JPY", MONEY_PRECISION, 0},
	{"10.51", "JPY", MONEY_PRECISION, 0},
	{"1.234", "KWD", MONEY_OK, 1234},
	{"1.2345", "KWD", MONEY_PRECISION, 0},
	{"1.2340", "KWD", MONEY_OK, 1234},
	{"0.0001", "CLF", MONEY_OK, 1},
	{"92233720368547758.07", "RUB", MONEY_OK, INT64_MAX},
	{"92233720368547758.08", "RUB", MONEY_OVERFLOW, 0},
	{"-92233720368547758.08", "RUB", MONEY_OK, INT64_MIN},
	{"-92233720368547758.09", "RUB", MONEY_OVERFLOW, 0},
	{"9223372036854775807", "JPY", MONEY_OK, INT64_MAX},
	{"9223372036854775808", "JPY", MONEY_OVERFLOW, 0},
	{"-9223372036854775808", "JPY", MONEY_OK, INT64_MIN},
	{"-9223372036854775809", "JPY", MONEY_OVERFLOW, 0},
	/* Overflow only through the implied zeros of the fraction. */
	{"92233720368547759", "RUB", MONEY_OVERFLOW, 0},
	{"99999999999999999999999999", "RUB", MONEY_OVERFLOW, 0},
	{"0000000000000000000000000001.00", "RUB", MONEY_OK, 100},
	{"1.00000000000000000000000000", "RUB", MONEY_OK, 100},
	{"1e5", "RUB", MONEY_SYNTAX, 0},
	{"", "RUB", MONEY_SYNTAX, 0},
	{" 1", "RUB", MONEY_SYNTAX, 0},
	{"1 ", "RUB", MONEY_SYNTAX, 0},
	{".", "RUB", MONEY_SYNTAX, 0},
	{"-", "RUB", MONEY_SYNTAX, 0},
	{"+", "RUB", MONEY_SYNTAX, 0},
	{"-.", "RUB", MONEY_SYNTAX, 0},
	{"+-1", "RUB", MONEY_SYNTAX, 0},
	{"--1", "RUB", MONEY_SYNTAX, 0},
	{"1.2.3", "RUB", MONEY_SYNTAX, 0},
	{"1,50", "RUB", MONEY_SYNTAX, 0},
	{"1_000", "RUB", MONEY_SYNTAX, 0},
	{"0x10", "RUB", MONEY_SYNTAX, 0},
	{"NaN", "RUB", MONEY_SYNTAX, 0},
	{"inf", "RUB", MONEY_SYNTAX, 0},
	{"\xd9\xa1", "RUB", MONEY_SYNTAX, 0},	/* Arabic-Indic one */
	/* Syntax is judged before precision: all of it must be a number. */
	{"1.005x", "RUB", MONEY_SYNTAX, 0},
};

static const struct {
	int64_t minor;
	int digits;
	const char *text;
} format_cases[] = {
	{0, 0, "0"},
	{0, 2, "0.00"},
	{-5, 2, "-0.05"},
	{5, 3, "0.005"},
	{1050, 2, "10.50"},
	{-123450, 2, "-1234.50"},
	{15000000, 2, "150000.00"},
	{10, 0, "10"},
	{-10, 0, "-10"},
	{1, 4, "0.0001"},
	{INT64_MAX, 2, "92233720368547758.07"},
	{INT64_MIN, 2, "-92233720368547758.08"},
	{INT64_MIN, 0, "-9223372036854775808"},
	{INT64_MIN, 19, "-0.9223372036854775808"},
	{INT64_MIN, 25, "-0.9223372036854775808"},	/* clamped to 19 */
	{7, -1, "7"},					/* clamped to 0 */
};

static const struct {
	int64_t value, num, den;
	bool ok;
	int64_t result;		/* meaningful only when ok */
} muldiv_cases[] = {
	{5, 1, 2, true, 3},	/* 2.5: away from zero */
	{-5, 1, 2, true, -3},
	{5, -1, 2, true, -3},
	{5, 1, -2, true, -3},
	{-5, -1, -2, true, -3},
	{-5, 1, -2, true, 3},
	{4, 1, 2, true, 2},
	{-4, 1, 2, true, -2},
	{7, 1, 3, true, 2},	/* 2.33 */
	{8, 1, 3, true, 3},	/* 2.67 */
	{-7, 1, 3, true, -2},
	{-8, 1, 3, true, -3},
	{0, 5, 7, true, 0},
	{1, 1, 2, true, 1},	/* 0.5 */
	{1, 1, 3, true, 0},
	{-1, 1, 2, true, -1},
	/* 15% penalty cap on 150000.00: exact in 128 bits. */
	{15000000, 15, 100, true, 2250000},
	/* 0.1% a day for 7 days on 1234.56: 8.64192 */
	{123456, 7, 1000, true, 864},
	/* The intermediate product is far past int64, the result is not. */
	{INT64_MAX, INT64_MAX, INT64_MAX, true, INT64_MAX},
	{INT64_MIN, INT64_MAX, INT64_MAX, true, INT64_MIN},
	{INT64_MIN, 3, 4, true, -6917529027641081856},
	{INT64_MAX, 2, 1, false, 0},
	{INT64_MIN, -1, 1, false, 0},	/* -INT64_MIN does not fit */
	{INT64_MIN, 1, -1, false, 0},
	{INT64_MIN, 1, 1, true, INT64_MIN},
	{1, 1, 0, false, 0},		/* division by zero */
	{0, 0, 0, false, 0},
};

static const char *status_name(money_parse_status status)
{
	switch (status) {
	case MONEY_OK:
		return "OK";
	case MONEY_SYNTAX:
		return "SYNTAX";
	case MONEY_PRECISION:
		return "PRECISION";
	case MONEY_OVERFLOW:
		return "OVERFLOW";
	}
	return "?";
}

#define COUNT(array) (sizeof (array) / sizeof *(array))

static void test_all_codes(void)
{
	unsigned long missing = 0, total = 0;

	for (const char *p = all_codes; *p != '\0'; p += p[4] ? 5 : 4) {
		char code[4] = {p[0], p[1], p[2], '\0'};
		const currency *cur = currency_find(code);

		total++;
		if (cur == NULL || strcmp(cur->code, code) != 0
		    || cur->minor_digits != p[3] - '0') {
			missing++;
			diag("%s: %s", code, cur == NULL ? "not found"
			    : "wrong digits");
		}
	}
	is_int(169, (long long)total, "169 codes listed");
	is_int(0, (long long)missing, "every active code found, right digits");
}

static void test_unknown_codes(void)
{
	for (size_t i = 0; i < COUNT(unknown_codes); i++)
		ok(currency_find(unknown_codes[i]) == NULL,
		    "currency_find(\"%s\") is NULL", unknown_codes[i]);
	ok(currency_find(NULL) == NULL, "currency_find(NULL) is NULL");
}

static void test_parse(void)
{
	for (size_t i = 0; i < COUNT(parse_cases); i++) {
		const currency *cur = currency_find(parse_cases[i].code);
		int64_t minor = 0;
		money_parse_status status;
		char want[64], got[64];

		if (cur == NULL)
			bail("no currency %s", parse_cases[i].code);
		status = money_parse(parse_cases[i].text, cur, &minor);
		/* Compare status and value as one string so a failure shows
		 * both. */
		snprintf(want, sizeof want, "%s %lld",
		    status_name(parse_cases[i].status),
		    parse_cases[i].status == MONEY_OK
		    ? (long long)parse_cases[i].minor : 0LL);
		snprintf(got, sizeof got, "%s %lld", status_name(status),
		    status == MONEY_OK ? (long long)minor : 0LL);
		is_string(want, got, "money_parse(\"%s\", %s)",
		    parse_cases[i].text, parse_cases[i].code);
	}
}

static void test_parse_leaves_output(void)
{
	int64_t minor = 42;

	money_parse("1.005", currency_find("RUB"), &minor);
	money_parse("1e5", currency_find("RUB"), &minor);
	money_parse("92233720368547758.08", currency_find("RUB"), &minor);
	is_int(42, minor, "refused parses leave the output alone");
}

static void test_format(void)
{
	for (size_t i = 0; i < COUNT(format_cases); i++) {
		char buf[32];

		money_format(format_cases[i].minor, format_cases[i].digits,
		    buf);
		is_string(format_cases[i].text, buf, "money_format(%lld, %d)",
		    (long long)format_cases[i].minor, format_cases[i].digits);
	}
}

static void test_muldiv(void)
{
	for (size_t i = 0; i < COUNT(muldiv_cases); i++) {
		int64_t out = 42;
		bool done = money_muldiv_round(muldiv_cases[i].value,
		    muldiv_cases[i].num, muldiv_cases[i].den, &out);

		ok(done == muldiv_cases[i].ok && out == (muldiv_cases[i].ok
		    ? muldiv_cases[i].result : 42),
		    "money_muldiv_round(%lld, %lld, %lld)",
		    (long long)muldiv_cases[i].value,
		    (long long)muldiv_cases[i].num,
		    (long long)muldiv_cases[i].den);
	}
}

static void test_add_mul(void)
{
	int64_t out = 42;

	ok(money_add(2, 3, &out) && out == 5, "money_add 2 + 3");
	ok(money_add(INT64_MAX, INT64_MIN, &out) && out == -1,
	    "money_add max + min");
	out = 42;
	ok(!money_add(INT64_MAX, 1, &out) && out == 42,
	    "money_add max + 1 refused, output untouched");
	ok(!money_add(INT64_MIN, -1, &out) && out == 42,
	    "money_add min - 1 refused");
	ok(money_mul(-7, 6, &out) && out == -42, "money_mul -7 * 6");
	out = 42;
	ok(!money_mul(INT64_MAX, 2, &out) && out == 42,
	    "money_mul max * 2 refused, output untouched");
	ok(!money_mul(INT64_MIN, -1, &out) && out == 42,
	    "money_mul min * -1 refused");
	ok(money_mul(INT64_MIN, 1, &out) && out == INT64_MIN,
	    "money_mul min * 1");
}

/* Round trip: what money_format writes, money_parse reads back. */
static void test_round_trip(void)
{
	static const int64_t values[] = {
		0, 1, -1, 99, -100, 123456789, INT64_MAX, INT64_MIN,
		INT64_MAX - 1, INT64_MIN + 1,
	};
	static const char *const codes[] = {"JPY", "RUB", "KWD", "CLF"};
	unsigned long bad = 0;

	for (size_t c = 0; c < COUNT(codes); c++) {
		const currency *cur = currency_find(codes[c]);

		for (size_t v = 0; v < COUNT(values); v++) {
			char buf[32];
			int64_t back = 0;

			money_format(values[v], cur->minor_digits, buf);
			if (money_parse(buf, cur, &back) != MONEY_OK
			    || back != values[v]) {
				bad++;
				diag("%s %s does not parse back", codes[c],
				    buf);
			}
		}
	}
	is_int(0, (long long)bad, "format then parse gives the same value");
}

int main(void)
{
	plan(2 + COUNT(unknown_codes) + 1 + COUNT(parse_cases) + 1
	    + COUNT(format_cases) + COUNT(muldiv_cases) + 8 + 1);
	test_all_codes();
	test_unknown_codes();
	test_parse();
	test_parse_leaves_output();
	test_format();
	test_muldiv();
	test_add_mul();
	test_round_trip();
	return tap_done();
}
