#include "util/money.h"

#include <ctype.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *in;
	cs_money want;
} parse_goods[] = {
	{"0", 0},
	{"-0", 0},
	{"+0.00", 0},
	{"12", 120000},
	{"12.5", 125000},
	{"12.50", 125000},
	{"0.10", 1000},
	{"-0.10", -1000},
	{"+3.25", 32500},
	{"0.125", 1250},
	{"1.2345", 12345},
	{"1.23454", 12345},
	{"1.23455", 12346},  /* half away from zero */
	{"-1.23455", -12346}, /* ... also for negatives */
	{"1.234549999", 12345}, /* only the fifth decimal decides */
	{"0.00005", 1},
	{"-0.00004", 0},
	{"1.99999", 20000},
	{"007.50", 75000},
	{"922337203685477.5807", INT64_MAX},
	{"-922337203685477.5807", -INT64_MAX},
	{"922337203685477.58074", INT64_MAX},
};

static const char *const parse_bads[] = {
	"", "-", "+", ".", ".5", "5.", "-.5", "1e2", "1E2", "0x10", " 1", "1 ", "1,5", "1.2.3",
	"--1", "+-1", "abc", "12abc", "1.5x", "NaN", "inf", "1.-5", "99999999999999999999x",
};

/* well formed, but beyond what cs_money holds: CS_MONEY_RANGE, so a caller
 * can say "too large" rather than "not an amount" */
static const char *const parse_ranges[] = {
	"922337203685477.5808", "-922337203685477.5808", "922337203685478",
	"922337203685477.58075", "99999999999999999999", "1000000000000000",
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(parse_goods); i++) {
		cs_money m = 99;
		if (cs_money_parse(parse_goods[i].in, &m) != 0)
			fail_msg("'%s' did not parse", parse_goods[i].in);
		if (m != parse_goods[i].want)
			fail_msg("'%s' gave %lld, want %lld", parse_goods[i].in, (long long)m,
				 (long long)parse_goods[i].want);
	}
	for (size_t i = 0; i < N(parse_bads); i++) {
		cs_money m = 99;
		if (cs_money_parse(parse_bads[i], &m) != CS_MONEY_BAD)
			fail_msg("'%s' parsed but should not", parse_bads[i]);
		assert_int_equal(m, 99);
	}
	for (size_t i = 0; i < N(parse_ranges); i++) {
		cs_money m = 99;
		if (cs_money_parse(parse_ranges[i], &m) != CS_MONEY_RANGE)
			fail_msg("'%s' is not reported out of range", parse_ranges[i]);
		assert_int_equal(m, 99);
	}
	cs_money m = 99;
	assert_int_equal(cs_money_parse(NULL, &m), -1);
}

static const struct {
	cs_money in;
	const char *want;
} format_cases[] = {
	{0, "0.00"},
	{1000, "0.10"},
	{-1000, "-0.10"},
	{10000000, "1000.00"},
	{1250, "0.125"},
	{12345, "1.2345"},
	{-12345, "-1.2345"},
	{1, "0.0001"},
	{-1, "-0.0001"},
	{10, "0.001"},
	{123456780, "12345.678"},
	{INT64_MAX, "922337203685477.5807"},
	{INT64_MIN, "-922337203685477.5808"},
};

static void test_format(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(format_cases); i++) {
		char out[CS_MONEY_BUFSZ];
		cs_money_format(format_cases[i].in, out);
		assert_string_equal(out, format_cases[i].want);
	}
}

static void test_format_parse_roundtrip(void **state)
{
	(void)state;
	for (cs_money m = -30011; m <= 30011; m += 7) {
		char out[CS_MONEY_BUFSZ];
		cs_money back;
		cs_money_format(m, out);
		assert_int_equal(cs_money_parse(out, &back), 0);
		assert_int_equal(back, m);
	}
}

static void test_from_double(void **state)
{
	(void)state;
	static const struct {
		double in;
		cs_money want;
	} cases[] = {
		{0.0, 0},      {0.1, 1000},         {-0.1, -1000},      {19.99, 199900},
		{0.29, 2900},  {1234567.89, 12345678900}, {0.125, 1250}, {100.0, 1000000},
		{1e14, 1000000000000000000LL},
	};
	for (size_t i = 0; i < N(cases); i++) {
		cs_money m;
		assert_int_equal(cs_money_from_double(cases[i].in, &m), 0);
		assert_int_equal(m, cases[i].want);
	}
	static const double bads[] = {1e15, -1e15, 1e300, 922337203685477.6, NAN,
				      INFINITY, -INFINITY};
	for (size_t i = 0; i < N(bads); i++) {
		cs_money m = 99;
		assert_int_equal(cs_money_from_double(bads[i], &m), -1);
		assert_int_equal(m, 99);
	}
	assert_true(cs_money_to_double(199900) == 19.99);
	assert_true(cs_money_to_double(-1000) == -0.1);
}

/* The acceptance bar: 10,000 x 0.10 is exactly 1000.00, both from
 * the string form and from the double cJSON hands over. A double sum of the
 * same values is not, which is why money is an integer. */
static void test_sum_no_drift(void **state)
{
	(void)state;
	cs_money a = 0, b = 0, one;
	double f = 0;
	assert_int_equal(cs_money_parse("0.10", &one), 0);
	for (int i = 0; i < 10000; i++) {
		cs_money d;
		assert_int_equal(cs_money_from_double(0.10, &d), 0);
		a += one;
		b += d;
		f += 0.10;
	}
	char out[CS_MONEY_BUFSZ];
	cs_money_format(a, out);
	assert_string_equal(out, "1000.00");
	cs_money_format(b, out);
	assert_string_equal(out, "1000.00");
	assert_true(f != 1000.0);
}

static const struct {
	const char *amount, *freq, *want;
} monthly_cases[] = {
	{"100", "daily", "3043.75"},
	{"10", "weekly", "43.3333"},
	{"12", "weekly", "52.00"},
	{"12", "bi-weekly", "26.00"},
	{"12", "biweekly", "26.00"},
	{"25", "monthly", "25.00"},
	{"25", "bi-monthly", "12.50"},
	{"25", "bimonthly", "12.50"},
	{"30", "quarterly", "10.00"},
	{"100", "quarterly", "33.3333"},
	{"200", "quarterly", "66.6667"},
	{"60", "semi-annually", "10.00"},
	{"60", "semiannually", "10.00"},
	{"60", "semi-annual", "10.00"},
	{"120", "yearly", "10.00"},
	{"100", "annually", "8.3333"},
	{"100", "annual", "8.3333"},
	{"-200", "quarterly", "-66.6667"},
	{"0.0001", "bi-monthly", "0.0001"},   /* 0.5 unit rounds away from zero */
	{"-0.0001", "bi-monthly", "-0.0001"},
	{"0.0001", "quarterly", "0.00"},      /* 1/3 unit rounds to zero */
	{"0.0002", "quarterly", "0.0001"},    /* 2/3 unit rounds up */
	{"100", "YEARLY", "8.3333"},
	{"12", "Bi-Weekly", "26.00"},
	{"922337203685477.5807", "yearly", "76861433640456.4651"},
};

static void test_monthly(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(monthly_cases); i++) {
		cs_money amount, m;
		char out[CS_MONEY_BUFSZ];
		assert_int_equal(cs_money_parse(monthly_cases[i].amount, &amount), 0);
		if (cs_money_monthly(amount, monthly_cases[i].freq, &m) != 0)
			fail_msg("'%s' rejected", monthly_cases[i].freq);
		cs_money_format(m, out);
		if (strcmp(out, monthly_cases[i].want) != 0)
			fail_msg("%s %s gave %s, want %s", monthly_cases[i].amount,
				 monthly_cases[i].freq, out, monthly_cases[i].want);
	}
}

static void test_monthly_bad(void **state)
{
	(void)state;
	static const char *const names[] = {"one-time", "", "fortnightly", "month", "yearly ",
					    "bi weekly"};
	cs_money m = 99;
	for (size_t i = 0; i < N(names); i++)
		assert_int_equal(cs_money_monthly(100, names[i], &m), -1);
	assert_int_equal(cs_money_monthly(100, NULL, &m), -1);
	/* products that leave the int64 range fail instead of wrapping */
	assert_int_equal(cs_money_monthly(INT64_MAX, "daily", &m), -1);
	assert_int_equal(cs_money_monthly(INT64_MAX / 2, "weekly", &m), -1);
	assert_int_equal(m, 99);
	assert_int_equal(cs_money_monthly(INT64_MAX / 31, "daily", &m), 0);
}

static void test_frequency_table(void **state)
{
	(void)state;
	assert_int_equal(cs_money_nfrequencies, 14);
	for (unsigned i = 0; i < cs_money_nfrequencies; i++) {
		const cs_money_frequency *f = &cs_money_frequencies[i];
		assert_true(f->num > 0 && f->den > 0);
		for (const char *c = f->name; *c; c++)
			assert_false(isupper((unsigned char)*c));
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(f->name, cs_money_frequencies[j].name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),          cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_parse_roundtrip),
		cmocka_unit_test(test_from_double),    cmocka_unit_test(test_sum_no_drift),
		cmocka_unit_test(test_monthly),        cmocka_unit_test(test_monthly_bad),
		cmocka_unit_test(test_frequency_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
