/* The Classy client against an in-process fake API: tokens (cached,
 * refreshed, replayed after a 401, rejected), the organization lookup, list
 * pages and the API's own error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "classy/classy.h"
#include "classy/classy_int.h"
#include "test_http_fake.h"
#include "util/log.h"

#include <fcntl.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SECRET "s3cr+t&=x"
#define PAGE_BODY                                                                         \
	"{\"current_page\":1,\"data\":[{\"id\":7,\"first_name\":\"Ana\"},{\"id\":8}],"   \
	"\"last_page\":1,\"per_page\":100,\"total\":2}"

static const fake_answer page_ok = {200, "X-RateLimit-Limit: 1800\nX-RateLimit-Remaining: 1700",
				    PAGE_BODY, FAKE_SEND};
static const fake_answer unauthorized = {401, NULL, "{\"message\":\"Unauthenticated.\"}",
					 FAKE_SEND};

typedef struct fixture {
	fake_server srv;
	cs_http *http;
	cs_classy *c;
	cs_classy_page page;
	cs_err err;
	char api[128], token[128];
} fixture;

static void setup_api(fixture *f, const char *api_base, const fake_answer *script, size_t n)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(fake_start(&f->srv, script, n), 0);
	snprintf(f->api, sizeof(f->api), "%s/2.0", api_base ? api_base : f->srv.base);
	snprintf(f->token, sizeof(f->token), "%s/oauth2/auth", f->srv.base);
	f->http = cs_http_new(&(cs_http_opts){0}, &f->err);
	assert_non_null(f->http);
	cs_classy_opts o = {f->api, f->token, "my app", SECRET};
	f->c = cs_classy_new(&o, f->http, &f->err);
	assert_non_null(f->c);
	cs_classy_page_init(&f->page);
}

static void setup_f(fixture *f, const fake_answer *script, size_t n)
{
	setup_api(f, NULL, script, n);
}

static void teardown_f(fixture *f)
{
	cs_classy_page_release(&f->page);
	cs_classy_free(f->c);
	cs_http_free(f->http);
	fake_stop(&f->srv);
}

static int list(fixture *f, int page)
{
	cs_classy_list_query q = {42, &cs_entities[CS_ENT_SUPPORTERS], page, 0, "updated_at",
			   "updated_at>=2021-01-01T00:00:00+0000", NULL};
	return cs_classy_list(f->c, &q, &f->page, &f->err);
}

static int64_t g_now;
static int64_t fake_clock(void)
{
	return g_now;
}

static void test_token_request_and_list(void **state)
{
	(void)state;
	fixture f;
	setup_f(&f, &page_ok, 1);
	assert_int_equal(list(&f, 1), 0);
	assert_int_equal(f.page.nrecords, 2);
	assert_int_equal(f.page.total, 2);
	assert_memory_equal(f.page.records[0].raw, "{\"id\":7,\"first_name\":\"Ana\"}",
			    f.page.records[0].raw_len);

	assert_int_equal(fake_nreqs(&f.srv), 2);
	fake_request tok = fake_req(&f.srv, 0), get = fake_req(&f.srv, 1);
	assert_string_equal(tok.method, "POST");
	/* credentials travel in the form body, never in the URL */
	assert_string_equal(tok.uri, "/oauth2/auth");
	assert_string_equal(tok.content_type, "application/x-www-form-urlencoded");
	assert_string_equal(tok.body, "grant_type=client_credentials&client_id=my%20app"
				      "&client_secret=s3cr%2Bt%26%3Dx");
	assert_string_equal(get.method, "GET");
	assert_string_equal(get.uri, "/2.0/organizations/42/supporters?per_page=100&page=1"
				     "&sort=updated_at&filter=updated_at%3E%3D2021-01-01T00%3A00%3A00"
				     "%2B0000");
	assert_string_equal(get.auth, "Bearer tok-1");
	assert_string_equal(get.accept, "application/json");
	/* token calls count as requests */
	assert_int_equal(cs_classy_stats(f.c)->requests, 2);
	assert_int_equal(cs_classy_stats(f.c)->rl_remaining, 1700);
	/* orgs of one app share its budget */
	assert_ptr_equal(cs_http_get_budget(f.http), cs_http_budget_get("my app", 1800));
	teardown_f(&f);
}

static void test_token_is_cached_then_refreshed_before_expiry(void **state)
{
	(void)state;
	static const fake_answer script[] = {page_ok, page_ok, page_ok, page_ok};
	fixture f;
	setup_f(&f, script, ARRAY_LEN(script));
	g_now = 1000000;
	cs_classy_set_clock(f.c, fake_clock);
	assert_int_equal(list(&f, 1), 0);
	assert_int_equal(list(&f, 2), 0);
	assert_int_equal(cs_classy_token_requests(f.c), 1);
	/* TTL 3600 s: refresh when less than min(60 s, 10% of TTL) remains */
	g_now += 3600 * 1000 - 61000;
	assert_int_equal(list(&f, 3), 0);
	assert_int_equal(cs_classy_token_requests(f.c), 1);
	g_now += 2000;
	assert_int_equal(list(&f, 4), 0);
	assert_int_equal(cs_classy_token_requests(f.c), 2);
	assert_string_equal(fake_req(&f.srv, 2).auth, "Bearer tok-1");
	assert_string_equal(fake_req(&f.srv, 3).auth, "Bearer tok-1");
	assert_string_equal(fake_req(&f.srv, 4).uri, "/oauth2/auth");
	assert_string_equal(fake_req(&f.srv, 5).auth, "Bearer tok-2");
	teardown_f(&f);
}

static void test_short_ttl_refreshes_at_ten_percent(void **state)
{
	(void)state;
	static const fake_answer script[] = {page_ok, page_ok, page_ok};
	fixture f;
	setup_f(&f, script, ARRAY_LEN(script));
	f.srv.token_ttl = 100; /* margin is 10 s, not 60 s */
	g_now = 5000;
	cs_classy_set_clock(f.c, fake_clock);
	assert_int_equal(list(&f, 1), 0);
	g_now += 89000;
	assert_int_equal(list(&f, 2), 0);
	assert_int_equal(cs_classy_token_requests(f.c), 1);
	g_now += 2000;
	assert_int_equal(list(&f, 3), 0);
	assert_int_equal(cs_classy_token_requests(f.c), 2);
	teardown_f(&f);
}

static void test_401_mid_run_refreshes_once_and_replays(void **state)
{
	(void)state;
	static const fake_answer script[] = {page_ok, unauthorized, page_ok};
	fixture f;
	setup_f(&f, script, ARRAY_LEN(script));
	assert_int_equal(list(&f, 1), 0);
	assert_int_equal(list(&f, 2), 0);
	assert_int_equal(f.page.nrecords, 2);
	assert_int_equal(cs_classy_token_requests(f.c), 2);
	assert_int_equal(fake_nreqs(&f.srv), 5);
	fake_request rejected = fake_req(&f.srv, 2), replay = fake_req(&f.srv, 4);
	assert_string_equal(rejected.auth, "Bearer tok-1");
	assert_string_equal(fake_req(&f.srv, 3).uri, "/oauth2/auth");
	assert_string_equal(replay.auth, "Bearer tok-2");
	assert_string_equal(replay.uri, rejected.uri);
	teardown_f(&f);
}

static void test_second_401_fails_auth(void **state)
{
	(void)state;
	static const fake_answer script[] = {unauthorized, unauthorized, page_ok};
	fixture f;
	setup_f(&f, script, ARRAY_LEN(script));
	assert_int_equal(list(&f, 1), CS_EAUTH);
	assert_int_equal(f.err.http_status, 401);
	assert_non_null(strstr(f.err.msg, "401 even with a fresh token; client id 'my app'"));
	assert_int_equal(cs_classy_token_requests(f.c), 2);
	assert_int_equal(fake_nreqs(&f.srv), 4);
	teardown_f(&f);
}

/* Runs fn with stderr captured, so a test can check what was logged. */
static void capture_stderr(void (*fn)(fixture *), fixture *f, char *out, size_t n)
{
	char path[] = "/tmp/test_classy_logXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	fn(f);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t got = pread(fd, out, n - 1, 0);
	out[got > 0 ? got : 0] = '\0';
	close(fd);
	unlink(path);
}

static void authenticate(fixture *f)
{
	assert_int_equal(cs_classy_authenticate(f->c, &f->err), CS_EAUTH);
}

static void test_bad_secret_fails_auth_without_leaking(void **state)
{
	(void)state;
	static const fake_answer rejected[] = {
		{401, NULL,
		 "{\"error\":\"invalid_client\",\"error_description\":\"Client authentication "
		 "failed\"}",
		 FAKE_SEND},
	};
	fixture f;
	setup_f(&f, NULL, 0);
	f.srv.token_script = rejected;
	f.srv.ntoken = 1;
	char logged[8192];
	cs_log_setup(CS_LOG_DEBUG, CS_LOG_TEXT);
	capture_stderr(authenticate, &f, logged, sizeof(logged));
	cs_log_setup(CS_LOG_WARN, CS_LOG_TEXT);
	assert_string_equal(f.err.msg, "classy rejected the credentials for client id 'my app' "
				       "(invalid_client): check the client id and secret");
	assert_int_equal(f.err.http_status, 401);
	assert_null(strstr(f.err.msg, SECRET));
	assert_null(strstr(f.err.msg, "s3cr"));
	/* the debug log names the request but never the secret or the form */
	assert_non_null(strstr(logged, "/oauth2/auth"));
	assert_null(strstr(logged, "s3cr"));
	assert_null(strstr(logged, "client_secret"));
	assert_int_equal(fake_nreqs(&f.srv), 1);
	teardown_f(&f);
}

static void test_token_endpoint_errors(void **state)
{
	(void)state;
	static const fake_answer not_found[] = {{404, NULL, "no such page", FAKE_SEND}};
	static const fake_answer no_token[] = {{200, NULL, "{\"token_type\":\"bearer\"}", FAKE_SEND}};
	fixture f;
	setup_f(&f, NULL, 0);
	f.srv.token_script = not_found;
	f.srv.ntoken = 1;
	assert_int_equal(cs_classy_authenticate(f.c, &f.err), CS_EHTTP);
	char want[256];
	snprintf(want, sizeof(want), "POST %s: 404: no such page; check CLASSY_TOKEN_URL", f.token);
	assert_string_equal(f.err.msg, want);
	f.srv.token_script = no_token;
	f.srv.token_next = 0;
	assert_int_equal(cs_classy_authenticate(f.c, &f.err), CS_EPROTO);
	assert_non_null(strstr(f.err.msg, "without an access_token"));
	teardown_f(&f);
}

/* An access_token with CR LF would inject a header into every API request:
 * refused with a clear error, and no API request is sent. */
static void test_token_with_control_characters_is_refused(void **state)
{
	(void)state;
	static const fake_answer injected[] = {
		{200, NULL,
		 "{\"access_token\":\"abc\\r\\nX-Injected: 1\",\"token_type\":\"bearer\","
		 "\"expires_in\":3600}",
		 FAKE_SEND},
		{200, NULL, "{\"access_token\":\"abc def\",\"expires_in\":3600}", FAKE_SEND},
	};
	fixture f;
	setup_f(&f, &page_ok, 1);
	f.srv.token_script = injected;
	f.srv.ntoken = ARRAY_LEN(injected);
	for (size_t i = 0; i < ARRAY_LEN(injected); i++) {
		assert_int_equal(list(&f, 1), CS_EPROTO);
		assert_non_null(strstr(f.err.msg, "control characters or spaces"));
		assert_null(strstr(f.err.msg, "Injected"));
	}
	assert_int_equal(fake_nreqs(&f.srv), 2); /* the two token requests only */
	assert_string_equal(fake_req(&f.srv, 1).uri, "/oauth2/auth");
	teardown_f(&f);
}

/* expires_in beyond a day is capped to a day: kept that long, not taken as
 * the default hour, and no overflow however large. */
static void test_huge_expires_in_is_capped_to_a_day(void **state)
{
	(void)state;
	static const fake_answer huge[] = {
		{200, NULL, "{\"access_token\":\"tok-big\",\"expires_in\":1e300}", FAKE_SEND},
	};
	static const fake_answer script[] = {page_ok, page_ok, page_ok};
	fixture f;
	setup_f(&f, script, ARRAY_LEN(script));
	f.srv.token_script = huge;
	f.srv.ntoken = 1;
	g_now = 1000;
	cs_classy_set_clock(f.c, fake_clock);
	assert_int_equal(list(&f, 1), 0);
	g_now += 23LL * 3600 * 1000; /* past the default hour, inside the day */
	assert_int_equal(list(&f, 2), 0);
	assert_int_equal(cs_classy_token_requests(f.c), 1);
	g_now += 3600 * 1000; /* past the day */
	assert_int_equal(list(&f, 3), 0);
	assert_int_equal(cs_classy_token_requests(f.c), 2);
	teardown_f(&f);
}

static void test_get_org(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{200, NULL, "{\"id\":1234,\"name\":\"Helping H\\u00e4nds\",\"status\":\"active\"}",
		 FAKE_SEND},
		{404, NULL, "{\"error\":\"Organization not found\"}", FAKE_SEND},
		{403, NULL, "{\"error\":\"This action is unauthorized.\"}", FAKE_SEND},
	};
	fixture f;
	setup_f(&f, script, ARRAY_LEN(script));
	char *name = NULL;
	assert_int_equal(cs_classy_get_org(f.c, 1234, &name, &f.err), 0);
	assert_string_equal(name, "Helping H\xc3\xa4nds");
	free(name);
	assert_string_equal(fake_req(&f.srv, 1).uri, "/2.0/organizations/1234");
	assert_int_equal(cs_classy_get_org(f.c, 1234, &name, &f.err), CS_ENOTFOUND);
	assert_null(name);
	assert_string_equal(f.err.msg, "organization 1234 was not found (or this API application "
				       "cannot see it)");
	assert_int_equal(cs_classy_get_org(f.c, 1234, NULL, &f.err), CS_EAUTH);
	assert_non_null(strstr(f.err.msg, "This action is unauthorized."));
	teardown_f(&f);
}

static void test_list_4xx_carries_the_api_message(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{400, NULL, "{\"message\":\"per_page may not be greater than 100\"}", FAKE_SEND},
	};
	fixture f;
	setup_f(&f, script, ARRAY_LEN(script));
	assert_int_equal(list(&f, 1), CS_EHTTP);
	assert_int_equal(f.err.http_status, 400);
	char want[4096];
	snprintf(want, sizeof(want), "GET %s%s: 400: per_page may not be greater than 100",
		 f.srv.base, fake_req(&f.srv, 1).uri);
	assert_string_equal(f.err.msg, want);
	assert_int_equal(fake_nreqs(&f.srv), 2); /* not retried */
	teardown_f(&f);
}

static void test_list_throttled_until_retries_run_out(void **state)
{
	(void)state;
	static const fake_answer storm = {429, "Retry-After: 0",
					  "{\"message\":\"Too Many Attempts.\"}", FAKE_SEND};
	static const fake_answer script[] = {storm, storm, storm, storm, storm,
					     storm, storm, storm, storm};
	fixture f;
	setup_f(&f, script, ARRAY_LEN(script));
	assert_int_equal(list(&f, 1), CS_ERATELIMIT);
	assert_int_equal(f.err.http_status, 429);
	assert_non_null(strstr(f.err.msg, ": throttled (429) after 9 attempts; client id 'my app' "
					  "is out of requests"));
	assert_int_equal(cs_classy_stats(f.c)->throttled, 9);
	teardown_f(&f);
}

static void test_list_non_json_answer(void **state)
{
	(void)state;
	static const fake_answer script[] = {
		{200, "Content-Type: text/html", "<html>maintenance</html>", FAKE_SEND},
	};
	fixture f;
	setup_f(&f, script, ARRAY_LEN(script));
	assert_int_equal(list(&f, 1), CS_EPROTO);
	assert_non_null(strstr(f.err.msg, "(content type 'text/html', not JSON): malformed JSON "
					  "in the API response at byte 0"));
	teardown_f(&f);
}

static void test_unreachable_api_names_the_variable(void **state)
{
	(void)state;
	int fd;
	int port = fake_closed_port(&fd);
	char base[64];
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	fixture f;
	setup_api(&f, base, NULL, 0);
	assert_int_equal(list(&f, 1), CS_ETRANSPORT);
	char want[256];
	snprintf(want, sizeof(want), "GET %s/2.0/organizations/42/supporters?", base);
	assert_memory_equal(f.err.msg, want, strlen(want));
	assert_non_null(strstr(f.err.msg, ": connection refused after 9 attempts; check "
					  "CLASSY_API_URL"));
	teardown_f(&f);
	close(fd);
}

static void test_api_message_table(void **state)
{
	(void)state;
	static const struct {
		const char *body, *want;
	} cases[] = {
		{"{\"message\":\"Too Many Attempts.\",\"retry_after\":3}", "Too Many Attempts."},
		{"{\"error\":\"invalid_client\",\"error_description\":\"bad\"}", "invalid_client"},
		{"{\"error\":{\"message\":\"nested\",\"code\":9}}", "nested"},
		{"{\"error\":{\"per_page\":[\"may not be greater than 100\"]}}",
		 "per_page may not be greater than 100"},
		{"{\"error_description\":\"expired\"}", "expired"},
		{"{\"errors\":[\"Malformed JSON payload.\"]}", "Malformed JSON payload."},
		{"line one\nline\ttwo", "line one line two"},
		{"", ""},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		cs_buf b = CS_BUF_INIT;
		cs_buf_puts(&b, cases[i].body);
		char out[256];
		cs_classy_api_message(&b, out, sizeof(out));
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: want '%s', got '%s'", i, cases[i].want, out);
		cs_buf_release(&b);
	}
	/* a long non-JSON body is cut at 200 bytes */
	cs_buf b = CS_BUF_INIT;
	for (int i = 0; i < 50; i++)
		cs_buf_puts(&b, "0123456789");
	char out[512];
	cs_classy_api_message(&b, out, sizeof(out));
	assert_int_equal(strlen(out), 200);
	cs_buf_release(&b);
}

static void test_new_refuses_missing_options(void **state)
{
	(void)state;
	cs_err err = {0};
	cs_http *h = cs_http_new(NULL, &err);
	cs_classy_opts o = {"http://x/2.0", "http://x/oauth2/auth", "id", ""};
	assert_null(cs_classy_new(&o, h, &err));
	assert_int_equal(err.code, CS_EUSAGE);
	assert_non_null(strstr(err.msg, "the client secret is empty"));
	cs_classy_free(NULL);
	cs_http_free(h);
}

int main(void)
{
	setenv("CLASSY_SYNC_TEST_TIME_SCALE", "1000", 1);
	cs_log_setup(CS_LOG_WARN, CS_LOG_TEXT);
	if (cs_http_global_init(NULL) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_request_and_list),
		cmocka_unit_test(test_token_is_cached_then_refreshed_before_expiry),
		cmocka_unit_test(test_short_ttl_refreshes_at_ten_percent),
		cmocka_unit_test(test_401_mid_run_refreshes_once_and_replays),
		cmocka_unit_test(test_second_401_fails_auth),
		cmocka_unit_test(test_bad_secret_fails_auth_without_leaking),
		cmocka_unit_test(test_token_endpoint_errors),
		cmocka_unit_test(test_token_with_control_characters_is_refused),
		cmocka_unit_test(test_huge_expires_in_is_capped_to_a_day),
		cmocka_unit_test(test_get_org),
		cmocka_unit_test(test_list_4xx_carries_the_api_message),
		cmocka_unit_test(test_list_throttled_until_retries_run_out),
		cmocka_unit_test(test_list_non_json_answer),
		cmocka_unit_test(test_unreachable_api_names_the_variable),
		cmocka_unit_test(test_api_message_table),
		cmocka_unit_test(test_new_refuses_missing_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
