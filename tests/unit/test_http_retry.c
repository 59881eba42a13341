/* cs_http_do against an in-process fake server: retry policy, throttling,
 * transport failures, limits and what goes over the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "http/http.h"
#include "test_http_fixture.h"
#include "util/log.h"
#include "util/timeutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define OK_BODY "{\"ok\":true}"

/* A backoff so long that only an honoured Retry-After fits the budget: if
 * the client ignored the header it would give up instead of retrying. */
static const cs_http_opts retry_after_only = {
	.backoff_base_ms = 1000000, .backoff_max_ms = 1000000, .retry_budget_ms = 10000};

static void test_429_retry_after_then_200(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{429, "Retry-After: 2\nX-RateLimit-Remaining: 0",
		 "{\"message\":\"Too Many Attempts.\"}", FAKE_SEND},
		{200, "X-RateLimit-Limit: 1800\nX-RateLimit-Remaining: 1799", OK_BODY, FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), retry_after_only);
	assert_int_equal(get(&f), 0);
	assert_int_equal(f.resp.status, 200);
	assert_string_equal(cs_buf_str(&f.resp.body), OK_BODY);
	const cs_http_stats *st = cs_http_get_stats(f.h);
	assert_int_equal(st->requests, 2);
	assert_int_equal(st->retries, 1);
	assert_int_equal(st->throttled, 1);
	assert_int_equal(st->rl_remaining, 1799);
	assert_int_equal(fake_nreqs(&f.srv), 2);
	teardown_f(&f);
}

static void test_503_body_retry_after_then_200(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{503, NULL, "{\"message\":\"Too Many Attempts.\",\"retry_after\":3}", FAKE_SEND},
		{200, NULL, OK_BODY, FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), retry_after_only);
	assert_int_equal(get(&f), 0);
	assert_int_equal(f.resp.status, 200);
	assert_int_equal(cs_http_get_stats(f.h)->throttled, 1);
	assert_int_equal(cs_http_get_stats(f.h)->retries, 1);
	teardown_f(&f);
}

/* on_wait is told each retry before its wait: status (0 for a transport
 * failure), which retry of how many, the wait, the label; and never for
 * the final answer. */
typedef struct waits {
	int n;
	cs_http_wait w[4];
	char why[4][64];
	char text[4][128];
} waits;

static void note_wait(const cs_http_wait *w, void *ud)
{
	waits *ws = ud;
	if (ws->n == 4)
		return;
	ws->w[ws->n] = *w;
	snprintf(ws->why[ws->n], sizeof(ws->why[0]), "%s", w->why);
	cs_http_wait_text(w, "Classy", ws->text[ws->n], sizeof(ws->text[0]));
	ws->n++;
}

static void test_on_wait_told_each_retry(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		/* first: libcurl itself re-sends on a reused connection that drops */
		{0, NULL, NULL, FAKE_DROP},
		{503, "Retry-After: 12", "{}", FAKE_SEND},
		{200, NULL, OK_BODY, FAKE_SEND},
	};
	waits ws = {0};
	cs_http_opts o = {.backoff_base_ms = 1, .backoff_max_ms = 1, .retry_budget_ms = 60000,
			  .max_retries = 5, .on_wait = note_wait, .wait_ud = &ws,
			  .label = "supporters"};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), o);
	assert_int_equal(get(&f), 0);
	assert_int_equal(f.resp.status, 200);
	assert_int_equal(ws.n, 2);
	assert_int_equal(ws.w[0].status, 0);
	assert_int_equal(ws.w[0].retry, 1);
	assert_int_equal(ws.w[0].max_retries, 5);
	assert_true(ws.w[0].wait_ms <= 1);
	assert_string_equal(ws.w[0].label, "supporters");
	assert_string_equal(ws.w[0].method, "GET");
	assert_string_equal(ws.text[0],
			    "waiting 0.0 s: Classy: the server closed the connection without "
			    "answering, retry 1 of 5");
	assert_int_equal(ws.w[1].status, 503);
	assert_int_equal(ws.w[1].retry, 2);
	assert_int_equal(ws.w[1].wait_ms, 12000);
	assert_string_equal(ws.text[1], "waiting 12 s: HTTP 503 from Classy, retry 2 of 5");
	teardown_f(&f);
}

static void test_retry_after_beyond_budget_gives_up(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{429, "Retry-After: 20", "{\"message\":\"Too Many Attempts.\"}", FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), retry_after_only);
	assert_int_equal(get(&f), CS_ERATELIMIT);
	assert_int_equal(f.err.http_status, 429);
	assert_non_null(strstr(f.err.msg, "throttled (429) after 1 attempt"));
	assert_non_null(strstr(f.err.msg, "retry budget"));
	assert_int_equal(fake_nreqs(&f.srv), 1);
	teardown_f(&f);
}

static void test_throttled_until_retries_run_out(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{429, "Retry-After: 0", NULL, FAKE_SEND},
		{429, "Retry-After: 0", NULL, FAKE_SEND},
		{429, "Retry-After: 0", NULL, FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), (cs_http_opts){.max_retries = 2});
	assert_int_equal(get(&f), CS_ERATELIMIT);
	char want[512];
	snprintf(want, sizeof(want), "GET %s: throttled (429) after 3 attempts", f.url);
	assert_string_equal(f.err.msg, want);
	assert_int_equal(cs_http_get_stats(f.h)->throttled, 3);
	teardown_f(&f);
}

static void test_500_three_times_then_200(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{500, NULL, "{\"message\":\"boom\"}", FAKE_SEND},
		{502, NULL, "bad gateway", FAKE_SEND},
		{500, NULL, "{\"message\":\"boom\"}", FAKE_SEND},
		{200, NULL, OK_BODY, FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), (cs_http_opts){0});
	assert_int_equal(get(&f), 0);
	assert_int_equal(f.resp.status, 200);
	const cs_http_stats *st = cs_http_get_stats(f.h);
	assert_int_equal(st->requests, 4);
	assert_int_equal(st->retries, 3);
	assert_int_equal(st->errors, 3);
	assert_int_equal(st->throttled, 0);
	teardown_f(&f);
}

static void test_5xx_until_retries_run_out(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{500, NULL, "x", FAKE_SEND},
		{500, NULL, "x", FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), (cs_http_opts){.max_retries = 1});
	assert_int_equal(get(&f), CS_ETRANSPORT);
	assert_int_equal(f.err.http_status, 500);
	assert_non_null(strstr(f.err.msg, "server error 500 after 2 attempts"));
	assert_int_equal(f.resp.status, 500);
	teardown_f(&f);
}

static void test_connection_refused_exhausts_retries(void **state)
{
	(void)state;
	int fd;
	int port = fake_closed_port(&fd);
	assert_true(port > 0);
	cs_err err = {0};
	cs_http *h = cs_http_new(&(cs_http_opts){0}, &err);
	cs_http_resp resp;
	cs_http_resp_init(&resp);
	char url[128], want[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/2.0/organizations/1/supporters", port);
	cs_http_req req = {"GET", url, NULL, NULL, 0, 0, NULL};
	assert_int_equal(cs_http_do(h, &req, &resp, &err), CS_ETRANSPORT);
	snprintf(want, sizeof(want), "GET %s: connection refused after 9 attempts", url);
	assert_string_equal(err.msg, want);
	assert_true(resp.conn_failed);
	assert_int_equal(cs_http_get_stats(h)->requests, 9);
	assert_int_equal(cs_http_get_stats(h)->errors, 9);
	cs_http_resp_release(&resp);
	cs_http_free(h);
	close(fd);
}

static void test_truncated_body_is_retried(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{200, NULL, "{\"data\":[{\"id\":1},{\"id\":2},{\"id\":3}]}", FAKE_TRUNCATE},
		{200, NULL, "{\"data\":[{\"id\":1},{\"id\":2},{\"id\":3}]}", FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), (cs_http_opts){0});
	assert_int_equal(get(&f), 0);
	assert_string_equal(cs_buf_str(&f.resp.body), script[1].body);
	assert_int_equal(cs_http_get_stats(f.h)->retries, 1);
	assert_int_equal(cs_http_get_stats(f.h)->errors, 1);
	teardown_f(&f);
}

static void test_dropped_connection_is_retried(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{0, NULL, NULL, FAKE_DROP},
		{200, NULL, OK_BODY, FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), (cs_http_opts){0});
	assert_int_equal(get(&f), 0);
	assert_int_equal(f.resp.status, 200);
	assert_int_equal(cs_http_get_stats(f.h)->retries, 1);
	teardown_f(&f);
}

static void test_404_is_not_retried(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{404, NULL, "{\"error\":\"not found\"}", FAKE_SEND},
		{200, NULL, OK_BODY, FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), (cs_http_opts){0});
	assert_int_equal(get(&f), 0);
	assert_int_equal(f.resp.status, 404);
	assert_int_equal(fake_nreqs(&f.srv), 1);
	assert_int_equal(cs_http_get_stats(f.h)->retries, 0);
	teardown_f(&f);
}

static void test_no_retry_returns_any_answer(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{503, "Retry-After: 1", NULL, FAKE_SEND},
		{200, NULL, OK_BODY, FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), (cs_http_opts){0});
	cs_http_req req = {"GET", f.url, NULL, NULL, 0, 1, NULL};
	assert_int_equal(cs_http_do(f.h, &req, &f.resp, &f.err), 0);
	assert_int_equal(f.resp.status, 503);
	assert_int_equal(f.resp.retry_after_s, 1);
	assert_int_equal(fake_nreqs(&f.srv), 1);
	teardown_f(&f);
}

static void test_headers_are_parsed(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{200, "X-RateLimit-Limit: 1800\nX-RateLimit-Remaining: 1234\nX-RateLimit-Reset: 17",
		 OK_BODY, FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), (cs_http_opts){0});
	assert_int_equal(get(&f), 0);
	assert_int_equal(f.resp.rl_limit, 1800);
	assert_int_equal(f.resp.rl_remaining, 1234);
	assert_int_equal(f.resp.rl_reset, 17);
	assert_int_equal(f.resp.retry_after_s, -1);
	assert_string_equal(f.resp.content_type, "application/json");
	assert_int_equal(cs_http_get_stats(f.h)->rl_remaining, 1234);
	teardown_f(&f);
}

static void test_keep_alive_post_then_get(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{200, NULL, OK_BODY, FAKE_SEND},
		{200, NULL, OK_BODY, FAKE_SEND},
		{200, NULL, OK_BODY, FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), (cs_http_opts){0});
	static const char *const hdrs[] = {"Content-Type: application/x-www-form-urlencoded",
					   NULL};
	const char *form = "a=1&b=%2B";
	cs_http_req post = {"POST", f.url, hdrs, form, strlen(form), 0, NULL};
	assert_int_equal(cs_http_do(f.h, &post, &f.resp, &f.err), 0);
	assert_int_equal(get(&f), 0);
	assert_int_equal(get(&f), 0);
	fake_request r0 = fake_req(&f.srv, 0), r1 = fake_req(&f.srv, 1);
	assert_string_equal(r0.method, "POST");
	assert_string_equal(r0.body, form);
	assert_string_equal(r0.content_type, "application/x-www-form-urlencoded");
	assert_string_equal(r0.user_agent, "classy-sync/0.1");
	/* The handle was reused: the GET after a POST is a plain GET. */
	assert_string_equal(r1.method, "GET");
	assert_string_equal(r1.body, "");
	assert_string_equal(r1.uri, "/2.0/organizations/1/supporters");
	assert_int_equal(fake_connections(&f.srv), 1);
	teardown_f(&f);
}

static void test_body_over_the_cap_aborts(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{200, NULL, "{\"data\":\"0123456789012345678901234567890123456789\"}", FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), (cs_http_opts){.max_body = 16});
	assert_int_equal(get(&f), CS_EPROTO);
	assert_non_null(strstr(f.err.msg, "larger than the 16 byte limit"));
	assert_int_equal(fake_nreqs(&f.srv), 1);
	teardown_f(&f);
}

static int stop_now(void)
{
	return 1;
}

static cs_http *g_client;
/* Fires once the first answer was judged, i.e. during the retry wait. */
static int stop_after_throttle(void)
{
	return g_client && cs_http_get_stats(g_client)->throttled > 0;
}

static void test_should_stop_interrupts_the_wait(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{429, "Retry-After: 100", NULL, FAKE_SEND},
	};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script),
		   (cs_http_opts){.should_stop = stop_after_throttle});
	g_client = f.h;
	assert_int_equal(get(&f), CS_EINTR);
	assert_non_null(strstr(f.err.msg, "interrupted while waiting to retry"));
	assert_int_equal(fake_nreqs(&f.srv), 1);
	g_client = NULL;
	teardown_f(&f);
}

static void test_should_stop_aborts_a_transfer(void **state)
{
	(void)state;
	static const fake_answer script[] = {{200, NULL, OK_BODY, FAKE_SEND}};
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), (cs_http_opts){.should_stop = stop_now});
	assert_int_equal(get(&f), CS_EINTR);
	teardown_f(&f);
}

static void test_sleep_is_scaled_and_stoppable(void **state)
{
	(void)state;
	assert_int_equal(cs_http_sleep_ms(3600000, stop_now), CS_EINTR);
	int64_t t0 = cs_time_mono_ms();
	assert_int_equal(cs_http_sleep_ms(20000, NULL), 0); /* 20 ms at scale 1000 */
	int64_t took = cs_time_mono_ms() - t0;
	assert_true(took >= 20);
	assert_true(took < 20000);
}

/* The budget sees every answer and is asked before every attempt. */
static long g_paused_ms[8];
static int g_npaused;
static int record_pause(long ms, int (*should_stop)(void))
{
	(void)should_stop;
	if (g_npaused < 8)
		g_paused_ms[g_npaused++] = ms;
	return 0;
}

static void test_budget_paces_the_next_request(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{200, "X-RateLimit-Limit: 100\nX-RateLimit-Remaining: 0\nX-RateLimit-Reset: 7",
		 OK_BODY, FAKE_SEND},
		{200, NULL, OK_BODY, FAKE_SEND},
	};
	cs_http_budget_set_hooks(&(cs_http_budget_hooks){.sleep_ms = record_pause});
	g_npaused = 0;
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script),
		   (cs_http_opts){.budget = cs_http_budget_get("retry-test-app", 0)});
	assert_int_equal(get(&f), 0);
	assert_int_equal(g_npaused, 0);
	assert_int_equal(get(&f), 0);
	assert_int_equal(g_npaused, 1);
	/* Nothing left: wait for the reset, about 7 s from the first answer. */
	assert_true(g_paused_ms[0] > 6000 && g_paused_ms[0] <= 7000);
	cs_http_budget_set_hooks(NULL);
	teardown_f(&f);
}

static void test_throttle_holds_off_the_shared_budget(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{429, "Retry-After: 5", "{\"message\":\"Too Many Attempts.\"}", FAKE_SEND},
	};
	cs_http_budget_set_hooks(&(cs_http_budget_hooks){.sleep_ms = record_pause});
	g_npaused = 0;
	cs_http_budget *shared = cs_http_budget_get("retry-test-throttled", 0);
	fixture f;
	setup_with(&f, script, ARRAY_LEN(script), (cs_http_opts){.budget = shared});
	cs_http_req once = {"GET", f.url, NULL, NULL, 0, 1, NULL};
	assert_int_equal(cs_http_do(f.h, &once, &f.resp, &f.err), 0);
	assert_int_equal(f.resp.status, 429);
	assert_int_equal(g_npaused, 0);
	/* No rate-limit headers, only Retry-After: another client of the same
	 * application still holds off for those 5 s instead of piling on. */
	assert_int_equal(cs_http_budget_acquire(shared, NULL), 0);
	assert_int_equal(g_npaused, 1);
	assert_true(g_paused_ms[0] > 4000 && g_paused_ms[0] <= 5000);
	cs_http_budget_set_hooks(NULL);
	teardown_f(&f);
}

/* A URL that carries a secret is logged as its log_url, even at debug level,
 * on success and on each retry. */
static void test_log_url_hides_the_secret_url(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{500, NULL, "{}", FAKE_SEND},
		{200, NULL, "{}", FAKE_SEND},
	};
	fixture f;
	static const cs_http_opts fast = {.backoff_base_ms = 1, .backoff_max_ms = 1};
	setup_with(&f, script, 2, fast);
	char url[300];
	snprintf(url, sizeof(url), "%s/services/T000/B000/SECRET-TOKEN", f.srv.base);
	char logpath[] = "/tmp/cs-log-XXXXXX";
	int fd = mkstemp(logpath);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	cs_log_setup(CS_LOG_DEBUG, 0);
	cs_http_req req = {"POST", url, NULL, "{}", 2, 0, "http://127.0.0.1 (webhook)"};
	int rc = cs_http_do(f.h, &req, &f.resp, &f.err);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	cs_log_setup(CS_LOG_WARN, 0);
	assert_int_equal(rc, 0);
	char buf[8192] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unlink(logpath);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_null(strstr(buf, "SECRET-TOKEN"));
	assert_non_null(strstr(buf, "(webhook)")); /* it did log, under the shown name */
	teardown_f(&f);
}

int main(void)
{
	setenv("CLASSY_SYNC_TEST_TIME_SCALE", "1000", 1);
	cs_log_setup(CS_LOG_DEBUG, CS_LOG_TEXT);
	if (cs_http_global_init(NULL) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_429_retry_after_then_200),
		cmocka_unit_test(test_503_body_retry_after_then_200),
		cmocka_unit_test(test_retry_after_beyond_budget_gives_up),
		cmocka_unit_test(test_on_wait_told_each_retry),
		cmocka_unit_test(test_throttled_until_retries_run_out),
		cmocka_unit_test(test_500_three_times_then_200),
		cmocka_unit_test(test_5xx_until_retries_run_out),
		cmocka_unit_test(test_connection_refused_exhausts_retries),
		cmocka_unit_test(test_truncated_body_is_retried),
		cmocka_unit_test(test_dropped_connection_is_retried),
		cmocka_unit_test(test_404_is_not_retried),
		cmocka_unit_test(test_no_retry_returns_any_answer),
		cmocka_unit_test(test_headers_are_parsed),
		cmocka_unit_test(test_keep_alive_post_then_get),
		cmocka_unit_test(test_body_over_the_cap_aborts),
		cmocka_unit_test(test_should_stop_interrupts_the_wait),
		cmocka_unit_test(test_should_stop_aborts_a_transfer),
		cmocka_unit_test(test_sleep_is_scaled_and_stoppable),
		cmocka_unit_test(test_budget_paces_the_next_request),
		cmocka_unit_test(test_throttle_holds_off_the_shared_budget),
		cmocka_unit_test(test_log_url_hides_the_secret_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
