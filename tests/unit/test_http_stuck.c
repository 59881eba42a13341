/* Our own deadline around every transfer (src/http/http_int.h). With
 * libcurl 7.88.1, when an allocation fails while a request is built on a
 * connection just made, the request fails cleanly with "out of memory", but
 * the connection stays in the multi handle's cache in a state that the
 * next transfer to that host (CURLOPT_PIPEWAIT) waits on forever: neither
 * CURLOPT_TIMEOUT_MS nor the progress callback fires again (issue 11, make
 * test-alloc: the token request hung until SIGKILL). Here each of libcurl's
 * allocations during a first request fails in turn (libcurl's memory
 * functions, curl_global_init_mem: by count, not by timing), then a second
 * request goes to the same client: it must always be answered, the stuck
 * ones after our deadline abandoned their attempt ("stuck in libcurl ...")
 * and the retry went over a new connection. On 7.88 at least one must have
 * been stuck, or this test no longer tests what it should. A server that
 * never answers must still end with libcurl's own "timed out". Without our
 * deadline a stuck request never returns: the watchdog fails the test. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "http/loop.h"
#include "test_http_done.h"
#include "test_http_fixture.h"

#define OK_BODY "{\"ok\":true}"
#define TIMEOUT_MS 1000 /* libcurl's timeout here (ours is a second past it): long enough that
			 * a loaded machine never times out a request that is not stuck */
/* Our deadline's margin past libcurl's timeout (1 s in the product): every
 * stuck request waits timeout + grace, and the verdict does not depend on it
 * (http_int.h: abandoned only when a whole perform ran past the deadline,
 * which would have ended a transfer libcurl still ran), so a short one
 * proves the same here in half the time. */
#define GRACE_MS 100
#define WATCHDOG_S 30  /* per request: a stuck one fails the test here, not at ctest's timeout */
#define MAX_ALLOCS 400 /* far more than libcurl makes for one request */

/* ---- failing libcurl's Nth allocation ------------------------------------ */

static atomic_int g_fail_at; /* > 0: the allocation with this number fails */
static atomic_int g_count;   /* libcurl's allocations since arm() */

static void arm(int n)
{
	atomic_store(&g_count, 0);
	atomic_store(&g_fail_at, n);
}

/* 1 when this allocation is the one to fail. */
static int fail_now(void)
{
	int at = atomic_load(&g_fail_at);
	if (at <= 0 || atomic_fetch_add(&g_count, 1) + 1 != at)
		return 0;
	atomic_store(&g_fail_at, 0);
	errno = ENOMEM;
	return 1;
}

/* Disarms; 1 when the armed allocation was reached (and failed). */
static int disarm(void)
{
	return atomic_exchange(&g_fail_at, 0) == 0;
}

static char *hook_strdup(const char *s)
{
	return fail_now() ? NULL : strdup(s);
}

static void *hook_malloc(size_t n)
{
	return fail_now() ? NULL : malloc(n);
}

static void hook_free(void *p)
{
	free(p);
}

static void *hook_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : realloc(p, n);
}

static void *hook_calloc(size_t n, size_t m)
{
	return fail_now() ? NULL : calloc(n, m);
}

static void watchdog(int sig)
{
	(void)sig;
	static const char msg[] = "test_http_stuck: a request still running after 30 s: a stuck "
				  "transfer was never abandoned at its deadline\n";
	ssize_t w = write(2, msg, sizeof(msg) - 1);
	(void)w;
	_exit(1);
}

/* libcurl 7.88.x, where the stall is known to happen. */
static int curl_788(void)
{
	return (curl_version_info(CURLVERSION_NOW)->version_num >> 8) == 0x0758;
}

/* ---- the blocking client ------------------------------------------------ */

static const cs_http_opts stuck_opts = {
	.timeout_ms = TIMEOUT_MS, .max_retries = -1, .stuck_grace_ms = GRACE_MS};

typedef struct seen_wait {
	int n;
	char why[256];
} seen_wait;

static void note_wait(const cs_http_wait *w, void *ud)
{
	seen_wait *s = ud;
	s->n++;
	snprintf(s->why, sizeof(s->why), "%s", w->why);
}

static const char *const token_headers[] = {
	"Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL};
static const char token_form[] = "grant_type=client_credentials&client_id=a&client_secret=b";

/* A token request's shape: the request of the hang make test-alloc found. */
static int post(fixture *f)
{
	cs_http_req req = {"POST", f->url, token_headers, token_form, sizeof(token_form) - 1, 0, NULL};
	alarm(WATCHDOG_S);
	int rc = cs_http_do(f->h, &req, &f->resp, &f->err);
	alarm(0);
	return rc;
}

/* Every allocation of a first request failed in turn; the next request
 * on the same client is always answered. */
static void test_next_request_after_a_failed_allocation_is_answered(void **state)
{
	(void)state;
	int stuck = 0, n;
	for (n = 1; n < MAX_ALLOCS; n++) {
		seen_wait seen = {0};
		cs_http_opts o = {.timeout_ms = TIMEOUT_MS, .max_retries = 2, .backoff_base_ms = 1,
				  .stuck_grace_ms = GRACE_MS, .on_wait = note_wait,
				  .wait_ud = &seen};
		fixture f;
		setup_with(&f, NULL, 0, o);
		f.srv.fallback = (fake_answer){200, NULL, OK_BODY, FAKE_SEND};
		arm(n);
		post(&f); /* fails or not: any clean end will do */
		int reached = disarm();
		assert_int_equal(post(&f), 0);
		assert_int_equal(f.resp.status, 200);
		if (seen.n && strstr(seen.why, "stuck in libcurl, abandoned after ")) {
			stuck++;
			/* and the client is whole again: no more waits */
			seen.n = 0;
			assert_int_equal(post(&f), 0);
			assert_int_equal(seen.n, 0);
		}
		teardown_f(&f);
		if (!reached)
			break; /* the first request made fewer than n allocations */
	}
	print_message("%d allocations failed in turn, %d left the next request stuck\n", n - 1,
		      stuck);
	if (curl_788())
		assert_true(stuck > 0);
}

/* Abandoned with no retries left: the error names the request, how long
 * it waited and what to do. */
static void test_stuck_transfer_error_says_what_to_do(void **state)
{
	(void)state;
	for (int n = 1; n < MAX_ALLOCS; n++) {
		fixture f;
		setup_with(&f, NULL, 0, stuck_opts);
		f.srv.fallback = (fake_answer){200, NULL, OK_BODY, FAKE_SEND};
		arm(n);
		post(&f);
		int reached = disarm();
		int rc = post(&f);
		if (rc == CS_ETRANSPORT && strstr(f.err.msg, "stuck")) {
			char want[300];
			snprintf(want, sizeof(want), "POST %s: stuck in libcurl, abandoned after ",
				 f.url);
			assert_non_null(strstr(f.err.msg, want));
			assert_non_null(strstr(f.err.msg,
					       " ms (libcurl's 1000 ms timeout never fired; it may have run "
					       "out of memory: check free memory and run again) after 1 "
					       "attempt"));
			assert_int_equal(f.err.http_status, 0);
			teardown_f(&f);
			return;
		}
		assert_int_equal(rc, 0);
		teardown_f(&f);
		if (!reached)
			break;
	}
	if (curl_788())
		fail_msg("no failed allocation left a request stuck");
}

/* A listening socket that never accepts: the kernel completes the
 * handshake and takes the request, and no answer ever comes. */
static int silent_listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* libcurl's own timeout still ends a silent server's transfer, with its
 * words: our deadline only ever catches what libcurl no longer runs. */
static void test_silent_server_times_out_as_before(void **state)
{
	(void)state;
	int port, fd = silent_listener(&port);
	fixture f;
	setup_with(&f, NULL, 0, stuck_opts);
	snprintf(f.url, sizeof(f.url), "http://127.0.0.1:%d/silent", port);
	assert_int_equal(get(&f), CS_ETRANSPORT);
	char want[300];
	snprintf(want, sizeof(want), "GET %s: timed out after 1 attempt", f.url);
	assert_string_equal(f.err.msg, want);
	teardown_f(&f);
	close(fd);
}

/* ---- the event loop ----------------------------------------------------- */


/* One call of the loop to url with o; returns its result, err filled. */
static int loop_call(cs_http_loop *l, cs_http_call *c, const char *url, const cs_http_opts *o,
		     cs_err *err)
{
	cs_http_req req = {"POST", url, token_headers, token_form, sizeof(token_form) - 1, 0, NULL};
	pthread_mutex_lock(&g_mu);
	g_done = 0; /* one call at a time */
	pthread_mutex_unlock(&g_mu);
	alarm(WATCHDOG_S);
	int rc = cs_http_loop_submit(l, c, &req, o, on_done, NULL, err);
	if (rc == 0) {
		wait_done(1);
		rc = cs_http_call_result(c, err);
	}
	alarm(0);
	return rc;
}

/* The event loop, likewise: after each of libcurl's allocations of a
 * first call failed in turn, the next call on the same loop is answered;
 * a stuck attempt is abandoned and retried over a new connection, and
 * the call after it goes through at once. */
static void test_loop_next_call_after_a_failed_allocation_is_answered(void **state)
{
	(void)state;
	fake_server srv;
	assert_int_equal(fake_start(&srv, NULL, 0), 0);
	srv.fallback = (fake_answer){200, NULL, OK_BODY, FAKE_SEND};
	char url[128];
	snprintf(url, sizeof(url), "%s/2.0/organizations/1/supporters", srv.base);
	cs_http_opts o = {.timeout_ms = TIMEOUT_MS, .max_retries = 2, .backoff_base_ms = 1,
			  .stuck_grace_ms = GRACE_MS};
	int stuck = 0, n;
	for (n = 1; n < MAX_ALLOCS; n++) {
		cs_http_loop *l;
		cs_err err = {0};
		assert_int_equal(cs_http_loop_new(2, &l, &err), 0);
		cs_http_call *c = cs_http_call_new();
		assert_non_null(c);
		arm(n);
		loop_call(l, c, url, &o, &err); /* fails or not: any clean end will do */
		int reached = disarm();
		int rc2 = loop_call(l, c, url, &o, &err);
		if (rc2)
			print_message("n=%d: %s\n", n, err.msg);
		assert_int_equal(rc2, 0);
		assert_int_equal(cs_http_call_resp(c)->status, 200);
		cs_http_loop_info in;
		cs_http_loop_get_info(l, &in);
		if (strstr(in.retry_why, "stuck in libcurl, abandoned after ")) {
			stuck++;
			assert_int_equal(cs_http_call_stats(c)->requests, 2);
			assert_int_equal(loop_call(l, c, url, &o, &err), 0);
			assert_int_equal(cs_http_call_stats(c)->requests, 1);
		}
		cs_http_call_free(c);
		cs_http_loop_free(l);
		if (!reached)
			break;
	}
	fake_stop(&srv);
	print_message("%d allocations failed in turn, %d left the next call stuck\n", n - 1,
		      stuck);
	if (curl_788())
		assert_true(stuck > 0);
}

static void test_loop_silent_server_times_out_as_before(void **state)
{
	(void)state;
	int port, fd = silent_listener(&port);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/silent", port);
	cs_http_loop *l;
	cs_err err = {0};
	assert_int_equal(cs_http_loop_new(2, &l, &err), 0);
	cs_http_call *c = cs_http_call_new();
	assert_int_equal(loop_call(l, c, url, &stuck_opts, &err), CS_ETRANSPORT);
	char want[128];
	snprintf(want, sizeof(want), "POST %s: timed out after 1 attempt", url);
	assert_string_equal(err.msg, want);
	cs_http_call_free(c);
	cs_http_loop_free(l);
	close(fd);
}

int main(void)
{
	/* Before cs_http_global_init, whose curl_global_init then keeps these. */
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, hook_malloc, hook_free, hook_realloc,
				 hook_strdup, hook_calloc) != CURLE_OK)
		return 1;
	if (cs_http_global_init(NULL) != 0)
		return 1;
	signal(SIGALRM, watchdog);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_request_after_a_failed_allocation_is_answered),
		cmocka_unit_test(test_stuck_transfer_error_says_what_to_do),
		cmocka_unit_test(test_silent_server_times_out_as_before),
		cmocka_unit_test(test_loop_next_call_after_a_failed_allocation_is_answered),
		cmocka_unit_test(test_loop_silent_server_times_out_as_before),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
