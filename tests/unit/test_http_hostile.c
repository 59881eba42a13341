/* cs_http against a hostile server: huge numbers in Retry-After, a body's
 * retry_after, X-RateLimit-Reset/Remaining and Content-Length are capped,
 * never overflow (UBSan would abort) and are never ignored; a header value
 * with a control character is refused before anything is sent. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "http/http.h"
#include "test_http_fixture.h"
#include "util/log.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Each of these says "come back much later": the client must neither
 * overflow nor fall back to quick retries, but give up at once with the
 * retry budget named (the wait, capped to a day, passes it). */
static void test_huge_retry_after_gives_up_at_once(void **state)
{
	(void)state;
	static const char *const waits[] = {
		"Retry-After: 9223372036854775",       /* x 1000 overflows a long */
		"Retry-After: 99999999999999999999999", /* beyond a long */
		"Retry-After: Fri, 31 Dec 9999 23:59:59 GMT",
	};
	for (size_t i = 0; i < ARRAY_LEN(waits); i++) {
		fake_answer script[] = {{429, waits[i], "{}", FAKE_SEND}};
		fixture f;
		setup_with(&f, script, 1, (cs_http_opts){0});
		assert_int_equal(get(&f), CS_ERATELIMIT);
		assert_non_null(strstr(f.err.msg, "after 1 attempt"));
		assert_non_null(strstr(f.err.msg, "the next wait of 86400000 ms would pass the "
						  "retry budget"));
		assert_int_equal(fake_nreqs(&f.srv), 1);
		teardown_f(&f);
	}
	/* the same number in the body's retry_after */
	fake_answer body[] = {{503, NULL, "{\"retry_after\":1e300}", FAKE_SEND}};
	fixture f;
	setup_with(&f, body, 1, (cs_http_opts){0});
	assert_int_equal(get(&f), CS_ERATELIMIT);
	assert_non_null(strstr(f.err.msg, "86400000 ms"));
	assert_int_equal(fake_nreqs(&f.srv), 1);
	teardown_f(&f);
}

/* The budget's clock: a pause moves it on (nothing really sleeps), so a
 * hold the budget asked for has passed once it was paused for. */
static int64_t g_clock_ms, g_wall0_ms;
static int64_t fake_mono(void)
{
	return g_clock_ms;
}
static int64_t fake_wall(void)
{
	return g_wall0_ms + g_clock_ms;
}

static long g_paused[8];
static int g_npaused;
static int record_pause(long ms, int (*should_stop)(void))
{
	(void)should_stop;
	if (g_npaused < 8)
		g_paused[g_npaused++] = ms;
	g_clock_ms += ms;
	return 0;
}

/* X-RateLimit-Reset far in the future and Remaining beyond a long: the
 * budget waits for the window it caps (2 min), it does not ignore it; and
 * once that wait is over, a huge remaining count paces nothing. */
static void test_huge_rate_limit_headers_are_capped(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{200,
		 "X-RateLimit-Limit: 1800\nX-RateLimit-Remaining: 0\n"
		 "X-RateLimit-Reset: 9223372036854775807",
		 "{}", FAKE_SEND},
		{200, "X-RateLimit-Limit: 1800\nX-RateLimit-Remaining: 99999999999999999999999",
		 "{}", FAKE_SEND},
	};
	static const cs_http_budget_hooks clock = {.sleep_ms = record_pause,
						   .mono_ms = fake_mono, .wall_ms = fake_wall};
	g_wall0_ms = (int64_t)time(NULL) * 1000;
	g_clock_ms = 1000000;
	cs_http_budget_set_hooks(&clock);
	g_npaused = 0;
	/* no smoothing (allowance 0): only the server's numbers pace it */
	cs_http_budget *b = cs_http_budget_get("hostile-reset", 0);
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), (cs_http_opts){.budget = b});
	assert_int_equal(get(&f), 0);
	assert_int_equal(cs_http_budget_acquire(b, NULL), 0);
	assert_int_equal(g_npaused, 1);
	assert_true(g_paused[0] > 60000 && g_paused[0] <= 120000);
	/* a later answer with a huge remaining count: no pacing, no overflow */
	assert_int_equal(get(&f), 0);
	g_npaused = 0;
	assert_int_equal(cs_http_budget_acquire(b, NULL), 0);
	assert_int_equal(g_npaused, 0);
	cs_http_budget_set_hooks(NULL);
	teardown_f(&f);
	/* the same through the API directly, at the extremes */
	cs_http_budget *d = cs_http_budget_get("hostile-direct", 1800);
	cs_http_budget_set_hooks(&clock);
	cs_http_budget_observe(d, 1800, 0, LONG_MAX);
	g_npaused = 0;
	assert_int_equal(cs_http_budget_acquire(d, NULL), 0);
	assert_int_equal(g_npaused, 1);
	assert_true(g_paused[0] > 60000 && g_paused[0] <= 120000);
	cs_http_budget_set_hooks(NULL);
}

/* A one-shot server that answers with a Content-Length of ~9e18 and a
 * two-byte body, then closes. */
static void *huge_length_server(void *arg)
{
	int lfd = *(int *)arg;
	int c = accept(lfd, NULL, NULL);
	if (c >= 0) {
		char buf[4096];
		(void)!read(c, buf, sizeof(buf));
		static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
					     "Content-Length: 9000000000000000000\r\n\r\n{}";
		(void)!write(c, answer, sizeof(answer) - 1);
		close(c);
	}
	return NULL;
}

static void test_huge_content_length_is_refused_before_reading(void **state)
{
	(void)state;
	struct sockaddr_in addr = {0};
	socklen_t len = sizeof(addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&addr, &len), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, huge_length_server, &lfd), 0);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", ntohs(addr.sin_port));
	cs_err err = {0};
	cs_http *h = cs_http_new(&(cs_http_opts){.max_body = 1 << 20, .max_retries = 1,
						  .timeout_ms = 10000},
				    &err);
	cs_http_resp resp;
	cs_http_resp_init(&resp);
	cs_http_req req = {"GET", url, NULL, NULL, 0, 0, NULL};
	/* one attempt (a retry would block in accept: the server is gone) */
	assert_int_equal(cs_http_do(h, &req, &resp, &err), CS_EPROTO);
	assert_non_null(strstr(err.msg, "larger than the 1048576 byte limit"));
	assert_int_equal(cs_http_get_stats(h)->requests, 1);
	pthread_join(t, NULL);
	close(lfd);
	cs_http_resp_release(&resp);
	cs_http_free(h);
}

/* CR LF in a header value (a bearer token from the network) would inject a
 * header: refused, naming the header and not its value, and never sent. */
static void test_control_characters_in_headers_are_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"Authorization: Bearer abc\r\nX-Injected: 1",
		"Authorization: Bearer abc\ndef",
		"Authorization: Bearer a\x01z",
		"Authorization: Bearer a\x7fz",
	};
	static const fake_answer ok[] = {{200, NULL, "{}", FAKE_SEND}};
	fixture f;
	setup_with(&f, ok, 1, (cs_http_opts){0});
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		const char *headers[] = {"Accept: application/json", bad[i], NULL};
		cs_http_req req = {"GET", f.url, headers, NULL, 0, 0, NULL};
		assert_int_equal(cs_http_do(f.h, &req, &f.resp, &f.err), CS_EPROTO);
		assert_non_null(strstr(f.err.msg, "refusing to send header 'Authorization'"));
		assert_null(strstr(f.err.msg, "abc"));
	}
	assert_int_equal(fake_nreqs(&f.srv), 0);
	assert_int_equal(fake_connections(&f.srv), 0);
	/* a clean one still goes */
	const char *headers[] = {"Authorization: Bearer abc", NULL};
	cs_http_req req = {"GET", f.url, headers, NULL, 0, 0, NULL};
	assert_int_equal(cs_http_do(f.h, &req, &f.resp, &f.err), 0);
	assert_string_equal(fake_req(&f.srv, 0).auth, "Bearer abc");
	teardown_f(&f);
}

int main(void)
{
	setenv("CLASSY_SYNC_TEST_TIME_SCALE", "1000", 1);
	cs_log_setup(CS_LOG_WARN, CS_LOG_TEXT);
	if (cs_http_global_init(NULL) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_huge_retry_after_gives_up_at_once),
		cmocka_unit_test(test_huge_rate_limit_headers_are_capped),
		cmocka_unit_test(test_huge_content_length_is_refused_before_reading),
		cmocka_unit_test(test_control_characters_in_headers_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
