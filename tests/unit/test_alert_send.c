/* Alert delivery to an in-process fake webhook: de-duplication end to end,
 * retries after 5xx, failures logged without the URL's secret, a hung
 * webhook that must not block anyone, and a failing record store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http/http.h"
#include "alert/alert.h"
#include "test_http_fake.h"
#include "util/timeutil.h"

#include <cjson/cJSON.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define COOLDOWN 60000
#define SECRET_PATH "/services/T000/B000/s3cr3tt0k3n"

static const char *jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

/* stderr into a temporary file, to check what was logged. */
typedef struct capture {
	FILE *tmp;
	int saved;
} capture;

static void capture_start(capture *c)
{
	fflush(stderr);
	c->tmp = tmpfile();
	assert_non_null(c->tmp);
	c->saved = dup(2);
	dup2(fileno(c->tmp), 2);
}

static char *capture_end(capture *c)
{
	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	long n = ftell(c->tmp);
	char *s = calloc(1, (size_t)n + 1);
	rewind(c->tmp);
	assert_int_equal(fread(s, 1, (size_t)n, c->tmp), (size_t)n);
	fclose(c->tmp);
	return s;
}

static cs_alerter *start_alerter(const char *base, long timeout_ms, size_t queue_max)
{
	char url[256];
	snprintf(url, sizeof(url), "%s%s", base, SECRET_PATH);
	cs_alerter_opts o = {.url = url, .allow_http = 1, .queue_max = queue_max,
			     .timeout_ms = timeout_ms, .cooldown_ms = COOLDOWN};
	cs_alerter *a = NULL;
	cs_err err = {0};
	assert_int_equal(cs_alerter_new(&o, &a, &err), 0);
	return a;
}

static void test_delivery_and_dedup(void **state)
{
	(void)state;
	static const fake_answer script[] = {{200, NULL, "ok", FAKE_SEND},
					     {200, NULL, "ok", FAKE_SEND}};
	fake_server srv;
	assert_int_equal(fake_start(&srv, script, ARRAY_LEN(script)), 0);
	cs_alerter *a = start_alerter(srv.base, 0, 0);
	cs_alert al = {CS_ALERT_CONSECUTIVE_FAILURES, 1001, "supporters", "server error 500", 3};
	cs_err err = {0};
	const int64_t t0 = 1714557600000LL;
	assert_int_equal(cs_alerter_observe(a, &al, 1, t0, &err), CS_ALERT_SEND_FIRING);
	assert_int_equal(cs_alerter_observe(a, &al, 1, t0 + 1000, &err), CS_ALERT_SUPPRESS);
	assert_int_equal(cs_alerter_flush(a, 10000), 0);
	assert_int_equal(fake_nreqs(&srv), 1);
	assert_int_equal(cs_alerter_observe(a, &al, 0, t0 + 2000, &err), CS_ALERT_SEND_RESOLVED);
	assert_int_equal(cs_alerter_observe(a, &al, 0, t0 + 3000, &err), CS_ALERT_NOTHING);
	assert_int_equal(cs_alerter_flush(a, 10000), 0);
	assert_int_equal(fake_nreqs(&srv), 2);

	fake_request r = fake_req(&srv, 0);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.uri, SECRET_PATH);
	assert_string_equal(r.content_type, "application/json");
	cJSON *j = cJSON_Parse(r.body);
	assert_non_null(j);
	assert_string_equal(jstr(j, "status"), "firing");
	assert_string_equal(jstr(j, "condition"), "consecutive_failures:1001:supporters");
	assert_string_equal(jstr(j, "at"), "2024-05-01T10:00:00Z");
	cJSON_Delete(j);
	r = fake_req(&srv, 1);
	j = cJSON_Parse(r.body);
	assert_non_null(j);
	assert_string_equal(jstr(j, "status"), "resolved");
	assert_string_equal(jstr(j, "since"), "2024-05-01T10:00:00Z");
	cJSON_Delete(j);

	cs_alerter_stats st;
	cs_alerter_get_stats(a, &st);
	assert_int_equal(st.sent, 2);
	assert_int_equal(st.failed + st.dropped + st.pending, 0);
	cs_alerter_free(a);
	fake_stop(&srv);
}

static void test_500_twice_then_200(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{500, NULL, "oops", FAKE_SEND},
		{500, NULL, "oops", FAKE_SEND},
		{200, NULL, "ok", FAKE_SEND},
	};
	fake_server srv;
	assert_int_equal(fake_start(&srv, script, ARRAY_LEN(script)), 0);
	cs_alerter *a = start_alerter(srv.base, 0, 0);
	assert_int_equal(cs_alerter_enqueue(a, "{\"text\":\"hello\"}"), 0);
	assert_int_equal(cs_alerter_flush(a, 10000), 0);
	assert_int_equal(fake_nreqs(&srv), 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(fake_req(&srv, i).body, "{\"text\":\"hello\"}");
	cs_alerter_stats st;
	cs_alerter_get_stats(a, &st);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.failed, 0);
	cs_alerter_free(a);
	fake_stop(&srv);
}

static void test_failures_are_logged_without_the_url(void **state)
{
	(void)state;
	/* A refusing port: retries run out (the time scale makes them quick). */
	int fd;
	int port = fake_closed_port(&fd);
	assert_true(port > 0);
	char base[64];
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	capture c;
	capture_start(&c);
	cs_alerter *a = start_alerter(base, 0, 0);
	assert_int_equal(cs_alerter_enqueue(a, "{}"), 0);
	assert_int_equal(cs_alerter_flush(a, 30000), 0);
	cs_alerter_stats st;
	cs_alerter_get_stats(a, &st);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.sent, 0);
	cs_alerter_free(a);

	/* A 4xx is final: one request, no retry. */
	static const fake_answer gone[] = {{404, NULL, "no_service", FAKE_SEND}};
	fake_server srv;
	assert_int_equal(fake_start(&srv, gone, 1), 0);
	a = start_alerter(srv.base, 0, 0);
	assert_int_equal(cs_alerter_enqueue(a, "{}"), 0);
	assert_int_equal(cs_alerter_flush(a, 10000), 0);
	assert_int_equal(fake_nreqs(&srv), 1);
	cs_alerter_get_stats(a, &st);
	assert_int_equal(st.failed, 1);
	cs_alerter_free(a);
	char *log = capture_end(&c);
	close(fd);

	assert_non_null(strstr(log, base));
	assert_non_null(strstr(log, "answered 404: no_service; check ALERT_WEBHOOK_URL"));
	assert_null(strstr(log, "s3cr3t"));
	free(log);
	fake_stop(&srv);
}

/* A webhook URL longer than an error message holds: cs_http's message is
 * cut inside the URL, and the cut must not leave any of its path. */
static void test_long_url_is_redacted_before_the_cut(void **state)
{
	(void)state;
	int fd;
	int port = fake_closed_port(&fd);
	assert_true(port > 0);
	static char url[2000];
	int n = snprintf(url, sizeof(url), "http://127.0.0.1:%d/services/T000/B000/", port);
	memset(url + n, 'Q', sizeof(url) - 1 - (size_t)n);
	url[sizeof(url) - 1] = '\0';
	capture c;
	capture_start(&c);
	cs_alerter_opts o = {.url = url, .allow_http = 1, .timeout_ms = 0, .cooldown_ms = COOLDOWN};
	cs_alerter *a = NULL;
	cs_err err = {0};
	assert_int_equal(cs_alerter_new(&o, &a, &err), 0);
	assert_int_equal(cs_alerter_enqueue(a, "{}"), 0);
	assert_int_equal(cs_alerter_flush(a, 30000), 0);
	cs_alerter_stats st;
	cs_alerter_get_stats(a, &st);
	assert_int_equal(st.failed, 1);
	cs_alerter_free(a);
	char *log = capture_end(&c);
	close(fd);
	assert_non_null(strstr(log, "cannot deliver an alert"));
	assert_null(strstr(log, "QQQ"));
	assert_null(strstr(log, "/services"));
	free(log);
}

/* Listening, never accepting: connections complete in the backlog and the
 * request is never answered, like a hung webhook. */
static int hung_port(int *fd)
{
	struct sockaddr_in addr = {0};
	socklen_t len = sizeof(addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(*fd, 4) != 0 || getsockname(*fd, (struct sockaddr *)&addr, &len) != 0)
		return -1;
	return ntohs(addr.sin_port);
}

static void test_down_webhook_does_not_block(void **state)
{
	(void)state;
	int fd;
	int port = hung_port(&fd);
	assert_true(port > 0);
	char base[64];
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	capture c;
	capture_start(&c);
	cs_alerter *a = start_alerter(base, 60000, 8);
	int64_t t0 = cs_time_mono_ms();
	for (int i = 0; i < 1000; i++)
		assert_int_equal(cs_alerter_enqueue(a, "{\"text\":\"x\"}"), 0);
	/* 1000 enqueues behind a hung webhook take microseconds each; the
	 * bound is loose so that a loaded machine cannot fail it. */
	assert_true(cs_time_mono_ms() - t0 < 2000);
	int left = cs_alerter_flush(a, 50);
	assert_true(left >= 1 && left <= 9); /* the queue plus the one in flight */
	cs_alerter_stats st;
	cs_alerter_get_stats(a, &st);
	assert_int_equal(st.pending, left);
	assert_true(st.dropped >= 1000 - 9);
	assert_int_equal(st.sent, 0);
	t0 = cs_time_mono_ms();
	cs_alerter_free(a); /* abandons the hung attempt */
	assert_true(cs_time_mono_ms() - t0 < 10000);
	char *log = capture_end(&c);
	assert_non_null(strstr(log, "alert queue full"));
	assert_null(strstr(log, "s3cr3t"));
	free(log);
	close(fd);
}

/* A store that fails: observe reports it and queues nothing. */
static int failing_load(void *ctx, const char *key, cs_alert_record *rec, cs_err *err)
{
	(void)ctx, (void)rec;
	return cs_err_set(err, CS_EIO, "cannot read alert '%s': database is locked", key);
}

static void test_store_failure_is_reported(void **state)
{
	(void)state;
	static const fake_answer script[] = {{200, NULL, "ok", FAKE_SEND}};
	fake_server srv;
	assert_int_equal(fake_start(&srv, script, 1), 0);
	char url[128];
	snprintf(url, sizeof(url), "%s/hook", srv.base);
	cs_alert_store st = {NULL, failing_load, NULL};
	cs_alerter_opts o = {.url = url, .allow_http = 1, .store = &st};
	cs_alerter *a = NULL;
	cs_err err = {0};
	assert_int_equal(cs_alerter_new(&o, &a, &err), 0);
	cs_alert al = {CS_ALERT_STALE, 1, "plans", NULL, 0};
	assert_int_equal(cs_alerter_observe(a, &al, 1, 1000, &err), CS_EIO);
	assert_string_equal(err.msg, "cannot read alert 'stale:1:plans': database is locked");
	assert_int_equal(cs_alerter_flush(a, 1000), 0);
	assert_int_equal(fake_nreqs(&srv), 0);
	cs_alerter_free(a);
	fake_stop(&srv);
}

int main(void)
{
	/* Backoff waits shrink a thousandfold: retries take milliseconds. */
	setenv("CLASSY_SYNC_TEST_TIME_SCALE", "1000", 1);
	cs_err err;
	if (cs_http_global_init(&err) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivery_and_dedup),
		cmocka_unit_test(test_500_twice_then_200),
		cmocka_unit_test(test_failures_are_logged_without_the_url),
		cmocka_unit_test(test_long_url_is_redacted_before_the_cut),
		cmocka_unit_test(test_down_webhook_does_not_block),
		cmocka_unit_test(test_store_failure_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
