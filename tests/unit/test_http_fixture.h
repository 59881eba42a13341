/* One cs_http client against the fake server (test_http_fake.h), for the
 * http tests: start both with a script and options, GET the one URL, stop.
 * Header-only (static functions), like the fake. */
#ifndef TEST_HTTP_FIXTURE_H
#define TEST_HTTP_FIXTURE_H

#include "http/http.h"
#include "test_http_fake.h"

typedef struct fixture {
	fake_server srv;
	cs_http *h;
	cs_http_resp resp;
	cs_err err;
	char url[256];
} fixture;

/* Starts the fake server with a script and a client with the given options. */
static void setup_with(fixture *f, const fake_answer *script, size_t n, cs_http_opts opts)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(fake_start(&f->srv, script, n), 0);
	f->h = cs_http_new(&opts, &f->err);
	assert_non_null(f->h);
	cs_http_resp_init(&f->resp);
	snprintf(f->url, sizeof(f->url), "%s/2.0/organizations/1/supporters", f->srv.base);
}

static int get(fixture *f)
{
	cs_http_req req = {"GET", f->url, NULL, NULL, 0, 0, NULL};
	return cs_http_do(f->h, &req, &f->resp, &f->err);
}

static void teardown_f(fixture *f)
{
	cs_http_resp_release(&f->resp);
	cs_http_free(f->h);
	fake_stop(&f->srv);
}

#endif
