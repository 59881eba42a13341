/* List URLs: per_page always 100 unless asked, and every query value
 * percent-encoded exactly once ('+' as %2B, never a raw '+' or a %252B). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "classy/classy.h"

#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define API "https://api.classy.org/2.0"

static const cs_entity with_items = {CS_ENT_TRANSACTIONS, "transactions", "transactions",
				     "transactions", "items", NULL, 0, "supporter_id",
				     "Transaction", NULL};

static void test_url_table(void **state)
{
	(void)state;
	const cs_entity *sup = &cs_entities[CS_ENT_SUPPORTERS];
	const cs_entity *plans = &cs_entities[CS_ENT_RECURRING_PLANS];
	const struct {
		const char *api;
		cs_classy_list_query q;
		const char *want;
	} cases[] = {
		{API, {42, sup, 1, 0, NULL, NULL, NULL},
		 API "/organizations/42/supporters?per_page=100&page=1"},
		{API "/", {42, sup, 7, 50, NULL, NULL, NULL},
		 API "/organizations/42/supporters?per_page=50&page=7"},
		{API, {42, plans, 2, 0, "updated_at", NULL, NULL},
		 API "/organizations/42/recurring-donation-plans?per_page=100&page=2&sort=updated_at"},
		{API, {42, sup, 1, 0, "updated_at,id", "updated_at>=2021-01-01T00:00:00+0000", NULL},
		 API "/organizations/42/supporters?per_page=100&page=1&sort=updated_at%2Cid"
		     "&filter=updated_at%3E%3D2021-01-01T00%3A00%3A00%2B0000"},
		{API, {42, sup, 1, 0, NULL, "updated_at>2025-04-20T00:00:00Z", NULL},
		 API "/organizations/42/supporters?per_page=100&page=1"
		     "&filter=updated_at%3E2025-04-20T00%3A00%3A00Z"},
		{API, {42, sup, 1, 0, NULL, "updated_at<=2025-04-20", NULL},
		 API "/organizations/42/supporters?per_page=100&page=1&filter=updated_at%3C%3D2025-04-20"},
		{API, {42, sup, 1, 0, NULL, "status<>deleted", NULL},
		 API "/organizations/42/supporters?per_page=100&page=1&filter=status%3C%3Edeleted"},
		{API, {42, sup, 1, 0, NULL, "status!=refunded", NULL},
		 API "/organizations/42/supporters?per_page=100&page=1&filter=status%21%3Drefunded"},
		/* a literal '%' and a space are encoded too: nothing is assumed pre-encoded */
		{API, {42, sup, 1, 0, NULL, "last_name=O'Brien 50%", NULL},
		 API "/organizations/42/supporters?per_page=100&page=1"
		     "&filter=last_name%3DO%27Brien%2050%25"},
		{API, {42, sup, 1, 0, NULL, "first_name=Zoë", NULL},
		 API "/organizations/42/supporters?per_page=100&page=1&filter=first_name%3DZo%C3%AB"},
		{API, {9, &with_items, 3, 0, "updated_at", NULL, NULL},
		 API "/organizations/9/transactions?per_page=100&page=3&sort=updated_at&with=items"},
		{API, {42, sup, 1, 0, "", "", NULL}, API "/organizations/42/supporters?per_page=100&page=1"},
		/* a sparse field set goes last, its commas encoded once */
		{API, {42, sup, 2, 0, "id", "id>7", "id,updated_at,email_address"},
		 API "/organizations/42/supporters?per_page=100&page=2&sort=id&filter=id%3E7"
		     "&fields=id%2Cupdated_at%2Cemail_address"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		cs_buf b = CS_BUF_INIT;
		assert_int_equal(cs_classy_list_url(cases[i].api, &cases[i].q, &b), 0);
		if (strcmp(cs_buf_str(&b), cases[i].want) != 0)
			fail_msg("case %zu:\n want %s\n got  %s", i, cases[i].want, cs_buf_str(&b));
		cs_buf_release(&b);
	}
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_plus_goes_out_once_as_2b(void **state)
{
	(void)state;
	cs_classy_list_query q = {1, &cs_entities[CS_ENT_TRANSACTIONS], 1, 0, NULL,
			   "updated_at>=2024-10-05T14:48:00+0000", NULL};
	cs_buf b = CS_BUF_INIT;
	assert_int_equal(cs_classy_list_url(API, &q, &b), 0);
	const char *query = strchr(cs_buf_str(&b), '?');
	assert_non_null(query);
	assert_int_equal(count(query, "+"), 0);
	assert_int_equal(count(query, "%2B"), 1);
	assert_int_equal(count(query, "%25"), 0); /* not encoded twice */
	cs_buf_release(&b);
}

static void test_bad_queries_are_refused(void **state)
{
	(void)state;
	const cs_entity *sup = &cs_entities[CS_ENT_SUPPORTERS];
	const cs_classy_list_query bad[] = {
		{0, sup, 1, 0, NULL, NULL, NULL},   /* no organization */
		{42, NULL, 1, 0, NULL, NULL, NULL}, /* no entity */
		{42, sup, 0, 0, NULL, NULL, NULL},  /* pages start at 1 */
		{42, sup, 1, 101, NULL, NULL, NULL}, /* the API's maximum is 100 */
		{42, sup, 1, -1, NULL, NULL, NULL},
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		cs_buf b = CS_BUF_INIT;
		if (cs_classy_list_url(API, &bad[i], &b) != CS_EUSAGE)
			fail_msg("case %zu was accepted", i);
		cs_buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_table),
		cmocka_unit_test(test_plus_goes_out_once_as_2b),
		cmocka_unit_test(test_bad_queries_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
