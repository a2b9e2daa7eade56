/* Money as int64 minor units.  Parsing works on the decimal text digit by
 * digit, never through floating point, so every accepted amount is exact. */
#include "util/money.h"

#include <stdlib.h>
#include <string.h>

/* Active ISO 4217 codes (list one, 2024) with their minor digits, sorted by
 * code for bsearch.  Left out on purpose: precious metals (XAU XAG XPT XPD),
 * the bond-market units (XBA..XBD), XDR XSU XUA, the testing code XTS and
 * "no currency" XXX: nobody is paid in them.  HRK is gone (Croatia uses EUR
 * since 2023); ZWG and XCG arrived in 2024 while ZWL, ANG, SLL and CUC were
 * still listed, so both sides of those transitions are accepted.  The
 * schema checks only the [A-Z]{3} shape: this table is the list. */
static const currency currencies[] = {
	{"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2},
	{"ARS", 2}, {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2},
	{"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2},
	{"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2},
	{"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2},
	{"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"COU", 2},
	{"CRC", 2}, {"CUC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0},
	{"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2},
	{"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2},
	{"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2},
	{"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2},
	{"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0},
	{"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0},
	{"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2},
	{"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2},
	{"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2},
	{"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MXV", 2}, {"MYR", 2}, {"MZN", 2},
	{"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2},
	{"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2}, {"PKR", 2},
	{"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2},
	{"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2},
	{"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SLL", 2}, {"SOS", 2}, {"SRD", 2},
	{"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2},
	{"TJS", 2}, {"TMT", 2}, {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2},
	{"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"USN", 2},
	{"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VED", 2}, {"VES", 2},
	{"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2},
	{"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
	{"ZWL", 2},
};

static int compare_code(const void *key, const void *member)
{
	return strcmp(key, ((const currency *)member)->code);
}

const currency *currency_find(const char *code)
{
	if (code == NULL || strlen(code) != 3)
		return NULL;
	return bsearch(code, currencies, sizeof currencies / sizeof *currencies,
	    sizeof *currencies, compare_code);
}

/* The pieces of "[sign](int)[.(frac)]", located but not yet valued. */
typedef struct decimal_text {
	bool negative;
	const char *int_digits;
	size_t int_length;
	const char *frac_digits;
	size_t frac_length;
} decimal_text;

static size_t count_digits(const char *text)
{
	size_t n = 0;

	while (text[n] >= '0' && text[n] <= '9')
		n++;
	return n;
}

/* The XSD decimal lexical space: (\+|-)?([0-9]+(\.[0-9]*)?|\.[0-9]+).
 * So "5." and ".5" are numbers, "." and "" are not. */
static bool split_decimal(const char *text, decimal_text *out)
{
	out->negative = *text == '-';
	if (*text == '-' || *text == '+')
		text++;
	out->int_digits = text;
	out->int_length = count_digits(text);
	text += out->int_length;
	out->frac_digits = text;
	out->frac_length = 0;
	if (*text == '.') {
		out->frac_digits = ++text;
		out->frac_length = count_digits(text);
		text += out->frac_length;
	}
	return *text == '\0' && out->int_length + out->frac_length > 0;
}

/* acc = acc * 10 + digit, refusing to go past limit. */
static bool push_digit(uint64_t *acc, unsigned digit, uint64_t limit)
{
	if (*acc > (limit - digit) / 10)
		return false;
	*acc = *acc * 10 + digit;
	return true;
}

static bool push_digits(uint64_t *acc, const char *digits, size_t count,
                        uint64_t limit)
{
	for (size_t i = 0; i < count; i++)
		if (!push_digit(acc, (unsigned)(digits[i] - '0'), limit))
			return false;
	return true;
}

money_parse_status money_parse(const char *text, const currency *cur,
                               int64_t *minor_out)
{
	decimal_text dec;
	size_t digits = (size_t)cur->minor_digits;
	size_t used;
	uint64_t magnitude = 0, limit;

	if (text == NULL || !split_decimal(text, &dec))
		return MONEY_SYNTAX;
	/* Trailing zeros say nothing ("1.000" is 1.00), so only a nonzero
	 * digit past the currency's precision is refused. */
	used = dec.frac_length < digits ? dec.frac_length : digits;
	for (size_t i = used; i < dec.frac_length; i++)
		if (dec.frac_digits[i] != '0')
			return MONEY_PRECISION;
	/* The negative range is one larger: -INT64_MIN has no int64. */
	limit = dec.negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (!push_digits(&magnitude, dec.int_digits, dec.int_length, limit)
	    || !push_digits(&magnitude, dec.frac_digits, used, limit))
		return MONEY_OVERFLOW;
	for (size_t i = used; i < digits; i++)	/* "10.5" RUB is 1050 */
		if (!push_digit(&magnitude, 0, limit))
			return MONEY_OVERFLOW;
	/* Negate in unsigned arithmetic: magnitude 2^63 becomes INT64_MIN
	 * without a signed overflow. */
	if (dec.negative)
		*minor_out = magnitude == 0 ? 0 : -(int64_t)(magnitude - 1) - 1;
	else
		*minor_out = (int64_t)magnitude;
	return MONEY_OK;
}

/* More digits than any currency has; the clamp keeps the output inside the
 * 32-byte buffer (sign, 20 digits, point, NUL) whatever the caller passes. */
#define FORMAT_MAX_DIGITS 19

void money_format(int64_t minor, int minor_digits, char buf[static 32])
{
	/* INT64_MIN's magnitude exists only as an unsigned number. */
	uint64_t magnitude = minor < 0 ? -(uint64_t)minor : (uint64_t)minor;
	char digits[24];
	int count = 0, width, pos = 0;

	if (minor_digits < 0)
		minor_digits = 0;
	if (minor_digits > FORMAT_MAX_DIGITS)
		minor_digits = FORMAT_MAX_DIGITS;
	do {			/* least significant first */
		digits[count++] = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude != 0);
	/* At least one digit before the point: -5 at 2 digits is "-0.05". */
	width = count > minor_digits ? count : minor_digits + 1;
	while (count < width)
		digits[count++] = '0';
	if (minor < 0)
		buf[pos++] = '-';
	while (count > 0) {
		if (count == minor_digits)
			buf[pos++] = '.';
		buf[pos++] = digits[--count];
	}
	buf[pos] = '\0';
}

bool money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t sum;

	if (__builtin_add_overflow(a, b, &sum))
		return false;
	*out = sum;
	return true;
}

bool money_mul(int64_t a, int64_t b, int64_t *out)
{
	int64_t product;

	if (__builtin_mul_overflow(a, b, &product))
		return false;
	*out = product;
	return true;
}

/* GCC and Clang extension; __extension__ keeps -pedantic quiet about it. */
__extension__ typedef __int128 wide_t;

/* Two int64 multiply to at most 2^126 in magnitude, so the product and
 * everything below is exact in 128 bits. */
bool money_muldiv_round(int64_t value, int64_t num, int64_t den, int64_t *out)
{
	wide_t product = (wide_t)value * num;
	wide_t quotient, remainder, abs_rem, abs_den;

	if (den == 0)
		return false;
	quotient = product / den;	/* truncated toward zero */
	remainder = product % den;
	abs_rem = remainder < 0 ? -remainder : remainder;
	abs_den = den < 0 ? -(wide_t)den : (wide_t)den;
	/* Half or more of the divisor left over: step away from zero, in
	 * the direction of the true quotient. */
	if (2 * abs_rem >= abs_den)
		quotient += (product < 0) == (den < 0) ? 1 : -1;
	if (quotient > INT64_MAX || quotient < INT64_MIN)
		return false;
	*out = (int64_t)quotient;
	return true;
}

bool money_sum_get(money_sum sum, int64_t *out)
{
	if (sum < INT64_MIN || sum > INT64_MAX)
		return false;
	*out = (int64_t)sum;
	return true;
}
