/* The metrics and health endpoint: routes, codes, content types and
 * bodies over real HTTP (libcurl through cs_http), the loopback default,
 * and the errors for bad or busy listen addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http/http.h"
#include "httpd/httpd.h"
#include "httpd/metrics.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROM_CTYPE "text/plain; version=0.0.4; charset=utf-8"
#define TEXT_CTYPE "text/plain; charset=utf-8"

/* What the handlers answer; flipped by the tests between requests. */
typedef struct probe_state {
	atomic_int live, ready, metrics_fail;
	cs_metrics *m;
} probe_state;

static int h_live(void *ctx, char *reason, size_t n)
{
	probe_state *p = ctx;
	if (atomic_load(&p->live))
		return 1;
	snprintf(reason, n, "no heartbeat for 312 s");
	return 0;
}

static int h_ready(void *ctx, char *reason, size_t n)
{
	probe_state *p = ctx;
	if (atomic_load(&p->ready))
		return 1;
	snprintf(reason, n, "database 'x.db' is locked\nsecond line dropped");
	return 0;
}

static int h_metrics(void *ctx, cs_buf *out)
{
	probe_state *p = ctx;
	if (atomic_load(&p->metrics_fail))
		return CS_ERR;
	return cs_metrics_render(p->m, out);
}

typedef struct fixture {
	probe_state p;
	cs_httpd *d;
	cs_http *http;
	cs_http_resp resp;
	cs_err err;
} fixture;

static void setup_on(fixture *f, const char *listen)
{
	memset(f, 0, sizeof(*f));
	atomic_store(&f->p.live, 1);
	atomic_store(&f->p.ready, 1);
	f->p.m = cs_metrics_new();
	cs_httpd_handlers h = {.ctx = &f->p, .live = h_live, .ready = h_ready, .metrics = h_metrics};
	assert_int_equal(cs_httpd_start(listen, &h, &f->d, &f->err), 0);
	assert_true(cs_httpd_port(f->d) > 0);
	f->http = cs_http_new(NULL, &f->err);
	assert_non_null(f->http);
	cs_http_resp_init(&f->resp);
}

static void teardown_f(fixture *f)
{
	cs_http_resp_release(&f->resp);
	cs_http_free(f->http);
	cs_httpd_stop(f->d);
	cs_metrics_free(f->p.m);
}

/* One attempt, any answer: a 503 is what we test, not something to retry.
 * auth: an Authorization header's value, or NULL. */
static long fetch_auth(fixture *f, const char *method, const char *host, const char *path,
		       const char *auth)
{
	char url[128], header[256];
	snprintf(url, sizeof(url), "http://%s:%d%s", host, cs_httpd_port(f->d), path);
	snprintf(header, sizeof(header), "Authorization: %s", auth ? auth : "");
	const char *const headers[] = {header, NULL};
	const char *body = strcmp(method, "POST") == 0 ? "x=1" : NULL;
	cs_http_req req = {method, url, auth ? headers : NULL, body, body ? 3 : 0, 1, NULL};
	assert_int_equal(cs_http_do(f->http, &req, &f->resp, &f->err), 0);
	return f->resp.status;
}

static long fetch(fixture *f, const char *method, const char *host, const char *path)
{
	return fetch_auth(f, method, host, path, NULL);
}

static void test_routes(void **state)
{
	(void)state;
	fixture f;
	setup_on(&f, "127.0.0.1:0");
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/healthz"), 200);
	assert_string_equal(cs_buf_str(&f.resp.body), "ok\n");
	assert_string_equal(f.resp.content_type, TEXT_CTYPE);

	atomic_store(&f.p.live, 0);
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/healthz"), 503);
	assert_string_equal(cs_buf_str(&f.resp.body), "no heartbeat for 312 s\n");

	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/readyz"), 200);
	assert_string_equal(cs_buf_str(&f.resp.body), "ok\n");
	atomic_store(&f.p.ready, 0);
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/readyz"), 503);
	assert_string_equal(cs_buf_str(&f.resp.body), "database 'x.db' is locked\n");

	cs_metrics_set(f.p.m, CS_METRICS_UP, 0, NULL, 1);
	cs_metrics_add(f.p.m, CS_METRICS_RECORDS_UPSERTED, 1001, "supporters", 42);
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/metrics"), 200);
	assert_string_equal(f.resp.content_type, PROM_CTYPE);
	cs_buf want = CS_BUF_INIT;
	assert_int_equal(cs_metrics_render(f.p.m, &want), 0);
	assert_string_equal(cs_buf_str(&f.resp.body), cs_buf_str(&want));
	assert_non_null(strstr(cs_buf_str(&f.resp.body),
			       "classy_sync_records_upserted_total{org=\"1001\","
			       "entity=\"supporters\"} 42\n"));
	cs_buf_release(&want);

	/* The query string is not part of the path. */
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/metrics?name[]=up"), 200);

	atomic_store(&f.p.metrics_fail, 1);
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/metrics"), 500);
	assert_string_equal(f.resp.content_type, TEXT_CTYPE);
	teardown_f(&f);
}

static void test_unknown_path_and_method(void **state)
{
	(void)state;
	fixture f;
	setup_on(&f, "127.0.0.1:0");
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/"), 404);
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/metrics/x"), 404);
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/healthz/"), 404);
	assert_int_equal(fetch(&f, "POST", "127.0.0.1", "/metrics"), 405);
	assert_int_equal(fetch(&f, "DELETE", "127.0.0.1", "/healthz"), 405);
	assert_int_equal(fetch(&f, "PUT", "127.0.0.1", "/readyz"), 405);
	/* After the refusals the server still serves. */
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/healthz"), 200);
	teardown_f(&f);
}

/* The first IPv4 address of this host that is not loopback, if any. */
static int other_local_ipv4(char *out, size_t n)
{
	struct ifaddrs *ifs, *i;
	int found = 0;
	if (getifaddrs(&ifs) != 0)
		return 0;
	for (i = ifs; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		if ((ntohl(a.s_addr) >> 24) == 127)
			continue;
		found = inet_ntop(AF_INET, &a, out, (socklen_t)n) != NULL;
	}
	freeifaddrs(ifs);
	return found;
}

static void test_bare_port_binds_loopback(void **state)
{
	(void)state;
	fixture f;
	setup_on(&f, ":0");
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/healthz"), 200);
	char other[INET_ADDRSTRLEN];
	if (other_local_ipv4(other, sizeof(other))) {
		/* Listening on 127.0.0.1 only: another local address refuses. */
		struct sockaddr_in a = {0};
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)cs_httpd_port(f.d));
		inet_pton(AF_INET, other, &a.sin_addr);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(fd >= 0);
		assert_int_not_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(errno, ECONNREFUSED);
		close(fd);
	}
	teardown_f(&f);
}

static void test_ipv6_loopback(void **state)
{
	(void)state;
	probe_state p = {0};
	cs_httpd_handlers h = {.ctx = &p, .live = h_live, .ready = h_ready, .metrics = h_metrics};
	cs_httpd *d = NULL;
	cs_err err = {0};
	int rc = cs_httpd_start("[::1]:0", &h, &d, &err);
	if (rc != 0) { /* a host without IPv6: the message says so */
		assert_int_equal(rc, CS_EIO);
		assert_non_null(strstr(err.msg, "'[::1]:0'"));
		return;
	}
	fixture f;
	memset(&f, 0, sizeof(f));
	f.d = d;
	f.http = cs_http_new(NULL, &f.err);
	cs_http_resp_init(&f.resp);
	atomic_store(&p.live, 1);
	assert_int_equal(fetch(&f, "GET", "[::1]", "/healthz"), 200);
	cs_http_resp_release(&f.resp);
	cs_http_free(f.http);
	cs_httpd_stop(d);
}

static void test_bad_listen_strings(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",	    "9464",	      "127.0.0.1:",	 "127.0.0.1:65536",
		"127.0.0.1:-1", "127.0.0.1:12a",  "::1:9464",	 "[::1]9464",
		"[::1",	    "[127.0.0.1]:80", "example.com:80", "1.2.3:80",
		"[::1]:",	    "127.0.0.1:123456",
	};
	probe_state p = {0};
	cs_httpd_handlers h = {.ctx = &p, .live = h_live, .ready = h_ready, .metrics = h_metrics};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cs_httpd *d = (cs_httpd *)&p; /* must come back NULL */
		cs_err err = {0};
		assert_int_equal(cs_httpd_start(bad[i], &h, &d, &err), CS_EUSAGE);
		assert_null(d);
		char quoted[64];
		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		assert_non_null(strstr(err.msg, quoted));
		assert_non_null(strstr(err.msg, "HOST:PORT"));
	}
	cs_httpd *d;
	cs_err err = {0};
	cs_httpd_handlers none = {.ctx = &p, .live = h_live, .metrics = h_metrics};
	assert_int_equal(cs_httpd_start("127.0.0.1:0", &none, &d, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "handlers"));
	cs_httpd_stop(NULL);
}

static void test_bind_errors_name_the_address(void **state)
{
	(void)state;
	fixture f;
	setup_on(&f, "127.0.0.1:0");
	char busy[64];
	snprintf(busy, sizeof(busy), "127.0.0.1:%d", cs_httpd_port(f.d));
	cs_httpd_handlers h = {.ctx = &f.p, .live = h_live, .ready = h_ready, .metrics = h_metrics};
	cs_httpd *d = NULL;
	cs_err err = {0};
	assert_int_equal(cs_httpd_start(busy, &h, &d, &err), CS_EIO);
	assert_null(d);
	char want[160];
	snprintf(want, sizeof(want), "cannot listen on '%s': address already in use", busy);
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, "choose another port"));

	/* 198.51.100.77 (TEST-NET-2, documentation only) is not ours. */
	h.token = "a-token-long-enough";
	assert_int_equal(cs_httpd_start("198.51.100.77:0", &h, &d, &err), CS_EIO);
	assert_non_null(strstr(err.msg, "'198.51.100.77:0'"));
	assert_non_null(strstr(err.msg, "not one of this host's"));
	teardown_f(&f);

	/* Stopping released the port: it can be bound again at once. */
	h.token = NULL;
	assert_int_equal(cs_httpd_start(busy, &h, &d, &err), 0);
	cs_httpd_stop(d);
}

static int h_page(void *ctx, cs_buf *out)
{
	(void)ctx;
	return cs_buf_puts(out, "<!DOCTYPE html><html><body>page</body></html>");
}

#define TOKEN "s3cret-token-0123456789"

/* Beyond the loopback: refused without a token; with one, every route but
 * the probes answers 401 unless the request carries it, and the token is
 * in no answer. */
static void test_token_rule(void **state)
{
	(void)state;
	probe_state p = {0};
	cs_httpd_handlers h = {.ctx = &p, .live = h_live, .ready = h_ready, .metrics = h_metrics,
			       .page = h_page};
	cs_httpd *d = NULL;
	cs_err err = {0};
	assert_int_equal(cs_httpd_start("0.0.0.0:0", &h, &d, &err), CS_EUSAGE);
	assert_null(d);
	assert_non_null(strstr(err.msg, "'0.0.0.0:0' beyond this machine needs a token"));
	assert_non_null(strstr(err.msg, "CLASSY_SYNC_HTTP_TOKEN"));
	h.token = "";
	assert_int_equal(cs_httpd_start("[::]:0", &h, &d, &err), CS_EUSAGE);

	char tok[] = TOKEN;
	h.token = tok;
	fixture f;
	memset(&f, 0, sizeof(f));
	f.p.m = cs_metrics_new();
	atomic_store(&p.live, 1);
	atomic_store(&p.ready, 1);
	h.ctx = &p;
	assert_int_equal(cs_httpd_start("0.0.0.0:0", &h, &f.d, &f.err), 0);
	memset(tok, 'x', sizeof(tok) - 1); /* the server keeps no pointer to it */
	f.http = cs_http_new(NULL, &f.err);
	cs_http_resp_init(&f.resp);
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/healthz"), 200);
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/readyz"), 200);
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/"), 401);
	assert_null(strstr(cs_buf_str(&f.resp.body), TOKEN));
	assert_int_equal(fetch(&f, "GET", "127.0.0.1", "/metrics"), 401);
	assert_int_equal(fetch_auth(&f, "GET", "127.0.0.1", "/", "Bearer wrong"), 401);
	assert_int_equal(fetch_auth(&f, "GET", "127.0.0.1", "/", "Bearer " TOKEN "x"), 401);
	assert_int_equal(fetch_auth(&f, "GET", "127.0.0.1", "/", "Basic " TOKEN), 401);
	assert_int_equal(fetch_auth(&f, "GET", "127.0.0.1", "/", TOKEN), 401);
	assert_int_equal(fetch_auth(&f, "GET", "127.0.0.1", "/", "Bearer " TOKEN), 200);
	assert_string_equal(f.resp.content_type, "text/html; charset=utf-8");
	assert_non_null(strstr(cs_buf_str(&f.resp.body), "page"));
	assert_int_equal(fetch_auth(&f, "GET", "127.0.0.1", "/", "bearer " TOKEN), 200);
	teardown_f(&f);
}

static void test_loopback_judgement(void **state)
{
	(void)state;
	static const struct {
		const char *addr;
		int loopback;
	} cases[] = {
		{":9464", 1},	      {"127.0.0.1:9464", 1}, {"127.3.4.5:1", 1},
		{"localhost:80", 1},  {"[::1]:9464", 1},     {"[::ffff:127.0.0.1]:1", 1},
		{"0.0.0.0:9464", 0},  {"[::]:9464", 0},      {"10.0.0.1:1", 0},
		{"128.0.0.1:1", 0},   {"[::ffff:10.0.0.1]:1", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int lo = -1;
		cs_err err = {0};
		assert_int_equal(cs_httpd_listen_is_loopback(cases[i].addr, &lo, &err), 0);
		if (lo != cases[i].loopback)
			fail_msg("%s: loopback %d", cases[i].addr, lo);
	}
	int lo;
	cs_err err = {0};
	assert_int_equal(cs_httpd_listen_is_loopback("nope", &lo, &err), CS_EUSAGE);
}

int main(void)
{
	cs_err err;
	if (cs_http_global_init(&err) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_unknown_path_and_method),
		cmocka_unit_test(test_bare_port_binds_loopback),
		cmocka_unit_test(test_ipv6_loopback),
		cmocka_unit_test(test_bad_listen_strings),
		cmocka_unit_test(test_bind_errors_name_the_address),
		cmocka_unit_test(test_token_rule),
		cmocka_unit_test(test_loopback_judgement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
