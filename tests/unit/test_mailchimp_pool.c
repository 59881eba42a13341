/* mc_run_parallel: the bound on requests in flight, every op gets its own
 * result, 429 retried, stopping early, and a rejected key stopping the run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "plugin/mailchimp/mc_client.h"
#include "test_mailchimp_fake.h"

#define NOPS 50

typedef struct pool_srv {
	int throttle_first; /* answer 429 to the first attempt of each op */
	int attempts[NOPS];
	int stop_at;        /* set mcf_stop_flag when this many requests were seen */
	int reject_key;     /* answer everything with 401 */
	int reject_first;   /* answer the first request with 401 */
} pool_srv;

/* PUT /3.0/ops/<i>: 200 echoing path and body, but 404 for i % 7 == 3. */
static void route_ops(mcf_server *s, const mcf_req *r, mcf_answer *a)
{
	pool_srv *p = s->user;
	if (p->stop_at && (int)s->nreqs == p->stop_at)
		atomic_store(&mcf_stop_flag, 1);
	if (p->reject_key || (p->reject_first && s->nreqs == 1)) {
		mcf_problem(a, 401, "{\"title\":\"API Key Invalid\",\"status\":401}");
		return;
	}
	int i = -1;
	if (sscanf(r->path, "/3.0/ops/%d", &i) != 1 || i < 0 || i >= NOPS) {
		mcf_json(a, 500, "{}");
		return;
	}
	if (p->throttle_first && p->attempts[i]++ == 0) {
		/* Mailchimp sends no Retry-After. */
		mcf_problem(a, 429, "{\"title\":\"Too Many Requests\",\"status\":429}");
		return;
	}
	if (i % 7 == 3) {
		mcf_problem(a, 404,
			    "{\"title\":\"Resource Not Found\",\"status\":404,"
			    "\"detail\":\"no such member\",\"instance\":\"inst-%d\"}",
			    i);
		return;
	}
	mcf_json(a, 200, "{\"path\":\"%s\",\"got\":%s}", r->path, r->body);
}

static void make_ops(mc_op *ops, size_t n)
{
	memset(ops, 0, n * sizeof(*ops));
	for (size_t i = 0; i < n; i++) {
		char path[64], body[64];
		snprintf(path, sizeof(path), "/ops/%zu", i);
		snprintf(body, sizeof(body), "{\"n\":%zu}", i);
		ops[i].method = "PUT";
		ops[i].path = strdup(path);
		ops[i].body = strdup(body);
		ops[i].user = (void *)(uintptr_t)i;
	}
}

/* Each op's result is its own: the echo names its path and body. */
static void check_results(const mc_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const mc_result *r = &ops[i].res;
		assert_int_equal(r->transient, 0);
		if (i % 7 == 3) {
			char inst[32];
			snprintf(inst, sizeof(inst), "inst-%zu", i);
			assert_int_equal(r->status, 404);
			assert_string_equal(r->title, "Resource Not Found");
			assert_string_equal(r->detail, "no such member");
			assert_string_equal(r->instance, inst);
			continue;
		}
		char path[64];
		snprintf(path, sizeof(path), "/3.0/ops/%zu", i);
		assert_int_equal(r->status, 200);
		assert_non_null(r->body);
		assert_string_equal(cJSON_GetObjectItem(r->body, "path")->valuestring, path);
		const cJSON *got = cJSON_GetObjectItem(r->body, "got");
		assert_int_equal((int)cJSON_GetObjectItem(got, "n")->valuedouble, (int)i);
	}
}

static void test_pool_bounds_requests_in_flight(void **state)
{
	(void)state;
	static const int conc[] = {1, 4, 10};
	for (size_t k = 0; k < sizeof(conc) / sizeof(conc[0]); k++) {
		pool_srv p = {0};
		mcf_server s;
		assert_int_equal(mcf_start(&s, route_ops, &p), 0);
		s.delay_ms = 10; /* keeps requests in flight long enough to overlap */
		mc_client *c = mcf_client(&s, MCF_KEY, conc[k], 10000, NULL);
		mc_op ops[NOPS];
		make_ops(ops, NOPS);
		cs_err err = {0};
		assert_int_equal(mc_run_parallel(c, ops, NOPS, &err), 0);
		int max = atomic_load(&s.max_inflight);
		assert_true(max <= conc[k]);
		if (conc[k] <= 4)
			assert_int_equal(max, conc[k]);
		assert_int_equal(s.nreqs, NOPS);
		check_results(ops, NOPS);
		mc_stats st;
		mc_client_stats(c, &st);
		assert_int_equal(st.requests, NOPS);
		assert_int_equal(st.writes, NOPS);
		assert_int_equal(st.retries, 0);
		mc_ops_release(ops, NOPS);
		mc_client_free(c);
		mcf_free(&s);
	}
}

static void test_pool_retries_429(void **state)
{
	(void)state;
	pool_srv p = {.throttle_first = 1};
	mcf_server s;
	assert_int_equal(mcf_start(&s, route_ops, &p), 0);
	mc_client *c = mcf_client(&s, MCF_KEY, 4, 10000, NULL);
	mc_op ops[NOPS];
	make_ops(ops, NOPS);
	cs_err err = {0};
	assert_int_equal(mc_run_parallel(c, ops, NOPS, &err), 0);
	check_results(ops, NOPS);
	assert_int_equal(s.nreqs, 2 * NOPS);
	for (int i = 0; i < NOPS; i++)
		assert_int_equal(p.attempts[i], 2);
	mc_stats st;
	mc_client_stats(c, &st);
	assert_int_equal(st.requests, 2 * NOPS);
	assert_int_equal(st.retries, NOPS);
	assert_int_equal(st.throttled, NOPS);
	assert_int_equal(st.writes, 2 * NOPS);
	/* A second run over the same ops releases the earlier results. */
	assert_int_equal(mc_run_parallel(c, ops, NOPS, &err), 0);
	check_results(ops, NOPS);
	mc_ops_release(ops, NOPS);
	mc_client_free(c);
	mcf_free(&s);
}

static void test_pool_stops_early(void **state)
{
	(void)state;
	pool_srv p = {.stop_at = 5};
	atomic_store(&mcf_stop_flag, 0);
	mcf_server s;
	assert_int_equal(mcf_start(&s, route_ops, &p), 0);
	mc_client *c = mcf_client(&s, MCF_KEY, 1, 10000, mcf_should_stop);
	enum { N = 20 };
	mc_op ops[N];
	make_ops(ops, N);
	cs_err err = {0};
	assert_int_equal(mc_run_parallel(c, ops, N, &err), CS_EINTR);
	assert_int_equal(err.code, CS_EINTR);
	assert_non_null(strstr(err.msg, "mailchimp requests stopped: "));
	assert_int_equal(s.nreqs, 5);
	for (int i = 0; i < 4; i++)
		assert_true(ops[i].res.status == 200 || ops[i].res.status == 404);
	/* The fifth was in flight when the stop came: answered or stopped. */
	assert_true(ops[4].res.status == 200 || (ops[4].res.transient &&
						 strcmp(ops[4].res.title, "stopped") == 0));
	for (int i = 5; i < N; i++) {
		assert_int_equal(ops[i].res.transient, 1);
		assert_string_equal(ops[i].res.title, "stopped");
	}
	mc_ops_release(ops, N);
	mc_client_free(c);
	mcf_free(&s);
	atomic_store(&mcf_stop_flag, 0);
}

static void test_pool_rejected_key_stops_the_run(void **state)
{
	(void)state;
	pool_srv p = {.reject_key = 1};
	mcf_server s;
	assert_int_equal(mcf_start(&s, route_ops, &p), 0);
	mc_client *c = mcf_client(&s, MCF_KEY, 1, 10000, NULL);
	enum { N = 10 };
	mc_op ops[N];
	make_ops(ops, N);
	cs_err err = {0};
	assert_int_equal(mc_run_parallel(c, ops, N, &err), CS_EAUTH);
	assert_non_null(strstr(err.msg, "MAILCHIMP_API_KEY"));
	assert_null(strstr(err.msg, "0123456789abcdef"));
	assert_int_equal(s.nreqs, 1);
	assert_int_equal(ops[0].res.status, 401);
	for (int i = 1; i < N; i++)
		assert_string_equal(ops[i].res.title, "stopped");
	mc_ops_release(ops, N);
	mc_client_free(c);
	mcf_free(&s);
}

/* The other workers stop too: without a pool-wide stop they would send
 * all 50. How many get out before the stop is seen depends on scheduling
 * (a loaded or sanitized run is slow to hand the 401 over), so the bound is
 * half of them: with 50 ms a request, three workers would have to miss the
 * stop for 400 ms to reach it. */
static void test_pool_rejected_key_stops_every_worker(void **state)
{
	(void)state;
	pool_srv p = {.reject_first = 1};
	mcf_server s;
	assert_int_equal(mcf_start(&s, route_ops, &p), 0);
	s.delay_ms = 50;
	mc_client *c = mcf_client(&s, MCF_KEY, 4, 10000, NULL);
	mc_op ops[NOPS];
	make_ops(ops, NOPS);
	cs_err err = {0};
	assert_int_equal(mc_run_parallel(c, ops, NOPS, &err), CS_EAUTH);
	assert_true(s.nreqs >= 1 && s.nreqs <= NOPS / 2);
	size_t stopped = 0;
	for (int i = 0; i < NOPS; i++)
		stopped += strcmp(ops[i].res.title, "stopped") == 0;
	assert_int_equal(stopped, NOPS - s.nreqs);
	mc_ops_release(ops, NOPS);
	mc_client_free(c);
	mcf_free(&s);
}

static void test_pool_no_ops(void **state)
{
	(void)state;
	pool_srv p = {0};
	mcf_server s;
	assert_int_equal(mcf_start(&s, route_ops, &p), 0);
	mc_client *c = mcf_client(&s, MCF_KEY, 4, 10000, NULL);
	cs_err err = {0};
	assert_int_equal(mc_run_parallel(c, NULL, 0, &err), 0);
	assert_int_equal(s.nreqs, 0);
	mc_client_free(c);
	mcf_free(&s);
}

int main(void)
{
	setenv("CLASSY_SYNC_TEST_TIME_SCALE", "1000", 1);
	cs_err err = {0};
	if (cs_http_global_init(&err) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_bounds_requests_in_flight),
		cmocka_unit_test(test_pool_retries_429),
		cmocka_unit_test(test_pool_stops_early),
		cmocka_unit_test(test_pool_rejected_key_stops_the_run),
		cmocka_unit_test(test_pool_rejected_key_stops_every_worker),
		cmocka_unit_test(test_pool_no_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
