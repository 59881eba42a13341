/* The progress guard (sync/guard.h): each check passes the pages a working
 * API sends and stops the ones an API that ignores filter, sort or page
 * sends, with a message naming what it ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sync/guard.h"

#include <string.h>

static const cs_entity *sup(void)
{
	return &cs_entities[CS_ENT_SUPPORTERS];
}

static void page_of(cs_classy_page *p, const char *json)
{
	cs_err err = {0};
	cs_classy_page_reset(p);
	assert_int_equal(cs_buf_append(&p->body, json, strlen(json)), 0);
	assert_int_equal(cs_classy_page_parse(p, &err), 0);
}

static void test_keyset(void **state)
{
	(void)state;
	cs_classy_page p;
	cs_classy_page_init(&p);
	cs_err err = {0};
	page_of(&p, "{\"data\":[{\"id\":11},{\"id\":12},{\"id\":-3},{\"id\":15}]}");
	assert_int_equal(cs_sync_guard_keyset(sup(), 7, 10, &p, &err), 0); /* a rejected id passes */
	assert_int_equal(cs_sync_guard_keyset(sup(), 7, 0, &p, &err), 0);  /* no filter: any ids */
	assert_int_equal(cs_sync_guard_keyset(sup(), 7, 11, &p, &err), CS_EPROTO);
	assert_string_equal(err.msg,
			    "the API ignored filter=id>11 during a full scan of supporters of "
			    "organization 7: it returned id 11; stopping instead of asking again for "
			    "ever: check that CLASSY_API_URL points to the Classy API and that no proxy "
			    "in between rewrites or caches list queries");
	page_of(&p, "{\"data\":[{\"id\":11},{\"id\":13},{\"id\":12}]}");
	assert_int_equal(cs_sync_guard_keyset(sup(), 7, 10, &p, &err), CS_EPROTO);
	assert_non_null(strstr(err.msg, "ignored sort=id during a full scan of supporters of "
					"organization 7: id 12 came after id 13"));
	cs_classy_page_release(&p);
}

static void test_window(void **state)
{
	(void)state;
	cs_classy_page p;
	cs_classy_page_init(&p);
	cs_err err = {0};
	page_of(&p, "{\"data\":[{\"id\":1},{\"id\":2},{\"id\":3},{\"id\":4}]}");
	const int64_t S = 1700000000000LL;
	int64_t ok[] = {S, S, INT64_MIN, S + 5000};
	assert_int_equal(cs_sync_guard_window(sup(), 7, S, ok, &p, &err), 0);
	assert_int_equal(cs_sync_guard_window(sup(), 7, INT64_MIN, ok, &p, &err), 0);
	int64_t below[] = {S, S - 1000, S, S};
	assert_int_equal(cs_sync_guard_window(sup(), 7, S, below, &p, &err), CS_EPROTO);
	assert_non_null(strstr(err.msg, "the API ignored filter=updated_at>=2023-11-14T22:13:20+0000 on "
					"supporters of organization 7: it returned record 2 updated at "
					"2023-11-14T22:13:19Z"));
	int64_t unsorted[] = {S, S + 2000, S + 1000, S + 3000};
	assert_int_equal(cs_sync_guard_window(sup(), 7, S, unsorted, &p, &err), CS_EPROTO);
	assert_non_null(strstr(err.msg, "ignored sort=updated_at on supporters of organization 7: "
					"record 3 updated at 2023-11-14T22:13:21Z came after one "
					"updated at 2023-11-14T22:13:22Z"));
	cs_classy_page_release(&p);
}

static void test_walk(void **state)
{
	(void)state;
	cs_classy_page p;
	cs_classy_page_init(&p);
	cs_err err = {0};
	cs_sync_pageprint w;
	cs_sync_pageprint_reset(&w);
	page_of(&p, "{\"data\":[{\"id\":1},{\"id\":2}]}");
	assert_int_equal(cs_sync_guard_walk(&w, sup(), 7, 1, &p, &err), 0);
	page_of(&p, "{\"data\":[{\"id\":3},{\"id\":4}]}");
	assert_int_equal(cs_sync_guard_walk(&w, sup(), 7, 2, &p, &err), 0);
	/* page 3 repeats page 2: the page number was ignored */
	assert_int_equal(cs_sync_guard_walk(&w, sup(), 7, 3, &p, &err), CS_EPROTO);
	assert_non_null(strstr(err.msg, "the API returned the same records for page 3 as for page 2 "
					"of supporters of organization 7: it ignores the page "
					"parameter"));
	/* a walk that starts again may see page 1 again; an empty page ends a walk */
	cs_sync_pageprint_reset(&w);
	assert_int_equal(cs_sync_guard_walk(&w, sup(), 7, 1, &p, &err), 0);
	page_of(&p, "{\"data\":[]}");
	assert_int_equal(cs_sync_guard_walk(&w, sup(), 7, 2, &p, &err), 0);
	assert_int_equal(cs_sync_guard_walk(&w, sup(), 7, 3, &p, &err), 0);
	cs_classy_page_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyset),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
