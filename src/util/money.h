/* Money: signed 64-bit minor units with an ISO 4217 currency. */
#ifndef MANDATE_MONEY_H
#define MANDATE_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct currency {
	char code[4];          /* "RUB" */
	int minor_digits;      /* 2 for RUB, 0 for JPY, 3 for KWD */
} currency;

/* The active ISO 4217 code, or NULL when code is unknown. */
const currency *currency_find(const char *code);

typedef enum money_parse_status {
	MONEY_OK,
	MONEY_SYNTAX,          /* not a plain decimal "[-]digits[.digits]" */
	MONEY_PRECISION,       /* more fraction digits than the currency has */
	MONEY_OVERFLOW         /* does not fit in int64 minor units */
} money_parse_status;

/* Parses a decimal (as the XSD allows: optional sign, digits, optional
 * fraction; no exponent, no spaces) into minor units of the currency. */
money_parse_status money_parse(const char *text, const currency *cur,
                               int64_t *minor_out);
/* Formats minor units as a plain decimal with exactly the currency's digits,
 * "." as the mark, no grouping: "-1234.50".  INT64_MIN is safe.  buf needs
 * at least 32 bytes. */
void money_format(int64_t minor, int minor_digits, char buf[static 32]);

/* Overflow-checked arithmetic: returns false (and leaves *out alone) when the
 * result does not fit. */
bool money_add(int64_t a, int64_t b, int64_t *out);
bool money_mul(int64_t a, int64_t b, int64_t *out);
/* An exact sum of amounts whatever their order: 128 bits, which no
 * realistic count of 64-bit amounts overflows (add with +=).
 * money_sum_get gives it in 64 bits; false when it does not fit. */
__extension__ typedef __int128 money_sum;
bool money_sum_get(money_sum sum, int64_t *out);
/* round(value * num / den) half away from zero, computed exactly in 128 bits;
 * false on overflow or den == 0. */
bool money_muldiv_round(int64_t value, int64_t num, int64_t den, int64_t *out);

#endif
