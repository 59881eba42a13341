#include "util/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

typedef struct good_case {
	const char *in;
	int64_t ms;
	int has_ms;
	const char *normalized;
} good_case;

/* 1619166201 = 2021-04-23T08:23:21Z */
static const good_case goods[] = {
	{"2021-04-23T08:23:21Z", 1619166201000LL, 0, "2021-04-23T08:23:21Z"},
	{"2021-04-23T08:23:21z", 1619166201000LL, 0, "2021-04-23T08:23:21Z"},
	{"2021-04-23T08:23:21+0000", 1619166201000LL, 0, "2021-04-23T08:23:21Z"},
	{"2021-04-23T08:23:21+00:00", 1619166201000LL, 0, "2021-04-23T08:23:21Z"},
	{"2021-04-23T08:23:21-00:00", 1619166201000LL, 0, "2021-04-23T08:23:21Z"},
	{"2021-04-23T08:23:21+00", 1619166201000LL, 0, "2021-04-23T08:23:21Z"},
	{"2021-04-23T08:23:21", 1619166201000LL, 0, "2021-04-23T08:23:21Z"},
	{"2021-04-23 08:23:21", 1619166201000LL, 0, "2021-04-23T08:23:21Z"},
	{"2021-04-23t08:23:21Z", 1619166201000LL, 0, "2021-04-23T08:23:21Z"},
	{"2021-04-23T03:23:21-0500", 1619166201000LL, 0, "2021-04-23T08:23:21Z"},
	{"2021-04-23T13:53:21+05:30", 1619166201000LL, 0, "2021-04-23T08:23:21Z"},
	{"2021-04-23T13:53:21+0530", 1619166201000LL, 0, "2021-04-23T08:23:21Z"},
	/* an offset that crosses midnight and a year boundary */
	{"2021-12-31T20:00:00-05:00", 1640998800000LL, 0, "2022-01-01T01:00:00Z"},
	{"2022-01-01T01:00:00+02:00", 1640991600000LL, 0, "2021-12-31T23:00:00Z"},
	{"2024-10-05T14:48:00.000Z", 1728139680000LL, 1, "2024-10-05T14:48:00.000Z"},
	{"2024-10-05T14:48:00.123Z", 1728139680123LL, 1, "2024-10-05T14:48:00.123Z"},
	{"2024-10-05T14:48:00.5Z", 1728139680500LL, 1, "2024-10-05T14:48:00.500Z"},
	{"2024-10-05T14:48:00.12Z", 1728139680120LL, 1, "2024-10-05T14:48:00.120Z"},
	{"2024-10-05T14:48:00.123456Z", 1728139680123LL, 1, "2024-10-05T14:48:00.123Z"},
	{"2024-10-05T14:48:00.999999+0000", 1728139680999LL, 1, "2024-10-05T14:48:00.999Z"},
	{"2024-10-05T14:48:00,250Z", 1728139680250LL, 1, "2024-10-05T14:48:00.250Z"},
	{"2024-10-05T16:48:00.250+02:00", 1728139680250LL, 1, "2024-10-05T14:48:00.250Z"},
	{"2024-10-05 14:48:00.250", 1728139680250LL, 1, "2024-10-05T14:48:00.250Z"},
	{"2025-04-20", 1745107200000LL, 0, "2025-04-20"},
	{"2024-02-29", 1709164800000LL, 0, "2024-02-29"},
	{"2000-02-29T00:00:00Z", 951782400000LL, 0, "2000-02-29T00:00:00Z"},
	{"1970-01-01T00:00:00Z", 0, 0, "1970-01-01T00:00:00Z"},
	{"1969-12-31T23:59:59.999Z", -1, 1, "1969-12-31T23:59:59.999Z"},
	{"1900-01-01T00:00:00Z", -2208988800000LL, 0, "1900-01-01T00:00:00Z"},
	{"9999-12-31T23:59:59Z", 253402300799000LL, 0, "9999-12-31T23:59:59Z"},
	{"0001-01-01T00:00:00Z", -62135596800000LL, 0, "0001-01-01T00:00:00Z"},
	/* a leap second reads as the first second of the next minute */
	{"2016-12-31T23:59:60Z", 1483228800000LL, 0, "2017-01-01T00:00:00Z"},
};

static const char *const bads[] = {
	"",
	" ",
	"garbage",
	"2021",
	"2021-04",
	"2021-4-23",
	"21-04-23",
	"2021/04/23",
	"2021-04-23T",
	"2021-04-23T08",
	"2021-04-23T08:23",
	"2021-04-23T08:23:",
	"2021-04-23T8:23:21Z",
	"2021-04-23X08:23:21Z",
	"2021-04-23  08:23:21Z",
	"2021-04-23T08:23:21ZZ",
	"2021-04-23T08:23:21Z ",
	" 2021-04-23T08:23:21Z",
	"2021-04-23T08:23:21Zjunk",
	"2021-04-23 junk",
	"2021-04-23x",
	"2021-04-23T08:23:21.Z",
	"2021-04-23T08:23:21.",
	"2021-04-23T08:23:21.1234567Z",
	"2021-04-23T08:23:21.12a",
	"2021-04-23T08:23:21+",
	"2021-04-23T08:23:21+0",
	"2021-04-23T08:23:21+000",
	"2021-04-23T08:23:21+00:",
	"2021-04-23T08:23:21+00:0",
	"2021-04-23T08:23:21+00000",
	"2021-04-23T08:23:21+2400",
	"2021-04-23T08:23:21+0060",
	"2021-04-23T08:23:21 +0000",
	"2021-04-23T08:23:21UTC",
	"2021-00-23",
	"2021-13-01",
	"2021-04-00",
	"2021-04-31",
	"2021-02-29",
	"1900-02-29",
	"2021-01-32",
	"2021-04-23T24:00:00Z",
	"2021-04-23T23:60:00Z",
	"2021-04-23T23:59:61Z",
	"2021-04-23T-1:00:00Z",
	"+2021-04-23",
	"2021-04-23\n",
};

static void test_parse_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		int64_t ms = 42;
		int has_ms = -1;
		char norm[CS_TIME_BUFSZ];
		if (cs_time_parse(goods[i].in, &ms, &has_ms) != 0)
			fail_msg("'%s' did not parse", goods[i].in);
		if (ms != goods[i].ms)
			fail_msg("'%s' gave %lld, want %lld", goods[i].in, (long long)ms,
				 (long long)goods[i].ms);
		assert_int_equal(has_ms, goods[i].has_ms);
		assert_int_equal(cs_time_normalize(goods[i].in, norm), 0);
		assert_string_equal(norm, goods[i].normalized);
	}
}

static void test_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		int64_t ms = 42;
		int has_ms = 7;
		char norm[CS_TIME_BUFSZ] = "untouched";
		if (cs_time_parse(bads[i], &ms, &has_ms) != -1)
			fail_msg("'%s' parsed but should not", bads[i]);
		assert_int_equal(cs_time_normalize(bads[i], norm), -1);
	}
	assert_int_equal(cs_time_parse(NULL, NULL, NULL), -1);
}

static void test_parse_null_outputs(void **state)
{
	(void)state;
	assert_int_equal(cs_time_parse("2021-04-23T08:23:21Z", NULL, NULL), 0);
}

static void test_format(void **state)
{
	(void)state;
	char out[CS_TIME_BUFSZ];
	cs_time_format(1619166201000LL, 0, out);
	assert_string_equal(out, "2021-04-23T08:23:21Z");
	cs_time_format(1619166201007LL, 1, out);
	assert_string_equal(out, "2021-04-23T08:23:21.007Z");
	cs_time_format(1619166201999LL, 0, out);
	assert_string_equal(out, "2021-04-23T08:23:21Z");
	cs_time_format(-1, 1, out);
	assert_string_equal(out, "1969-12-31T23:59:59.999Z");
	cs_time_format(-62135596800000LL - 1000, 0, out);
	assert_string_equal(out, "0000-12-31T23:59:59Z");
	cs_time_format(-62167219200000LL - 1000, 0, out);
	assert_string_equal(out, "-001-12-31T23:59:59Z");
	cs_time_format(253402300800000LL, 0, out);
	assert_string_equal(out, "10000-01-01T00:00:00Z");
}

static void test_format_filter(void **state)
{
	(void)state;
	char out[CS_TIME_BUFSZ];
	cs_time_format_filter(1619166201999LL, out);
	assert_string_equal(out, "2021-04-23T08:23:21+0000");
	cs_time_format_filter(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00+0000");
	/* the filter form must parse back to the same second */
	int64_t ms;
	assert_int_equal(cs_time_parse(out, &ms, NULL), 0);
	assert_int_equal(ms, 0);
}

/* Every day from 1890 to 2110 at a varying time of day, checked against
 * glibc's timegm, then round-tripped through format and parse. */
static void test_against_timegm(void **state)
{
	(void)state;
	for (time_t t = -2524521600; t < 4417977600; t += 86400 + 3607) {
		struct tm tm;
		char in[64], out[CS_TIME_BUFSZ];
		gmtime_r(&t, &tm);
		strftime(in, sizeof(in), "%Y-%m-%dT%H:%M:%S+0000", &tm);
		int64_t ms;
		if (cs_time_parse(in, &ms, NULL) != 0 || ms != (int64_t)t * 1000)
			fail_msg("'%s' disagrees with timegm", in);
		cs_time_format(ms + 321, 1, out);
		int64_t back;
		int has_ms;
		assert_int_equal(cs_time_parse(out, &back, &has_ms), 0);
		assert_int_equal(back, ms + 321);
		assert_int_equal(has_ms, 1);
	}
}

static void test_clocks(void **state)
{
	(void)state;
	int64_t now = cs_time_now_ms();
	assert_true(now > 1700000000000LL); /* after 2023-11 */
	assert_true(llabs(now - (int64_t)time(NULL) * 1000) < 5000);
	int64_t a = cs_time_mono_ms(), b = cs_time_mono_ms();
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),    cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_null_outputs), cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_filter), cmocka_unit_test(test_against_timegm),
		cmocka_unit_test(test_clocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
