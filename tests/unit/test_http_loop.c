/* The HTTP event loop against an in-process fake server: many calls at
 * once over a bounded set of reused connections, the retry policy of
 * cs_http_do, a 429's hold through the budget, stop requests, the
 * limits, and a hostile server's numbers and header values (issue 11). Completion is awaited on a condition variable, never a sleep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http/loop.h"
#include "test_http_done.h"
#include "test_http_fake.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define OK_BODY "{\"ok\":true}"


typedef struct fixture {
	fake_server srv;
	cs_http_loop *loop;
	char url[256];
	cs_err err;
} fixture;

static void setup_with(fixture *f, const fake_answer *script, size_t n, int max_in_flight)
{
	memset(f, 0, sizeof(*f));
	g_done = 0;
	assert_int_equal(fake_start(&f->srv, script, n), 0);
	f->srv.fallback = (fake_answer){200, "X-RateLimit-Remaining: 1000", OK_BODY, FAKE_SEND};
	assert_int_equal(cs_http_loop_new(max_in_flight, &f->loop, &f->err), 0);
	snprintf(f->url, sizeof(f->url), "%s/2.0/organizations/1/supporters", f->srv.base);
}

static void teardown_f(fixture *f)
{
	cs_http_loop_free(f->loop);
	fake_stop(&f->srv);
}

static void submit(fixture *f, cs_http_call *c, const cs_http_opts *o)
{
	static const char *const headers[] = {"Authorization: Bearer tok-1", NULL};
	cs_http_req req = {"GET", f->url, headers, NULL, 0, 0, NULL};
	assert_int_equal(cs_http_loop_submit(f->loop, c, &req, o, on_done, NULL, &f->err), 0);
}

static void test_many_calls_over_bounded_connections(void **state)
{
	(void)state;
	fixture f;
	setup_with(&f, NULL, 0, 3);
	cs_http_call *calls[12];
	for (size_t i = 0; i < ARRAY_LEN(calls); i++) {
		calls[i] = cs_http_call_new();
		assert_non_null(calls[i]);
		submit(&f, calls[i], NULL);
	}
	wait_done(12);
	for (size_t i = 0; i < ARRAY_LEN(calls); i++) {
		assert_int_equal(cs_http_call_result(calls[i], &f.err), 0);
		assert_int_equal(cs_http_call_resp(calls[i])->status, 200);
		assert_string_equal(cs_buf_str(&cs_http_call_resp(calls[i])->body), OK_BODY);
		assert_int_equal(cs_http_call_stats(calls[i])->requests, 1);
		cs_http_call_free(calls[i]);
	}
	assert_int_equal(fake_nreqs(&f.srv), 12);
	assert_string_equal(fake_req(&f.srv, 0).auth, "Bearer tok-1");
	/* at most max_in_flight connections, whatever the timing */
	assert_true(fake_connections(&f.srv) <= 3);
	cs_http_loop_info in;
	cs_http_loop_get_info(f.loop, &in);
	assert_int_equal(in.requests, 12);
	assert_int_equal(in.max_in_flight, 3);
	teardown_f(&f);
}

static void test_connection_is_reused(void **state)
{
	(void)state;
	fixture f;
	setup_with(&f, NULL, 0, 4);
	cs_http_call *c = cs_http_call_new();
	for (int i = 1; i <= 5; i++) {
		submit(&f, c, NULL);
		wait_done(i);
		assert_int_equal(cs_http_call_result(c, &f.err), 0);
	}
	cs_http_call_free(c);
	assert_int_equal(fake_nreqs(&f.srv), 5);
	assert_int_equal(fake_connections(&f.srv), 1);
	teardown_f(&f);
}

static void test_retries_like_cs_http_do(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{500, NULL, "{\"message\":\"boom\"}", FAKE_SEND},
		{200, NULL, OK_BODY, FAKE_TRUNCATE},
		{200, NULL, OK_BODY, FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), 2);
	cs_http_call *c = cs_http_call_new();
	submit(&f, c, NULL);
	wait_done(1);
	assert_int_equal(cs_http_call_result(c, &f.err), 0);
	assert_int_equal(cs_http_call_resp(c)->status, 200);
	assert_string_equal(cs_buf_str(&cs_http_call_resp(c)->body), OK_BODY);
	const cs_http_stats *s = cs_http_call_stats(c);
	assert_int_equal(s->requests, 3);
	assert_int_equal(s->retries, 2);
	assert_int_equal(s->errors, 2);
	cs_http_call_free(c);
	teardown_f(&f);
}

static void test_gives_up_with_the_policy(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{503, NULL, "<html>down</html>", FAKE_SEND},
		{503, NULL, "<html>down</html>", FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), 2);
	cs_http_call *c = cs_http_call_new();
	cs_http_opts o = {.max_retries = 1};
	submit(&f, c, &o);
	wait_done(1);
	assert_int_equal(cs_http_call_result(c, &f.err), CS_ERATELIMIT);
	assert_non_null(strstr(f.err.msg, "throttled (503) after 2 attempts"));
	assert_int_equal(f.err.http_status, 503);
	cs_http_call_free(c);
	teardown_f(&f);
}

/* A 429 with Retry-After holds every call of the application, through the
 * budget, and the call is retried after it. */
static void test_throttle_holds_the_budget(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{429, "Retry-After: 1", "{\"message\":\"Too Many Attempts.\",\"retry_after\":1}",
		 FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), 2);
	cs_http_budget *b = cs_http_budget_new("loop-throttled", 0);
	cs_http_opts o = {.budget = b};
	cs_http_call *c = cs_http_call_new();
	submit(&f, c, &o);
	wait_done(1);
	assert_int_equal(cs_http_call_result(c, &f.err), 0);
	assert_int_equal(cs_http_call_resp(c)->status, 200);
	assert_int_equal(cs_http_call_stats(c)->throttled, 1);
	cs_http_budget_info bi;
	cs_http_budget_get_info(b, &bi);
	assert_int_equal(bi.granted, 2); /* both attempts asked the budget */
	cs_http_call_free(c);
	cs_http_budget_free(b);
	teardown_f(&f);
}

static int stop_now(void)
{
	return 1;
}

static void test_stop_ends_calls(void **state)
{
	(void)state;
	fixture f;
	setup_with(&f, NULL, 0, 2);
	cs_http_call *c = cs_http_call_new();
	cs_http_opts o = {.should_stop = stop_now};
	submit(&f, c, &o);
	wait_done(1);
	assert_int_equal(cs_http_call_result(c, &f.err), CS_EINTR);
	cs_http_call_free(c);
	teardown_f(&f);
}

static void test_body_limit(void **state)
{
	(void)state;
	fixture f;
	setup_with(&f, NULL, 0, 2);
	cs_http_call *c = cs_http_call_new();
	cs_http_opts o = {.max_body = 4};
	submit(&f, c, &o);
	wait_done(1);
	assert_int_equal(cs_http_call_result(c, &f.err), CS_EPROTO);
	assert_non_null(strstr(f.err.msg, "larger than the 4 byte limit"));
	cs_http_call_free(c);
	teardown_f(&f);
}

/* A header value with CR LF (a bearer token from the network) is refused
 * when submitted, naming the header and not its value: nothing is sent. */
static void test_control_characters_in_headers_are_refused(void **state)
{
	(void)state;
	fixture f;
	setup_with(&f, NULL, 0, 2);
	cs_http_call *c = cs_http_call_new();
	static const char *const headers[] = {"Authorization: Bearer tok\r\nX-Evil: 1", NULL};
	cs_http_req req = {"GET", f.url, headers, NULL, 0, 0, NULL};
	assert_int_equal(cs_http_loop_submit(f.loop, c, &req, NULL, on_done, NULL, &f.err),
			 CS_EPROTO);
	assert_non_null(strstr(f.err.msg, "refusing to send header 'Authorization'"));
	assert_null(strstr(f.err.msg, "tok"));
	assert_int_equal(fake_nreqs(&f.srv), 0);
	cs_http_call_free(c);
	teardown_f(&f);
}

/* A Retry-After beyond a long is capped (a day), never overflowed nor
 * ignored: the wait passes the retry budget, so the call gives up at once. */
static void test_huge_retry_after_gives_up_at_once(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{429, "Retry-After: 99999999999999999999999", "{}", FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), 2);
	cs_http_call *c = cs_http_call_new();
	submit(&f, c, NULL);
	wait_done(1);
	assert_int_equal(cs_http_call_result(c, &f.err), CS_ERATELIMIT);
	assert_non_null(strstr(f.err.msg, "the next wait of 86400000 ms would pass the retry "
					  "budget"));
	assert_int_equal(fake_nreqs(&f.srv), 1);
	cs_http_call_free(c);
	teardown_f(&f);
}

static void test_shared_loop_is_one(void **state)
{
	(void)state;
	cs_http_loop *a, *b;
	cs_err err = {0};
	assert_int_equal(cs_http_loop_share(4, &a, &err), 0);
	assert_int_equal(cs_http_loop_share(8, &b, &err), 0);
	assert_ptr_equal(a, b);
	cs_http_loop_info in;
	cs_http_loop_get_info(a, &in);
	assert_int_equal(in.max_in_flight, 4); /* the first user sized it */
	cs_http_loop_unshare(a);
	cs_http_loop_unshare(b);
}

int main(void)
{
	/* backoff waits of the retry tests take milliseconds */
	setenv("CLASSY_SYNC_TEST_TIME_SCALE", "1000", 1);
	cs_err err = {0};
	if (cs_http_global_init(&err))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_calls_over_bounded_connections),
		cmocka_unit_test(test_connection_is_reused),
		cmocka_unit_test(test_retries_like_cs_http_do),
		cmocka_unit_test(test_gives_up_with_the_policy),
		cmocka_unit_test(test_throttle_holds_the_budget),
		cmocka_unit_test(test_stop_ends_calls),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_control_characters_in_headers_are_refused),
		cmocka_unit_test(test_huge_retry_after_gives_up_at_once),
		cmocka_unit_test(test_shared_loop_is_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
