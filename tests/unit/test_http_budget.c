/* The request budget: pacing math as a table, and the shared budget driven
 * by a fake clock whose sleeps advance time instead of waiting: smoothing,
 * the server's headers (limit, remaining, reset, Retry-After) and the shared
 * reservation between processes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http/http.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void test_pace_table(void **state)
{
	(void)state;
	static const struct {
		long limit, remaining;
		int64_t window_end, last_grant, now;
		long want;
	} cases[] = {
		/* plenty left: no wait at all */
		{1800, 1799, 60000, 0, 0, 0},
		{1800, 90, 60000, 100, 100, 0}, /* reserve is 5% = 90: at it, still free */
		/* below the reserve: spread the rest of the window evenly */
		{1800, 89, 30000, 0, 0, 333},       /* 30 s / 90 gaps */
		{1800, 89, 30000, 1000, 1000, 322}, /* from the previous grant */
		{1800, 89, 30000, 1000, 1200, 122}, /* time already spent counts */
		{1800, 89, 30000, 1000, 5000, 0},   /* idle long enough */
		{100, 4, 60000, 0, 0, 12000},       /* reserve is max(5, 5) = 5 */
		{60, 4, 60000, 0, 0, 12000},        /* 5% of 60 is 3: the floor of 5 wins */
		{60, 5, 60000, 0, 0, 0},
		/* nothing left: wait for the reset */
		{1800, 0, 45000, 0, 5000, 40000},
		{1800, 0, 45000, 44000, 44000, 1000},
		/* unknown or stale state never blocks */
		{1800, -1, 60000, 0, 0, 0},
		{0, 0, 60000, 0, 0, 0},
		{1800, 0, 0, 0, 0, 0},
		{1800, 0, 60000, 0, 60000, 0},
		{1800, 0, 60000, 0, 70000, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		long got = cs_http_budget_pace_ms(cases[i].limit, cases[i].remaining, cases[i].window_end,
					     cases[i].last_grant, cases[i].now);
		if (got != cases[i].want)
			fail_msg("case %zu: want %ld ms, got %ld ms", i, cases[i].want, got);
	}
}

/* A fake clock: sleeping advances it and records the wait. */
static int64_t g_mono, g_wall;
static long g_waits[64];
static int g_nwaits;

static int64_t fake_mono(void)
{
	return g_mono;
}

static int64_t fake_wall(void)
{
	return g_wall;
}

static int fake_sleep(long ms, int (*should_stop)(void))
{
	if (should_stop && should_stop())
		return CS_EINTR;
	if (g_nwaits < (int)ARRAY_LEN(g_waits))
		g_waits[g_nwaits++] = ms;
	g_mono += ms;
	g_wall += ms;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	g_mono = 1000000;
	g_wall = 1700000000000LL;
	g_nwaits = 0;
	cs_http_budget_set_hooks(&(cs_http_budget_hooks){fake_mono, fake_wall, fake_sleep});
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cs_http_budget_set_hooks(NULL);
	return 0;
}

static void test_registry_shares_by_key(void **state)
{
	(void)state;
	cs_http_budget *a = cs_http_budget_get("app-shared", 1800);
	assert_non_null(a);
	assert_ptr_equal(cs_http_budget_get("app-shared", 1800), a);
	assert_ptr_not_equal(cs_http_budget_get("app-other", 1800), a);
}

static void test_plenty_left_never_waits(void **state)
{
	(void)state;
	cs_http_budget *b = cs_http_budget_get("app-plenty", 0);
	cs_http_budget_update(b, 1800, 1700);
	for (int i = 0; i < 500; i++)
		assert_int_equal(cs_http_budget_acquire(b, NULL), 0);
	assert_int_equal(g_nwaits, 0);
	assert_int_equal(cs_http_budget_acquire(NULL, NULL), 0);
}

static void test_low_remaining_spreads_the_window(void **state)
{
	(void)state;
	cs_http_budget *b = cs_http_budget_get("app-spread", 0);
	cs_http_budget_update(b, 100, 4); /* window: 60 s from this answer */
	for (int i = 0; i < 5; i++)
		assert_int_equal(cs_http_budget_acquire(b, NULL), 0);
	/* 4 left and the last gap ends at the reset: five even steps of 12 s. */
	assert_int_equal(g_nwaits, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(g_waits[i], 12000);
	/* The window rolled over: the full allowance is assumed again. */
	assert_int_equal(cs_http_budget_acquire(b, NULL), 0);
	assert_int_equal(g_nwaits, 5);
}

static void test_local_count_slows_down_between_answers(void **state)
{
	(void)state;
	cs_http_budget *b = cs_http_budget_get("app-local", 0);
	cs_http_budget_update(b, 100, 6); /* reserve 5 */
	/* Two grants bring the local estimate from 6 to 4 without a wait. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(cs_http_budget_acquire(b, NULL), 0);
	assert_int_equal(g_nwaits, 0);
	/* Below the reserve now, before any new answer came in. */
	assert_int_equal(cs_http_budget_acquire(b, NULL), 0);
	assert_int_equal(g_nwaits, 1);
	assert_int_equal(g_waits[0], 12000); /* 60 s over 4 + 1 gaps */
}

static void test_reset_header_sets_the_window(void **state)
{
	(void)state;
	cs_http_budget *b = cs_http_budget_get("app-reset", 0);
	cs_http_budget_observe(b, 1800, 0, 7); /* seconds from now */
	assert_int_equal(cs_http_budget_acquire(b, NULL), 0);
	assert_int_equal(g_nwaits, 1);
	assert_int_equal(g_waits[0], 7000);

	cs_http_budget *e = cs_http_budget_get("app-reset-epoch", 0);
	cs_http_budget_observe(e, 1800, 0, (long)(g_wall / 1000) + 20); /* a Unix time */
	assert_int_equal(cs_http_budget_acquire(e, NULL), 0);
	assert_int_equal(g_waits[1], 20000);

	/* A nonsensical reset an hour away is capped at two windows. */
	cs_http_budget *x = cs_http_budget_get("app-reset-far", 0);
	cs_http_budget_observe(x, 1800, 0, 3600);
	assert_int_equal(cs_http_budget_acquire(x, NULL), 0);
	assert_int_equal(g_waits[2], 120000);
}

static void test_count_going_up_starts_a_new_window(void **state)
{
	(void)state;
	cs_http_budget *b = cs_http_budget_get("app-window", 0);
	cs_http_budget_update(b, 100, 50);
	g_mono += 50000;
	/* Higher than before: the server's window was reset just now, so the
	 * low count below is paced over a fresh 60 s, not the 10 s left. */
	cs_http_budget_update(b, 100, 99);
	cs_http_budget_update(b, 100, 1);
	assert_int_equal(cs_http_budget_acquire(b, NULL), 0);
	assert_int_equal(g_waits[0], 30000); /* 60 s over 1 + 1 gaps */
}

/* Answers of requests in flight together arrive out of order: a count a
 * few higher than the last one is not a new window. */
static void test_small_rise_is_not_a_new_window(void **state)
{
	(void)state;
	cs_http_budget *b = cs_http_budget_get("app-rise", 0);
	cs_http_budget_update(b, 1800, 100);
	g_mono += 50000; /* 10 s of the window left */
	cs_http_budget_update(b, 1800, 60);
	cs_http_budget_update(b, 1800, 64); /* answered late */
	cs_http_budget_update(b, 1800, 49);
	assert_int_equal(cs_http_budget_acquire(b, NULL), 0);
	/* 49 left over the 10 s that remain, not over a fresh minute */
	assert_int_equal(g_nwaits, 1);
	assert_int_equal(g_waits[0], 10000 / 50);
}

/* Our estimate of the window's end passed a little before the server's:
 * the next answer is still the old window's. Its low count must not start
 * a new minute over which the rest would be spread. */
static void test_early_estimate_starts_no_phantom_window(void **state)
{
	(void)state;
	cs_http_budget *b = cs_http_budget_get("app-phantom", 0);
	cs_http_budget_update(b, 1800, 1000); /* window estimated to end in 60 s */
	g_mono += 60500;
	cs_http_budget_update(b, 1800, 40); /* the server has not rolled yet */
	for (int i = 0; i < 3; i++)
		assert_int_equal(cs_http_budget_acquire(b, NULL), 0);
	assert_int_equal(g_nwaits, 0);
	/* the roll shows as a jump: a new window from there */
	cs_http_budget_update(b, 1800, 1795);
	cs_http_budget_update(b, 1800, 4);
	assert_int_equal(cs_http_budget_acquire(b, NULL), 0);
	assert_int_equal(g_nwaits, 1);
	assert_int_equal(g_waits[0], 60000 / 5);
}

static int stop_now(void)
{
	return 1;
}

static void test_acquire_stops_early(void **state)
{
	(void)state;
	cs_http_budget *b = cs_http_budget_get("app-stop", 0);
	cs_http_budget_update(b, 1800, 0);
	assert_int_equal(cs_http_budget_acquire(b, stop_now), CS_EINTR);
}


/* ---- smoothing and the shared reservation ---- */

static void test_slot_limits_add_up(void **state)
{
	(void)state;
	static const long paces[] = {1782, 59, 1, 5940, 30};
	for (size_t i = 0; i < ARRAY_LEN(paces); i++) {
		long p = paces[i];
		for (int64_t start = 1700000000 - 7; start < 1700000000 + 61; start += 17) {
			long sum = 0;
			for (int64_t k = start; k < start + 60; k++) {
				long l = cs_http_budget_slot_limit(p, k);
				if (l < p / 60 || l > (p + 59) / 60)
					fail_msg("pace %ld slot %lld: limit %ld", p, (long long)k, l);
				sum += l;
			}
			if (sum != p)
				fail_msg("pace %ld from slot %lld: 60 slots allow %ld", p,
					 (long long)start, sum);
		}
	}
	assert_int_equal(cs_http_budget_pace(1800), 1782);
	assert_int_equal(cs_http_budget_pace(60), 59);
	assert_int_equal(cs_http_budget_pace(1), 1);
	assert_int_equal(cs_http_budget_pace(0), 0);
}

/* Grant times of n acquires in a row on the fake clock. */
static int64_t g_times[4000];

static void grant_times(cs_http_budget *b, int n)
{
	for (int i = 0; i < n; i++) {
		assert_int_equal(cs_http_budget_acquire(b, NULL), 0);
		g_times[i] = g_mono;
	}
}

/* Most grants in any window of `ms` milliseconds. */
static int max_in_window(int n, int64_t ms)
{
	int best = 0;
	for (int i = 0, j = 0; i < n; i++) {
		while (g_times[i] - g_times[j] >= ms)
			j++;
		if (i - j + 1 > best)
			best = i - j + 1;
	}
	return best;
}

static void test_smoothing_spaces_requests(void **state)
{
	(void)state;
	cs_http_budget *b = cs_http_budget_new("app-smooth", 1800);
	grant_times(b, 4000);
	/* no burst: about 30 a second from the very first second */
	assert_true(max_in_window(4000, 1000) <= 31);
	for (int i = 1; i < 4000; i++)
		if (g_times[i] - g_times[i - 1] < 33)
			fail_msg("grants %d and %d are %lld ms apart", i - 1, i,
				 (long long)(g_times[i] - g_times[i - 1]));
	/* any minute, wherever the server's window starts: under the limit */
	assert_true(max_in_window(4000, 60000) <= 1782 + 30);
	assert_true(max_in_window(4000, 60000) < 1800);
	/* and not slower than the pace: 4,000 grants in about 4000 / 29.7 s */
	assert_true(g_times[3999] - g_times[0] <= 4000 * 1000 / 29);
	cs_http_budget_free(b);
}

/* A budget idle for half a second hands out at most a tenth of a slot at
 * once (the requests that were late), then goes back to its pace. */
static void test_catch_up_is_small(void **state)
{
	(void)state;
	cs_http_budget *b = cs_http_budget_new("app-catchup", 1800);
	grant_times(b, 10);
	g_mono += 500;
	g_wall += 500;
	int64_t t0 = g_mono;
	grant_times(b, 20);
	int at_once = 0;
	for (int i = 0; i < 20; i++)
		at_once += g_times[i] == t0;
	assert_true(at_once >= 1 && at_once <= 3 + 1);
	assert_true(max_in_window(20, 1000) <= 31);
	cs_http_budget_free(b);
}

static void test_server_limit_lowers_the_pace(void **state)
{
	(void)state;
	cs_http_budget *b = cs_http_budget_new("app-lower", 1800);
	cs_http_budget_info info;
	cs_http_budget_get_info(b, &info);
	assert_int_equal(info.pace_per_min, 1782);
	cs_http_budget_observe(b, 600, 599, -1); /* X-RateLimit-Limit: 600 */
	cs_http_budget_get_info(b, &info);
	assert_int_equal(info.pace_per_min, 594);
	grant_times(b, 100);
	assert_true(max_in_window(100, 1000) <= 10);
	/* a higher server limit never raises the configured allowance */
	cs_http_budget_observe(b, 3600, 3500, -1);
	cs_http_budget_get_info(b, &info);
	assert_int_equal(info.pace_per_min, 1782);
	cs_http_budget_free(b);
}

static void test_retry_after_holds_every_request(void **state)
{
	(void)state;
	cs_http_budget *b = cs_http_budget_new("app-hold", 1800);
	/* a 429 said Retry-After: 5 (http.c passes it as remaining 0, reset 5) */
	cs_http_budget_observe(b, 1800, 0, 5);
	cs_http_budget_info info;
	cs_http_budget_get_info(b, &info);
	assert_int_equal(info.hold_ms, 5000);
	int64_t t0 = g_mono;
	grant_times(b, 3);
	assert_true(g_times[0] >= t0 + 5000);
	assert_true(g_times[2] - g_times[0] >= 66); /* smoothed again after the hold */
	cs_http_budget_free(b);
}

/* Two processes (two budgets of one key) on one shared reservation: their
 * grants together keep to one pace. */
static void test_shared_reservation_across_processes(void **state)
{
	(void)state;
	cs_http_budget *a = cs_http_budget_new("app-two", 1800);
	cs_http_budget *b = cs_http_budget_new("app-two", 1800);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(cs_http_budget_acquire(i % 2 ? b : a, NULL), 0);
		g_times[i] = g_mono;
	}
	assert_true(max_in_window(1000, 1000) <= 31);
	for (int i = 1; i < 1000; i++)
		assert_true(g_times[i] - g_times[i - 1] >= 33);
	cs_http_budget_free(a);
	cs_http_budget_free(b);
}

static int g_share_calls;
static int64_t g_refused_slot;

/* A share whose store refuses the first slot it is asked about (another
 * process took it all), then hands out indexes as the local one does. */
static long refusing_share(void *ctx, const char *key, int64_t slot, long limit, long first)
{
	(void)ctx;
	if (g_share_calls++ == 0)
		g_refused_slot = slot;
	if (slot == g_refused_slot)
		return -1;
	return cs_http_budget_share_local(NULL, key, slot, limit, first);
}

static long failing_share(void *ctx, const char *key, int64_t slot, long limit, long first)
{
	(void)ctx, (void)key, (void)slot, (void)limit, (void)first;
	g_share_calls++;
	return CS_EIO;
}

static void test_share_hook_decides(void **state)
{
	(void)state;
	g_share_calls = 0;
	g_mono = 1000000;
	g_wall = 1700000000500LL; /* half way through a slot */
	cs_http_budget_set_share(&(cs_http_budget_share){refusing_share, NULL});
	cs_http_budget *b = cs_http_budget_new("app-hook", 1800);
	int64_t at;
	assert_int_equal(cs_http_budget_reserve(b, &at), 1);
	/* the current slot was full elsewhere: the first index of the next one */
	assert_int_equal(at, 1000000 + 500);
	assert_true(g_share_calls >= 2);
	/* a store that fails: paced locally, still granted */
	cs_http_budget_set_share(&(cs_http_budget_share){failing_share, NULL});
	g_share_calls = 0;
	assert_int_equal(cs_http_budget_reserve(b, &at), 1);
	assert_int_equal(g_share_calls, 1);
	cs_http_budget_set_share(NULL);
	cs_http_budget_free(b);
}

static void test_no_pacing_without_a_limit(void **state)
{
	(void)state;
	cs_http_budget *b = cs_http_budget_new("app-free", 0);
	grant_times(b, 1000);
	assert_int_equal(g_nwaits, 0);
	cs_http_budget_info info;
	cs_http_budget_get_info(b, &info);
	assert_int_equal(info.pace_per_min, 0);
	assert_int_equal(info.granted, 1000);
	cs_http_budget_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pace_table),
		cmocka_unit_test_setup_teardown(test_registry_shares_by_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plenty_left_never_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_low_remaining_spreads_the_window, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_local_count_slows_down_between_answers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reset_header_sets_the_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_going_up_starts_a_new_window, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_acquire_stops_early, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_rise_is_not_a_new_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_early_estimate_starts_no_phantom_window, setup,
						teardown),
		cmocka_unit_test(test_slot_limits_add_up),
		cmocka_unit_test_setup_teardown(test_smoothing_spaces_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catch_up_is_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_server_limit_lowers_the_pace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after_holds_every_request, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shared_reservation_across_processes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_share_hook_decides, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_pacing_without_a_limit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
