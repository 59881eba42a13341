/* One walk of a split task (sync/engine.c): where its range ends and where
 * the next one starts. A full walk over ids (lo, hi] stores every id up to
 * hi and none past it, and the walk after it asks for id>hi; an incremental
 * walk over seconds [lo, hi) stores every record before hi (the second
 * before it too) and none from hi on, and the walk after it asks for
 * updated_at>=hi. Together the two walks store each record once: none is
 * lost at a split point, none read by both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sync/engine_int.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-01-01T00:00:00Z */
#define T0 1767225600000LL

typedef struct wk {
	cs_sync_task t;
	cs_sync_walk w;
	cs_sync_job job;
} wk;

static void wk_init(wk *k, int full, int64_t lo, int64_t hi)
{
	memset(k, 0, sizeof(*k));
	k->t.org = 7;
	k->t.e = &cs_entities[CS_ENT_SUPPORTERS];
	k->t.full = full;
	cs_sync_walk_init(&k->w, &k->t, 1, lo, hi);
	cs_classy_page_init(&k->job.page);
}

static void wk_release(wk *k)
{
	cs_sync_walk_release(&k->w);
	cs_classy_page_release(&k->job.page);
	free(k->job.skip);
}

/* The walk's page: records {id, updated_at} in that order; last says whether
 * the API calls it the last page. */
static void wk_page(wk *k, const long long *ids, const int64_t *ms, size_t n, int last)
{
	cs_classy_page *p = &k->w.page;
	cs_classy_page_reset(p);
	cs_buf_printf(&p->body, "{\"current_page\":1,\"last_page\":%d,\"per_page\":100,"
				"\"total\":%zu,\"data\":[", last ? 1 : 2, last ? n : n + 100);
	for (size_t i = 0; i < n; i++) {
		char at[CS_TIME_BUFSZ];
		cs_time_format(ms[i], 1, at);
		cs_buf_printf(&p->body, "%s{\"id\":%lld,\"updated_at\":\"%s\"}", i ? "," : "",
			      ids[i], at);
	}
	cs_buf_puts(&p->body, "]}");
	cs_err err = {0};
	assert_int_equal(cs_classy_page_parse(p, &err), 0);
	assert_int_equal(p->nrecords, n);
}

static void test_full_walk_ends_at_its_range(void **state)
{
	(void)state;
	wk k;
	/* ids (200, 300]: the page crosses the split point at 300 */
	wk_init(&k, 1, 200, 300);
	cs_sync_walk_query(&k.w);
	assert_string_equal(k.w.q.filter, "id>200");
	long long ids[] = {298, 299, 300, 301, 302};
	int64_t ms[] = {T0, T0, T0, T0, T0};
	wk_page(&k, ids, ms, 5, 0);
	cs_err err = {0};
	assert_int_equal(cs_sync_walk_take(&k.w, &k.job, &err), 0);
	for (int i = 0; i < 5; i++)
		if (k.job.skip[i] != (ids[i] > 300))
			fail_msg("id %lld: skip %d (the range ends at 300, inclusive)", ids[i],
				 k.job.skip[i]);
	assert_true(k.w.done);
	assert_int_equal(k.job.range_done, 1);
	assert_int_equal(k.job.pos, 300);
	wk_release(&k);

	/* the walk after the split point starts right after it */
	wk_init(&k, 1, 300, CS_SYNC_KEY_MAX);
	cs_sync_walk_query(&k.w);
	assert_string_equal(k.w.q.filter, "id>300");
	wk_release(&k);
}

static void test_incremental_walk_ends_at_its_range(void **state)
{
	(void)state;
	wk k;
	int64_t lo = T0, hi = T0 + 60000; /* seconds [T0, T0 + 60 s) */
	wk_init(&k, 0, lo, hi);
	cs_sync_walk_query(&k.w);
	char want[96], bound[CS_TIME_BUFSZ];
	cs_time_format_filter(lo, bound);
	snprintf(want, sizeof(want), "updated_at>=%s", bound);
	assert_string_equal(k.w.q.filter, want);
	/* the second before the end (twice, once with milliseconds), the end's
	 * second, and one past it */
	long long ids[] = {11, 12, 13, 14, 15, 16};
	int64_t ms[] = {lo + 1000, hi - 2000, hi - 1000, hi - 1000 + 500, hi, hi + 1000};
	int skip[] = {0, 0, 0, 0, 1, 1};
	wk_page(&k, ids, ms, 6, 0);
	cs_err err = {0};
	assert_int_equal(cs_sync_walk_take(&k.w, &k.job, &err), 0);
	for (int i = 0; i < 6; i++)
		if (k.job.skip[i] != skip[i])
			fail_msg("record %lld at %+lld ms from the range's end: skip %d, want %d",
				 ids[i], (long long)(ms[i] - hi), k.job.skip[i], skip[i]);
	assert_true(k.w.done);
	assert_int_equal(k.job.pos, hi - 1000); /* the newest second it stored */
	wk_release(&k);

	/* the walk from the split point asks from that second on */
	wk_init(&k, 0, hi, CS_SYNC_KEY_MAX);
	cs_sync_walk_query(&k.w);
	cs_time_format_filter(hi, bound);
	snprintf(want, sizeof(want), "updated_at>=%s", bound);
	assert_string_equal(k.w.q.filter, want);
	wk_release(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_walk_ends_at_its_range),
		cmocka_unit_test(test_incremental_walk_ends_at_its_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
