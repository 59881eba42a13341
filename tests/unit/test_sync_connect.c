/* Connecting organizations (cs_sync_connect): the organizations of one API
 * application (client id) share one request budget, so synced together
 * they keep to that application's allowance; another application has its
 * own. A budget per organization would let each take the whole allowance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "classy/classy.h"
#include "http/budget.h"
#include "http/http.h"
#include "sync/sync.h"
#include "util/secret.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct conn {
	cs_http *http;
	cs_classy *api;
} conn;

static void connect_org(const cs_config *cfg, const unsigned char *key, long long id,
			const char *client_id, conn *out)
{
	cs_org org;
	memset(&org, 0, sizeof(org));
	org.id = id;
	snprintf(org.client_id, sizeof(org.client_id), "%s", client_id);
	cs_err err = {0};
	assert_int_equal(cs_secret_encrypt(key, "a-client-secret-of-some-length", &org.secret_enc,
					   &err),
			 0);
	if (cs_sync_connect(cfg, &org, key, NULL, &out->http, &out->api, &err))
		fail_msg("connect org %lld: %s", id, err.msg);
	free(org.secret_enc);
}

static void release(conn *c)
{
	cs_classy_free(c->api);
	cs_http_free(c->http);
}

static void test_one_budget_per_application(void **state)
{
	(void)state;
	assert_true(sodium_init() >= 0);
	unsigned char key[CS_SECRET_KEY_BYTES];
	randombytes_buf(key, sizeof(key));
	cs_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.api_url, sizeof(cfg.api_url), "https://api.example.invalid/2.0");
	snprintf(cfg.token_url, sizeof(cfg.token_url), "https://api.example.invalid/oauth2/auth");
	cfg.rate_limit = 1200;
	conn a, b, c;
	connect_org(&cfg, key, 1001, "app-shared", &a);
	connect_org(&cfg, key, 1002, "app-shared", &b);
	connect_org(&cfg, key, 1003, "app-other", &c);
	cs_http_budget *ba = cs_http_get_budget(a.http), *bb = cs_http_get_budget(b.http),
		       *bc = cs_http_get_budget(c.http);
	assert_non_null(ba);
	assert_ptr_equal(ba, bb);
	assert_ptr_not_equal(ba, bc);
	/* the one the registry holds for the application, at the configured pace */
	assert_ptr_equal(ba, cs_http_budget_get("app-shared", 0));
	cs_http_budget_info info;
	cs_http_budget_get_info(ba, &info);
	assert_int_equal(info.pace_per_min, cs_http_budget_pace(1200));
	release(&a);
	release(&b);
	release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_budget_per_application),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
