/* The Mailchimp half's front door: its own route tables (the API under
 * /3.0, the admin routes), the policy wrapped around every API call
 * (connection limit, latency, Basic auth, injected faults) and the half's
 * lifecycle. It claims only its own paths; the Classy half gets the rest.
 *
 * Must never: apply the policy to a batch's operations (sb_mc_batch.c runs
 * them through exec_op, as Mailchimp runs them internally) or to the admin
 * routes; and send Retry-After, which the real service never does. */
#include "mailchimp/sb_mc_int.h"

#include "core/sb_route.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct sb_mc_route {
	sb_route_key key;
	const char *name; /* the key in the stats' by_route */
	sb_mc_handler fn;
} sb_mc_route;

/* Paths are below /3.0. Deletions are routed only to be refused and
 * counted: a correct client never deletes a contact. */
static const sb_mc_route api_routes[] = {
	{{"GET", "/ping"}, "GET ping", sb_mc_h_ping},
	{{"GET", "/lists/*"}, "GET list", sb_mc_h_list},
	{{"POST", "/lists/*"}, "POST batch-subscribe", sb_mc_h_batch_subscribe},
	{{"GET", "/lists/*/merge-fields"}, "GET merge-fields", sb_mc_h_fields},
	{{"POST", "/lists/*/merge-fields"}, "POST merge-fields", sb_mc_h_field_add},
	{{"GET", "/lists/*/members"}, "GET members", sb_mc_h_members},
	{{"POST", "/lists/*/members"}, "POST members", sb_mc_h_member_post},
	{{"GET", "/lists/*/members/*"}, "GET member", sb_mc_h_member},
	{{"PUT", "/lists/*/members/*"}, "PUT members", sb_mc_h_member_put},
	{{"PATCH", "/lists/*/members/*"}, "PATCH members", sb_mc_h_member_patch},
	{{"DELETE", "/lists/*/members/*"}, "DELETE members", sb_mc_h_refuse_delete},
	{{"POST", "/lists/*/members/*/actions/delete-permanent"}, "POST delete-permanent",
	 sb_mc_h_refuse_delete},
	{{"POST", "/lists/*/members/*/tags"}, "POST tags", sb_mc_h_tags},
	{{"GET", "/batches"}, "GET batches", sb_mc_h_batch_list},
	{{"POST", "/batches"}, "POST batches", sb_mc_h_batch_submit},
	{{"GET", "/batches/*"}, "GET batch", sb_mc_h_batch_get},
};
#define NAPI (sizeof(api_routes) / sizeof(api_routes[0]))
_Static_assert(NAPI <= SB_MC_NROUTES_MAX, "raise SB_MC_NROUTES_MAX");

/* No auth, no limits, no faults. The results download stands in for an S3
 * URL on another host, so it is not under /3.0 either. */
static const sb_mc_route admin_routes[] = {
	{{"GET", "/__sandbox/mc/stats"}, NULL, sb_mc_h_admin_stats},
	{{"POST", "/__sandbox/mc/reset-stats"}, NULL, sb_mc_h_admin_reset_stats},
	{{"GET", "/__sandbox/mc/members"}, NULL, sb_mc_h_admin_members},
	{{"POST", "/__sandbox/mc/seed"}, NULL, sb_mc_h_admin_seed},
	{{"POST", "/__sandbox/mc/reset"}, NULL, sb_mc_h_admin_reset},
	{{"GET", "/__sandbox/mc/knobs"}, NULL, sb_mc_h_admin_knobs},
	{{"POST", "/__sandbox/mc/knobs"}, NULL, sb_mc_h_admin_knobs},
	{{"GET", "/__mc/batch-results/*"}, NULL, sb_mc_h_batch_results},
};
#define NADMIN (sizeof(admin_routes) / sizeof(admin_routes[0]))

/* Index into t, or -404 / -405. */
static int find(const sb_mc_route *t, size_t n, sb_mc_req *rq)
{
	return sb_route_find(t, n, sizeof(*t), rq->method, rq->path, rq->params, rq->pbuf,
			     sizeof(rq->pbuf));
}

/* ---- policy ---- */

/* HTTP Basic with any username; the password must be the API key. */
static int auth_ok(sb_mc *m, sb_req *sr)
{
	const char *h = sb_header(sr, "Authorization");
	unsigned char out[1024];
	if (!h || strncasecmp(h, "Basic ", 6))
		return 0;
	h += 6;
	h += strspn(h, " ");
	size_t n = strlen(h);
	if (n < 4 || n % 4 || n / 4 * 3 >= sizeof(out))
		return 0;
	int len = EVP_DecodeBlock(out, (const unsigned char *)h, (int)n);
	if (len < 0)
		return 0;
	len -= (h[n - 1] == '=') + (h[n - 2] == '='); /* EVP counts the padding */
	const unsigned char *colon = memchr(out, ':', (size_t)len);
	if (!colon)
		return 0;
	size_t plen = (size_t)len - (size_t)(colon + 1 - out);
	return plen == strlen(m->api_key) && !memcmp(colon + 1, m->api_key, plen);
}

/* 0, 500 or 429, from the seeded generator, as the Classy half does;
 * fail_writes answers every write 500 (reads still work), to test what a
 * client does when only its writes fail. */
static int roll_fault(sb_mc *m, const char *method)
{
	pthread_mutex_lock(&m->lock);
	double x = sb_rng_unit(&m->rng);
	int f = m->knobs.fail_writes && strcmp(method, "GET") ? 500
		: x < m->knobs.fail_rate ? 500
		: x < m->knobs.fail_rate + m->knobs.throttle_rate ? 429 : 0;
	m->stats.faults_500 += f == 500;
	m->stats.throttled_429 += f == 429;
	pthread_mutex_unlock(&m->lock);
	return f;
}

static void too_many(sb_mc_req *rq, sb_resp *rs, long limit)
{
	/* Mailchimp sends no Retry-After: clients must back off on their own. */
	sb_mc_problem(rq, rs, 429, "Too Many Requests",
		      "You have exceeded the limit of %ld simultaneous connections.", limit);
}

static void run_route(sb_mc *m, sb_mc_req *rq, int ri, sb_resp *rs)
{
	if (ri == -404)
		sb_mc_not_found(rq, rs);
	else if (ri == -405)
		sb_mc_problem(rq, rs, 405, "Method Not Allowed",
			      "The requested method and resource are not compatible. See the Allow "
			      "header for this resource's available methods.");
	else
		api_routes[ri].fn(m, rq, rs);
	if (rs->status == 200)
		sb_mc_apply_fields(rq, rs);
}

/* One operation of a batch, through the same routes (no auth, no limits, no
 * faults: the real service runs them internally); the batch worker calls it
 * through the pointer sb_mc_new hands it. */
static void exec_op(sb_mc *m, sb_mc_req *rq, sb_resp *rs)
{
	int ri = find(api_routes, NAPI, rq);
	sb_mc_count_arrival(m, rq, ri);
	run_route(m, rq, ri, rs);
}

/* The Mailchimp request for a network one; path is below /3.0 for the API. */
static void from_net(sb_mc *m, sb_req *sr, const char *path, sb_mc_req *rq)
{
	sb_mc_req_init(m, rq);
	rq->method = sr->method;
	rq->path = path;
	rq->body = sr->body.data;
	rq->body_len = sr->body.len;
	rq->net = sr;
	sb_base_url(sr, rq->base, sizeof(rq->base));
}

/* The in-flight count covers the whole handling, latency included, so a
 * client's real concurrency is what the limit sees. */
static void api(sb_mc *m, sb_req *sr, sb_resp *rs)
{
	sb_mc_req rq;
	from_net(m, sr, sr->url[4] ? sr->url + 4 : "/", &rq);
	int ri = find(api_routes, NAPI, &rq);
	sb_mc_count_arrival(m, &rq, ri);
	long n = atomic_fetch_add(&m->in_flight, 1) + 1;
	pthread_mutex_lock(&m->lock);
	sb_mc_knobs k = m->knobs;
	int over = n > k.max_connections;
	if (over)
		m->stats.throttled_429++;
	else if (n > m->stats.max_in_flight)
		m->stats.max_in_flight = n;
	pthread_mutex_unlock(&m->lock);
	if (over) {
		too_many(&rq, rs, k.max_connections);
		goto out;
	}
	if (k.latency_ms > 0)
		sb_sleep_ms(k.latency_ms);
	int fault;
	if (!auth_ok(m, sr)) {
		pthread_mutex_lock(&m->lock);
		m->stats.unauthorized_401++;
		pthread_mutex_unlock(&m->lock);
		sb_mc_problem(&rq, rs, 401, "API Key Invalid",
			      "Your API key may be invalid, or you've attempted to access the wrong "
			      "datacenter.");
	} else if ((fault = roll_fault(m, rq.method)) == 500) {
		sb_mc_problem(&rq, rs, 500, "Internal Server Error",
			      "An unexpected internal error has occurred. Please contact Support for "
			      "more information.");
	} else if (fault == 429) {
		too_many(&rq, rs, k.max_connections);
	} else {
		run_route(m, &rq, ri, rs);
	}
out:
	atomic_fetch_sub(&m->in_flight, 1);
}

static void admin(sb_mc *m, sb_req *sr, sb_resp *rs)
{
	sb_mc_req rq;
	from_net(m, sr, sr->url, &rq);
	int ri = find(admin_routes, NADMIN, &rq);
	if (ri == -404)
		sb_resp_error(rs, 404, "route '%s' not found", sr->url);
	else if (ri == -405)
		sb_resp_error(rs, 405, "method '%s' is not allowed on '%s'", sr->method, sr->url);
	else
		admin_routes[ri].fn(m, &rq, rs);
}

int sb_mc_handle(void *part, sb_req *rq, sb_resp *rs)
{
	sb_mc *m = part;
	const char *u = rq->url;
	if (!strncmp(u, "/3.0", 4) && (u[4] == '\0' || u[4] == '/'))
		api(m, rq, rs);
	else if (!strncmp(u, "/__mc/", 6) || !strncmp(u, "/__sandbox/mc/", 14))
		admin(m, rq, rs);
	else
		return 0;
	return 1;
}

/* ---- lifecycle ---- */

sb_mc *sb_mc_new(const sb_mc_opts *o)
{
	sb_mc *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	snprintf(m->api_key, sizeof(m->api_key), "%s", o->api_key);
	m->seed = o->seed;
	m->knobs = o->knobs;
	m->rng.s = sb_hash(o->seed, 0x3c4a1, 0); /* its own stream: Classy faults unchanged */
	pthread_mutex_init(&m->lock, NULL);
	for (size_t i = 0; i < NAPI; i++)
		m->route_names[i] = api_routes[i].name;
	m->nroutes = NAPI;
	if (sb_mc_store_init(&m->store, o->list_id, o->seed) ||
	    !(m->batches = sb_mc_batches_new(m, exec_op))) {
		sb_mc_free(m);
		return NULL;
	}
	return m;
}

void sb_mc_free(sb_mc *m)
{
	if (!m)
		return;
	sb_mc_batches_free(m->batches); /* joins the worker, which uses the store */
	sb_mc_store_release(&m->store);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
