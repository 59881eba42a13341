/* The Classy half's front door: its route table, the order in which the
 * policy applies to a request (count, latency, faults, rate limit, bearer
 * auth, then the handler, then maybe a truncated body), and the half's
 * lifecycle. It claims every request the Mailchimp half did not: a path no
 * route matches is its 404 or 405, counted like any other.
 *
 * Must never: hold state of its own (that is sb_policy.c, sb_oauth.c,
 * sb_data.c) or answer a request in a handler's place; the admin routes
 * under /__sandbox skip every rule (no auth, no limit, never faulted). */
#include "classy/sb_classy_int.h"

#include "core/sb_route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum route_flags {
	RF_API = 1,   /* /2.0: faults, rate limit, bearer auth */
	RF_TOKEN = 2, /* the token endpoint: counted, carries rate headers */
	RF_ADMIN = 4  /* /__sandbox: none of the above */
};

typedef struct route {
	sb_route_key key;
	sb_handler fn;
	int flags;
} route;

static const route routes[] = {
	{{"POST", "/oauth2/auth"}, sb_h_token, RF_TOKEN},
	{{"GET", "/2.0/organizations/*"}, sb_h_org, RF_API},
	{{"GET", "/2.0/organizations/*/*"}, sb_h_list, RF_API},
	{{"GET", "/__sandbox/dump"}, sb_h_dump, RF_ADMIN},
	{{"GET", "/__sandbox/stats"}, sb_h_stats, RF_ADMIN},
	{{"POST", "/__sandbox/reset-stats"}, sb_h_reset_stats, RF_ADMIN},
	{{"POST", "/__sandbox/mutate"}, sb_h_mutate, RF_ADMIN},
	{{"POST", "/__sandbox/set-amount"}, sb_h_set_amount, RF_ADMIN},
	{{"GET", "/__sandbox/knobs"}, sb_h_knobs, RF_ADMIN},
	{{"POST", "/__sandbox/knobs"}, sb_h_knobs, RF_ADMIN},
	{{"POST", "/__sandbox/expire-tokens"}, sb_h_expire_tokens, RF_ADMIN},
	{{"POST", "/__sandbox/set-credentials"}, sb_h_set_credentials, RF_ADMIN},
	{{"POST", "/__sandbox/webhook"}, sb_h_webhook_post, RF_ADMIN},
	{{"GET", "/__sandbox/webhook"}, sb_h_webhook_get, RF_ADMIN},
	{{"POST", "/__sandbox/webhook/fail"}, sb_h_webhook_fail, RF_ADMIN},
	{{"POST", "/__sandbox/webhook/reset"}, sb_h_webhook_reset, RF_ADMIN},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Unknown paths under /2.0 still go through auth and the rate limit, as
 * they would on the real API. */
static int unrouted_flags(const char *url)
{
	if (!strncmp(url, "/2.0/", 5))
		return RF_API;
	return !strncmp(url, "/__sandbox/", 11) ? RF_ADMIN : 0;
}

/* Faults, the rate limit and bearer auth, in that order. Returns 1 when rs
 * already holds the answer (or the connection is to be dropped). */
static int api_gate(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	int fault = sb_policy_roll_fault(&c->policy);
	if (fault == SB_FAULT_DROP) {
		rs->mode = SB_RESP_DROP;
		return 1;
	}
	if (fault) {
		sb_policy_rate_limit(&c->policy, 0, rs);
		sb_policy_inject(rs, fault);
		return 1;
	}
	if (sb_policy_rate_limit(&c->policy, 1, rs))
		return 1;
	if (!sb_oauth_check(c->oauth, sb_header(rq, "Authorization"))) {
		sb_resp_json(rs, 401,
			     "{\"error\":\"access_denied\",\"message\":\"The resource owner "
			     "or authorization server denied the request.\",\"hint\":"
			     "\"Access token is missing, invalid, expired or revoked\"}");
		return 1;
	}
	return 0;
}

int sb_classy_handle(void *part, sb_req *rq, sb_resp *rs)
{
	sb_classy *c = part;
	int ri = sb_route_find(routes, NROUTES, sizeof(routes[0]), rq->method, rq->url, rq->params,
			       rq->pbuf, sizeof(rq->pbuf));
	int flags = ri >= 0 ? routes[ri].flags : unrouted_flags(rq->url);
	if (!(flags & RF_ADMIN)) {
		sb_policy_count_request(&c->policy, rq->url, flags & RF_TOKEN);
		sb_knobs k;
		sb_policy_knobs(&c->policy, &k);
		if (k.latency_ms > 0)
			sb_sleep_ms(k.latency_ms);
	}
	if (flags & RF_API) {
		if (api_gate(c, rq, rs))
			return 1;
	} else if (flags & RF_TOKEN) {
		sb_policy_rate_limit(&c->policy, 0, rs);
	}
	if (ri == -404)
		sb_resp_error(rs, 404, "route '%s' not found", rq->url);
	else if (ri == -405)
		sb_resp_error(rs, 405, "method '%s' is not allowed on '%s'", rq->method, rq->url);
	else
		routes[ri].fn(c, rq, rs);
	if ((flags & RF_API) && rs->status == 200 && !rs->stream)
		sb_policy_roll_truncate(&c->policy, rs);
	return 1;
}

/* ---- lifecycle ---- */

sb_classy *sb_classy_new(const sb_classy_opts *o, char *msg, size_t msglen)
{
	const char *why = "out of memory starting the server";
	sb_classy *c = calloc(1, sizeof(*c));
	if (!c)
		goto out_fail;
	sb_schema_init();
	sb_policy_init(&c->policy, &o->knobs, o->gen.seed);
	if (sb_data_init(&c->data, &o->gen)) {
		why = "cannot generate sandbox data: out of memory; lower the record counts";
		goto out_fail;
	}
	c->oauth = sb_oauth_new(o->client_id, o->client_secret, o->gen.seed);
	if (!c->oauth)
		goto out_fail;
	return c;
out_fail:
	snprintf(msg, msglen, "%s", why);
	sb_classy_free(c);
	return NULL;
}

void sb_classy_free(sb_classy *c)
{
	if (!c)
		return;
	sb_webhook_release();
	sb_oauth_free(c->oauth);
	sb_data_release(&c->data);
	sb_policy_release(&c->policy);
	free(c);
}
