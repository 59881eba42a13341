/* Exact money: parsing, formatting and monthly normalisation of amounts as
 * int64 ten-thousandths, with the frequency table the store also seeds
 * into SQL. No sum or normalisation here may ever pass through a float. */
#include "util/money.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Monthly factors. Daily uses the mean month (365.25 / 12 days), written as
 * an exact fraction so no float ever enters a sum. Several spellings appear
 * because the API's own schemas disagree ("semi-annually" on plans,
 * "semi-annual" on transactions) and older exports drop the hyphens. */
const cs_money_frequency cs_money_frequencies[] = {
	{"daily", 1461, 48},     {"weekly", 52, 12},        {"bi-weekly", 26, 12},
	{"biweekly", 26, 12},    {"monthly", 1, 1},         {"bi-monthly", 1, 2},
	{"bimonthly", 1, 2},     {"quarterly", 1, 3},       {"semi-annually", 1, 6},
	{"semiannually", 1, 6},  {"semi-annual", 1, 6},     {"yearly", 1, 12},
	{"annually", 1, 12},     {"annual", 1, 12},
};
const unsigned cs_money_nfrequencies =
	sizeof(cs_money_frequencies) / sizeof(cs_money_frequencies[0]);

#define MONEY_MAX_MAG ((uint64_t)INT64_MAX)

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Adds one decimal digit to the magnitude; -1 on overflow. */
static int push_digit(uint64_t *mag, int d)
{
	if (*mag > (MONEY_MAX_MAG - (uint64_t)d) / 10)
		return -1;
	*mag = *mag * 10 + (uint64_t)d;
	return 0;
}

int cs_money_parse(const char *s, cs_money *out)
{
	if (!s)
		return CS_MONEY_BAD;
	int neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	if (!is_digit(*s))
		return CS_MONEY_BAD;
	/* an overflow is remembered, not returned at once, so "99...9x" is
	 * malformed rather than out of range */
	uint64_t mag = 0;
	int range = 0;
	while (is_digit(*s))
		range |= push_digit(&mag, *s++ - '0');
	int places = 0, round_up = 0;
	if (*s == '.') {
		s++;
		if (!is_digit(*s))
			return CS_MONEY_BAD;
		for (; is_digit(*s); s++) {
			if (places < 4) {
				range |= push_digit(&mag, *s - '0');
				places++;
			} else if (places++ == 4) {
				/* the fifth decimal alone decides half-away-from-zero */
				round_up = *s >= '5';
			}
		}
	}
	if (*s != '\0')
		return CS_MONEY_BAD;
	for (; places < 4; places++)
		range |= push_digit(&mag, 0);
	if (range || (round_up && mag++ == MONEY_MAX_MAG))
		return CS_MONEY_RANGE;
	*out = neg ? -(cs_money)mag : (cs_money)mag;
	return 0;
}

int cs_money_from_double(double d, cs_money *out)
{
	double x = d * CS_MONEY_SCALE;
	/* 0x1p63 is the first double past INT64_MAX; llround is undefined there */
	if (!isfinite(x) || x >= 0x1p63 || x <= -0x1p63)
		return -1;
	*out = llround(x);
	return 0;
}

double cs_money_to_double(cs_money m)
{
	return (double)m / CS_MONEY_SCALE;
}

int64_t cs_money_to_cents(cs_money m)
{
	/* integer arithmetic only: a double would lose the last cents of an
	 * amount near the top of cs_money */
	int64_t q = m / 100, r = m % 100;
	if (r >= 50)
		q++;
	else if (r <= -50)
		q--;
	return q;
}

void cs_money_format(cs_money m, char *out)
{
	uint64_t mag = m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m;
	unsigned frac = (unsigned)(mag % CS_MONEY_SCALE);
	int places = 4;
	while (places > 2 && frac % 10 == 0) {
		frac /= 10;
		places--;
	}
	snprintf(out, CS_MONEY_BUFSZ, "%s%llu.%0*u", m < 0 ? "-" : "",
		 (unsigned long long)(mag / CS_MONEY_SCALE), places, frac);
}

static const cs_money_frequency *find_frequency(const char *name)
{
	for (unsigned i = 0; i < cs_money_nfrequencies; i++)
		if (strcasecmp(cs_money_frequencies[i].name, name) == 0)
			return &cs_money_frequencies[i];
	return NULL;
}

int cs_money_monthly(cs_money amount, const char *frequency, cs_money *out)
{
	const cs_money_frequency *f = frequency ? find_frequency(frequency) : NULL;
	if (!f)
		return -1;
	/* amount * num needs up to 75 bits; __int128 keeps it exact */
	__int128 p = (__int128)amount * f->num;
	__int128 mag = p < 0 ? -p : p;
	__int128 q = (mag * 2 + f->den) / (2 * (__int128)f->den);
	if (q > INT64_MAX)
		return -1;
	*out = p < 0 ? -(cs_money)q : (cs_money)q;
	return 0;
}
