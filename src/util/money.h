#ifndef CS_MONEY_H
#define CS_MONEY_H
/* Exact money: an int64 count of ten-thousandths of the currency unit, so
 * sums never drift (10,000 x 0.10 is exactly 1000.00). Four places cover
 * every ISO 4217 currency, including the three-decimal ones. */
#include <stdint.h>

typedef int64_t cs_money;
#define CS_MONEY_SCALE 10000
#define CS_MONEY_BUFSZ 32

/* Parses a decimal string ("12", "12.5", "-0.10", "1e2" is rejected).
 * More than four decimals are rounded half away from zero. Returns 0,
 * CS_MONEY_BAD on malformed input, or CS_MONEY_RANGE for an amount beyond
 * what cs_money holds (|x| > 922337203685477.5807). */
enum { CS_MONEY_BAD = -1, CS_MONEY_RANGE = -2 };
int cs_money_parse(const char *s, cs_money *out);
/* Converts a JSON number (a double as cJSON holds it) by rounding to the
 * nearest ten-thousandth; exact for any amount the API sends. */
int cs_money_from_double(double d, cs_money *out);
double cs_money_to_double(cs_money m);
/* The amount in whole hundredths (cents), rounded half away from zero: exact
 * for every amount of at most two decimals, which an integer column then
 * sums exactly (SQLite's *_cents columns); finer digits (a three-decimal
 * currency) round there, the amount itself keeps them. */
int64_t cs_money_to_cents(cs_money m);
/* Formats with at least two decimals and at most four: "1000.00", "0.125". */
void cs_money_format(cs_money m, char *out);

/* Converts a recurring amount to its monthly figure by frequency name:
 * daily x 365.25/12, weekly x 52/12, bi-weekly x 26/12, monthly x 1,
 * bi-monthly / 2, quarterly / 3, semi-annually / 6, yearly / 12.
 * Accepts the spellings the API uses (e.g. "biweekly", "bi-weekly",
 * "semi-annually", "semiannually", "annually", "yearly"), case-insensitive.
 * Rounds half away from zero to the scale. Returns -1 for an unknown name. */
int cs_money_monthly(cs_money amount, const char *frequency, cs_money *out);

/* The normalisation table itself (one row per accepted spelling), so the
 * store can seed the same factors into SQL instead of repeating them. */
typedef struct cs_money_frequency {
	const char *name; /* lowercase spelling as the API sends it */
	int num, den;     /* monthly = amount * num / den */
} cs_money_frequency;
extern const cs_money_frequency cs_money_frequencies[];
extern const unsigned cs_money_nfrequencies;

#endif
