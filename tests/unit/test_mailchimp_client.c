/* mc_client: subscriber hash, base URL from the key, client options, Basic
 * auth, problem+json errors, transient failures and an unreachable URL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "plugin/mailchimp/mc_client.h"
#include "test_mailchimp_fake.h"

#include <unistd.h>


/* ---- subscriber hash ---------------------------------------------------- */

static void test_subscriber_hash(void **state)
{
	(void)state;
	char h[33];
	/* Expected values from: printf '%s' 'urist.mcvankab@freddiesjokes.com' | md5sum */
	mc_subscriber_hash("urist.mcvankab@freddiesjokes.com", h);
	assert_string_equal(h, "62eeb292278cc15f5817cb78f7790b08");
	mc_subscriber_hash("  Urist.McVankab@FreddiesJokes.com ", h);
	assert_string_equal(h, "62eeb292278cc15f5817cb78f7790b08");
	mc_subscriber_hash("\tURIST.MCVANKAB@FREDDIESJOKES.COM\r\n", h);
	assert_string_equal(h, "62eeb292278cc15f5817cb78f7790b08");
	mc_subscriber_hash("a@b.co", h);
	assert_string_equal(h, "b33a54a5a598e6d3356166652048ada9");
	mc_subscriber_hash("   ", h);
	assert_string_equal(h, "d41d8cd98f00b204e9800998ecf8427e");
	/* Only ASCII is folded: "ünïcode@example.com" stays as its bytes. */
	mc_subscriber_hash("\xc3\xbcn\xc3\xaf" "code@example.com", h);
	assert_string_equal(h, "a2bac8ff1d4798b1133ad9777873641f");
	/* Longer than the stack buffer. */
	char longmail[400];
	memset(longmail, 'A', sizeof(longmail) - 1);
	longmail[sizeof(longmail) - 1] = '\0';
	char lower[400];
	memset(lower, 'a', sizeof(lower) - 1);
	lower[sizeof(lower) - 1] = '\0';
	char h2[33];
	mc_subscriber_hash(longmail, h);
	mc_subscriber_hash(lower, h2);
	assert_string_equal(h, h2);
	assert_int_equal(strlen(h), 32);
}

/* ---- base URL ------------------------------------------------------------ */

static void test_base_url_from_key(void **state)
{
	(void)state;
	char url[128];
	cs_err err = {0};
	assert_int_equal(mc_base_url_from_key("abc123-us6", url, sizeof(url), &err), 0);
	assert_string_equal(url, "https://us6.api.mailchimp.com/3.0");
	assert_int_equal(mc_base_url_from_key(MCF_KEY, url, sizeof(url), &err), 0);
	assert_string_equal(url, "https://us6.api.mailchimp.com/3.0");
	assert_int_equal(mc_base_url_from_key("x-y-eu12", url, sizeof(url), &err), 0);
	assert_string_equal(url, "https://eu12.api.mailchimp.com/3.0");

	static const char *const bad[] = {
		"0123456789abcdef0123456789abcdef", /* no dash */
		"0123456789abcdef-",                /* empty dc */
		"0123456789abcdef-US6",             /* upper case */
		"0123456789abcdef-us",              /* no digits */
		"0123456789abcdef-6",               /* no letters */
		"0123456789abcdef-us6x",            /* trailing letters */
		"0123456789abcdef-us6/evil.example", /* not a host label */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cs_err_clear(&err);
		assert_int_equal(mc_base_url_from_key(bad[i], url, sizeof(url), &err), CS_EUSAGE);
		assert_string_equal(url, "");
		assert_non_null(strstr(err.msg, "MAILCHIMP_API_KEY has no data center suffix"));
		assert_non_null(strstr(err.msg, "MAILCHIMP_API_URL"));
		assert_null(strstr(err.msg, "0123456789abcdef"));
	}
	assert_int_equal(mc_base_url_from_key("", url, sizeof(url), &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "MAILCHIMP_API_KEY"));
	assert_int_equal(mc_base_url_from_key("k-us6", url, 10, &err), CS_ERR);
}

static void test_client_options(void **state)
{
	(void)state;
	mc_client *c = NULL;
	cs_err err = {0};
	mc_client_opts o = {"https://us6.api.mailchimp.com/3.0", MCF_KEY, 0, 0, NULL};
	assert_int_equal(mc_client_new(&o, &c, &err), CS_EUSAGE);
	assert_null(c);
	assert_non_null(strstr(err.msg, "MAILCHIMP_CONCURRENCY"));
	o.concurrency = 11;
	assert_int_equal(mc_client_new(&o, &c, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "got 11"));
	o.concurrency = 10;
	o.api_key = "";
	assert_int_equal(mc_client_new(&o, &c, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "MAILCHIMP_API_KEY"));
	/* No URL: derived from the key, which must then carry a data center. */
	o.api_url = NULL;
	o.api_key = "0123456789abcdef0123456789abcdef";
	assert_int_equal(mc_client_new(&o, &c, &err), CS_EUSAGE);
	assert_null(strstr(err.msg, "0123456789abcdef"));
	o.api_key = MCF_KEY;
	assert_int_equal(mc_client_new(&o, &c, &err), 0);
	mc_stats st;
	mc_client_stats(c, &st);
	assert_int_equal(st.requests + st.writes + st.retries + st.throttled, 0);
	mc_client_free(c);
	mc_client_free(NULL);
}

/* ---- requests against the fake -------------------------------------------- */

/* Answers like Mailchimp: the key must come as Basic auth with the
 * username classy-sync. */
static void route_api(mcf_server *s, const mcf_req *r, mcf_answer *a)
{
	const char *key = s->user;
	char creds[256], want[256];
	snprintf(want, sizeof(want), "classy-sync:%s", key);
	if (mcf_basic_decode(r->auth, creds, sizeof(creds)) != 0 || strcmp(creds, want) != 0) {
		mcf_problem(a, 401,
			    "{\"type\":\"https://mailchimp.com/developer/marketing/docs/errors/\","
			    "\"title\":\"API Key Invalid\",\"status\":401,"
			    "\"detail\":\"Your API key may be invalid, or you've attempted to access "
			    "the wrong datacenter.\",\"instance\":\"inst-401\"}");
		return;
	}
	if (strcmp(r->path, "/3.0/ping") == 0) {
		mcf_json(a, 200, "{\"health_status\":\"Everything's Chimpy!\"}");
	} else if (strcmp(r->path, "/3.0/lists/missing") == 0) {
		mcf_problem(a, 404,
			    "{\"type\":\"https://mailchimp.com/developer/marketing/docs/errors/\","
			    "\"title\":\"Resource Not Found\",\"status\":404,"
			    "\"detail\":\"The requested resource could not be found.\","
			    "\"instance\":\"1a2b3c4d-0000-1111-2222-333344445555\"}");
	} else if (strcmp(r->method, "PUT") == 0) {
		mcf_problem(a, 400,
			    "{\"type\":\"x\",\"title\":\"Invalid Resource\",\"status\":400,"
			    "\"detail\":\"The resource submitted could not be validated.\","
			    "\"instance\":\"inst-400\",\"errors\":["
			    "{\"field\":\"email_address\",\"message\":\"This value should not be blank.\"},"
			    "{\"field\":\"merge_fields.BDAY\",\"message\":\"Please enter a date\"}]}");
	} else if (strcmp(r->path, "/3.0/busy") == 0) {
		mcf_json(a, 503, "{\"title\":\"Service Unavailable\"}");
	} else if (strcmp(r->path, "/3.0/empty") == 0) {
		a->status = 204;
	} else {
		mcf_json(a, 500, "{}");
	}
}

typedef struct fx {
	mcf_server srv;
	mc_client *c;
	char url[128];
} fx;

static void fx_start(fx *f, const char *server_key, const char *client_key, int concurrency)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(mcf_start(&f->srv, route_api, (void *)server_key), 0);
	/* A trailing slash is stripped, so paths do not come out as "//". */
	snprintf(f->url, sizeof(f->url), "%s/3.0/", f->srv.base);
	cs_err err = {0};
	mc_client_opts o = {f->url, client_key, concurrency, 5000, NULL};
	assert_int_equal(mc_client_new(&o, &f->c, &err), 0);
}

static void fx_stop(fx *f)
{
	mc_client_free(f->c);
	mcf_free(&f->srv);
}

static void test_request_ok_and_headers(void **state)
{
	(void)state;
	fx f;
	fx_start(&f, MCF_KEY, MCF_KEY, 1);
	mc_result r;
	cs_err err = {0};
	assert_int_equal(mc_request(f.c, "GET", "/ping", NULL, &r, &err), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.transient, 0);
	assert_non_null(r.body);
	assert_string_equal(cJSON_GetObjectItem(r.body, "health_status")->valuestring,
			    "Everything's Chimpy!");
	assert_string_equal(r.title, "");
	mc_result_release(&r);
	assert_null(r.body);

	assert_int_equal(mc_request(f.c, "GET", "/empty", NULL, &r, &err), 0);
	assert_int_equal(r.status, 204);
	assert_null(r.body);

	assert_int_equal(f.srv.nreqs, 2);
	const mcf_req *q = &f.srv.reqs[0];
	assert_string_equal(q->path, "/3.0/ping");
	assert_string_equal(q->accept, "application/json");
	assert_string_equal(q->content_type, "");
	char creds[256];
	assert_int_equal(mcf_basic_decode(q->auth, creds, sizeof(creds)), 0);
	assert_string_equal(creds, "classy-sync:" MCF_KEY);
	mc_stats st;
	mc_client_stats(f.c, &st);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.writes, 0);
	fx_stop(&f);
}

static void test_request_problem_fields(void **state)
{
	(void)state;
	fx f;
	fx_start(&f, MCF_KEY, MCF_KEY, 1);
	mc_result r;
	cs_err err = {0};
	assert_int_equal(mc_request(f.c, "GET", "/lists/missing", NULL, &r, &err), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.transient, 0);
	assert_string_equal(r.title, "Resource Not Found");
	assert_string_equal(r.detail, "The requested resource could not be found.");
	assert_string_equal(r.instance, "1a2b3c4d-0000-1111-2222-333344445555");
	mc_result_release(&r);

	const char *body = "{\"email_address\":\"\",\"status_if_new\":\"subscribed\"}";
	assert_int_equal(mc_request(f.c, "PUT", "/lists/abc/members/0f", body, &r, &err), 0);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.title, "Invalid Resource");
	assert_string_equal(r.instance, "inst-400");
	assert_string_equal(r.detail, "The resource submitted could not be validated.; "
				      "email_address: This value should not be blank.; "
				      "merge_fields.BDAY: Please enter a date");
	mc_result_release(&r);
	const mcf_req *q = mcf_find(&f.srv, "PUT", NULL, 0);
	assert_non_null(q);
	assert_string_equal(q->content_type, "application/json");
	assert_string_equal(q->body, body);
	mc_stats st;
	mc_client_stats(f.c, &st);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.writes, 1);
	fx_stop(&f);
}

static void test_request_wrong_key_is_auth_error(void **state)
{
	(void)state;
	fx f;
	static const char wrong[] = "ffffeeeeddddccccbbbbaaaa99998888-us6";
	fx_start(&f, MCF_KEY, wrong, 1);
	mc_result r;
	cs_err err = {0};
	assert_int_equal(mc_request(f.c, "GET", "/ping", NULL, &r, &err), CS_EAUTH);
	assert_int_equal(err.code, CS_EAUTH);
	assert_int_equal(err.http_status, 401);
	assert_string_equal(err.msg,
			    "mailchimp rejected the API key (401 API Key Invalid): check "
			    "MAILCHIMP_API_KEY and that MAILCHIMP_API_URL points at its data center");
	assert_null(strstr(err.msg, "ffffeeee"));
	assert_int_equal(r.status, 401);
	assert_string_equal(r.instance, "inst-401");
	mc_result_release(&r);
	fx_stop(&f);
}

static void test_request_retries_run_out_is_transient(void **state)
{
	(void)state;
	fx f;
	fx_start(&f, MCF_KEY, MCF_KEY, 1);
	mc_result r;
	cs_err err = {0};
	assert_int_equal(mc_request(f.c, "GET", "/busy", NULL, &r, &err), 0);
	assert_int_equal(r.transient, 1);
	assert_int_equal(r.status, 503);
	assert_string_equal(r.title, "throttled (503) after 9 attempts");
	assert_null(strstr(r.title, "127.0.0.1"));
	mc_result_release(&r);
	mc_stats st;
	mc_client_stats(f.c, &st);
	assert_int_equal(st.requests, 9);
	assert_int_equal(st.retries, 8);
	assert_int_equal(st.throttled, 9);
	fx_stop(&f);
}

/* Bound but not listening: connecting is refused while fd stays open. */
static int closed_port(int *fd)
{
	struct sockaddr_in addr = {0};
	socklen_t len = sizeof(addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    getsockname(*fd, (struct sockaddr *)&addr, &len) != 0)
		return -1;
	return ntohs(addr.sin_port);
}

static void test_unreachable_url_names_the_variable(void **state)
{
	(void)state;
	int fd;
	int port = closed_port(&fd);
	assert_true(port > 0);
	char url[128], want[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/3.0", port);
	mc_client *c;
	cs_err err = {0};
	mc_client_opts o = {url, MCF_KEY, 2, 5000, NULL};
	assert_int_equal(mc_client_new(&o, &c, &err), 0);
	mc_result r;
	assert_int_equal(mc_request(c, "GET", "/ping", NULL, &r, &err), CS_ETRANSPORT);
	snprintf(want, sizeof(want), "cannot reach mailchimp at '%s': connection refused after 9 "
		 "attempts; check MAILCHIMP_API_URL", url);
	assert_string_equal(err.msg, want);
	assert_int_equal(r.status, 0);
	mc_result_release(&r);

	/* The pool stops at once: nothing else would get through either. */
	mc_op ops[3] = {{.method = "GET", .path = strdup("/a")},
			{.method = "GET", .path = strdup("/b")},
			{.method = "GET", .path = strdup("/c")}};
	cs_err_clear(&err);
	assert_int_equal(mc_run_parallel(c, ops, 3, &err), CS_ETRANSPORT);
	assert_non_null(strstr(err.msg, "check MAILCHIMP_API_URL"));
	for (int i = 0; i < 3; i++)
		assert_int_equal(ops[i].res.transient, 1);
	mc_ops_release(ops, 3);
	mc_client_free(c);
	close(fd);
}

static void test_connection_lost_after_an_answer_is_transient(void **state)
{
	(void)state;
	fx f;
	fx_start(&f, MCF_KEY, MCF_KEY, 1);
	mc_result r;
	cs_err err = {0};
	assert_int_equal(mc_request(f.c, "GET", "/ping", NULL, &r, &err), 0);
	mc_result_release(&r);
	mcf_stop(&f.srv);
	assert_int_equal(mc_request(f.c, "GET", "/ping", NULL, &r, &err), 0);
	assert_int_equal(r.transient, 1);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.title, "after 9 attempts"));
	mc_result_release(&r);
	fx_stop(&f);
}

int main(void)
{
	setenv("CLASSY_SYNC_TEST_TIME_SCALE", "1000", 1);
	cs_err err = {0};
	if (cs_http_global_init(&err) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subscriber_hash),
		cmocka_unit_test(test_base_url_from_key),
		cmocka_unit_test(test_client_options),
		cmocka_unit_test(test_request_ok_and_headers),
		cmocka_unit_test(test_request_problem_fields),
		cmocka_unit_test(test_request_wrong_key_is_auth_error),
		cmocka_unit_test(test_request_retries_run_out_is_transient),
		cmocka_unit_test(test_unreachable_url_names_the_variable),
		cmocka_unit_test(test_connection_lost_after_an_answer_is_transient),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
