/* /__sandbox/ endpoints for tests and benchmarks: the dump of every record
 * (streamed), the stats, mutation on demand, the knobs, token expiry and
 * the client secret. No auth, no rate limit, never faulted.
 *
 * Must never: count toward the API's stats or change a record other than
 * through sb_data_mutate; the dump holds the data lock only for its copy. */
#include "classy/sb_classy_int.h"

#include <microhttpd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- GET /__sandbox/dump?org=ID&entity=NAME ---- */

/* The dump streams from a snapshot of the records, rendered in batches, so
 * a million transactions never sit in memory as text and the data lock is
 * held only for the copy. */
typedef struct dump {
	uint64_t seed;
	int64_t org;
	const sb_entity *e;
	sb_rec *recs;
	size_t n, next;
	cs_buf pend;
	size_t off;
	int opened, closed;
	sb_w w;
} dump;

static void dump_fill(dump *dp, size_t want)
{
	if (dp->off == dp->pend.len) {
		cs_buf_reset(&dp->pend);
		dp->off = 0;
	}
	sb_w_init(&dp->w, &dp->pend);
	if (!dp->opened)
		sb_w_put(&dp->w, "[", 1);
	dp->opened = 1;
	while (dp->next < dp->n && dp->pend.len + dp->w.len - dp->off < want) {
		if (dp->next)
			sb_w_put(&dp->w, ",", 1);
		sb_render_rec(dp->seed, dp->org, dp->e, &dp->recs[dp->next++], NULL, &dp->w);
	}
	if (dp->next == dp->n && !dp->closed) {
		sb_w_put(&dp->w, "]", 1);
		dp->closed = 1;
	}
	sb_w_flush(&dp->w);
}

static ssize_t dump_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	dump *dp = cls;
	(void)pos;
	if (dp->pend.len - dp->off < max && !dp->closed)
		dump_fill(dp, max);
	size_t avail = dp->pend.len - dp->off;
	if (avail == 0)
		return dp->closed ? MHD_CONTENT_READER_END_OF_STREAM
				  : MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = avail < max ? avail : max;
	memcpy(buf, dp->pend.data + dp->off, n);
	dp->off += n;
	return (ssize_t)n;
}

static void dump_free(void *cls)
{
	dump *dp = cls;
	if (!dp)
		return;
	cs_buf_release(&dp->pend);
	free(dp->recs);
	free(dp);
}

/* Resolves ?org= and ?entity=; answers the error itself when one is bad. */
static int org_entity(sb_classy *c, sb_req *rq, sb_resp *rs, sb_org **o, int *ent)
{
	const char *org = sb_arg(rq, "org"), *entity = sb_arg(rq, "entity");
	*ent = sb_entity_find(entity);
	if (*ent < 0) {
		sb_resp_error(rs, 400,
			      "unknown entity '%s': use supporters, transactions, campaigns or "
			      "recurring-donation-plans",
			      entity ? entity : "");
		return -1;
	}
	*o = org ? sb_data_org(&c->data, strtoll(org, NULL, 10)) : NULL;
	if (!*o) {
		sb_resp_error(rs, 404, "organization '%s' not found: pass ?org= with a sandbox org id",
			      org ? org : "");
		return -1;
	}
	return 0;
}

void sb_h_dump(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	sb_org *o;
	int ent;
	if (org_entity(c, rq, rs, &o, &ent))
		return;
	sb_data *d = &c->data;
	dump *dp = calloc(1, sizeof(*dp));
	if (!dp)
		goto oom;
	cs_buf_init(&dp->pend, 0);
	pthread_rwlock_rdlock(&d->lock);
	const sb_table *t = &o->t[ent];
	dp->recs = malloc((t->n + 1) * sizeof(sb_rec));
	if (dp->recs)
		memcpy(dp->recs, t->recs, t->n * sizeof(sb_rec));
	dp->n = t->n;
	pthread_rwlock_unlock(&d->lock);
	if (!dp->recs)
		goto oom;
	dp->seed = d->seed;
	dp->org = o->id;
	dp->e = &sb_entities[ent];
	rs->stream = dump_read;
	rs->stream_cls = dp;
	rs->stream_free = dump_free;
	return;
oom:
	dump_free(dp);
	sb_resp_error(rs, 500, "out of memory copying %s for the dump", sb_entities[ent].name);
}

/* ---- stats, mutation ---- */

void sb_h_stats(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	(void)rq;
	sb_policy_stats(&c->policy, &rs->body);
}

void sb_h_reset_stats(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	(void)rq;
	sb_policy_reset_stats(&c->policy);
	sb_resp_json(rs, 200, "{\"ok\":true}");
}

typedef struct mutate_args {
	long update, create;
} mutate_args;

static const sb_opt mutate_defs[] = {
	{"update", SB_OPT_LONG, offsetof(mutate_args, update), 0, 100000},
	{"create", SB_OPT_LONG, offsetof(mutate_args, create), 0, 100000},
};

/* What the routes that change records share: ?org= and ?entity=, their
 * own numbers (defs into args), and the clock skew the change is stamped
 * with. -1 when rs already holds the error. */
static int change_args(sb_classy *c, sb_req *rq, sb_resp *rs, const sb_opt *defs, size_t n,
		       void *args, sb_org **o, int *ent, long *skew)
{
	if (org_entity(c, rq, rs, o, ent) || sb_resp_opts(rs, defs, n, args, sb_req_arg, rq))
		return -1;
	sb_knobs k;
	sb_policy_knobs(&c->policy, &k);
	*skew = k.clock_skew;
	return 0;
}

void sb_h_mutate(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	sb_org *o;
	int ent;
	long skew;
	mutate_args a = {0, 0};
	if (change_args(c, rq, rs, mutate_defs, SB_NOPTS(mutate_defs), &a, &o, &ent, &skew))
		return;
	sb_data *d = &c->data;
	pthread_rwlock_wrlock(&d->lock);
	int rc = sb_data_mutate(d, o, ent, a.update, a.create, 0, skew, &rs->body);
	pthread_rwlock_unlock(&d->lock);
	if (rc)
		sb_resp_error(rs, 500, "cannot mutate %s: out of memory", sb_entities[ent].name);
}

/* POST /__sandbox/set-amount?org=ID&entity=E&id=N&cents=C: one record's
 * amount, changed like an update (tests of absurd amounts). */
typedef struct amount_args {
	long id, cents;
} amount_args;

static const sb_opt amount_defs[] = {
	{"id", SB_OPT_LONG, offsetof(amount_args, id), 1, INT64_MAX},
	{"cents", SB_OPT_LONG, offsetof(amount_args, cents), 0, INT64_MAX},
};

void sb_h_set_amount(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	sb_org *o;
	int ent;
	long skew;
	amount_args a = {0, 0};
	if (change_args(c, rq, rs, amount_defs, SB_NOPTS(amount_defs), &a, &o, &ent, &skew))
		return;
	sb_data *d = &c->data;
	pthread_rwlock_wrlock(&d->lock);
	int rc = sb_data_set_amount(d, o, ent, a.id, a.cents, skew);
	pthread_rwlock_unlock(&d->lock);
	if (rc)
		sb_resp_error(rs, 404, "no %s with id %ld in organization %lld", sb_entities[ent].name,
			      a.id, (long long)o->id);
	else
		sb_resp_json(rs, 200, "{\"ok\":true}");
}

/* ---- knobs ---- */

/* Validated in this order; the answer lists them in put_knobs' order. */
#define K(n, t, lo, hi) {#n, SB_OPT_##t, offsetof(sb_knobs, n), lo, hi}
static const sb_opt knob_defs[] = {
	K(fail_rate, RATE, 0, 0),
	K(drop_rate, RATE, 0, 0),
	K(truncate_rate, RATE, 0, 0),
	K(throttle_rate, RATE, 0, 0),
	K(mutate_ties, LONG, 0, 1),
	K(rate_limit, LONG, 0, 100000000),
	K(latency_ms, LONG, 0, 600000),
	K(token_ttl, LONG, 1, 100000000),
	K(mutate_every, LONG, 0, 100000000),
	K(token_echo, LONG, 0, 1),
	K(token_inject, LONG, 0, 1),
	K(ignore_filters, LONG, 0, 1),
	K(ignore_page, LONG, 0, 1),
	K(clock_skew, LONG, 0, 315360000),
	K(bad_id_every, LONG, 0, 100000000),
};
#undef K

static void put_knobs(cs_buf *b, const sb_knobs *k)
{
	cs_buf_printf(b,
		      "{\"fail_rate\":%g,\"drop_rate\":%g,\"truncate_rate\":%g,\"throttle_rate\":%g,"
		      "\"rate_limit\":%ld,\"latency_ms\":%ld,\"token_ttl\":%ld,\"mutate_every\":%ld,"
		      "\"mutate_ties\":%ld,\"token_echo\":%ld,\"token_inject\":%ld,"
		      "\"ignore_filters\":%ld,\"ignore_page\":%ld,"
		      "\"clock_skew\":%ld,\"bad_id_every\":%ld}",
		      k->fail_rate, k->drop_rate, k->truncate_rate, k->throttle_rate, k->rate_limit,
		      k->latency_ms, k->token_ttl, k->mutate_every, k->mutate_ties, k->token_echo,
		      k->token_inject, k->ignore_filters, k->ignore_page, k->clock_skew,
		      k->bad_id_every);
}

void sb_h_knobs(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	sb_knobs k;
	sb_policy_knobs(&c->policy, &k);
	if (!strcmp(rq->method, "POST")) {
		/* Validate everything (into the copy) before changing anything. */
		if (sb_resp_opts(rs, knob_defs, SB_NOPTS(knob_defs), &k, sb_req_arg, rq))
			return;
		sb_policy_set_knobs(&c->policy, &k);
	}
	put_knobs(&rs->body, &k);
}

/* ---- credentials ---- */

void sb_h_expire_tokens(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	(void)rq;
	sb_oauth_expire_all(c->oauth);
	sb_resp_json(rs, 200, "{\"ok\":true}");
}

void sb_h_set_credentials(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	const char *secret = sb_arg(rq, "client_secret");
	if (!secret || sb_oauth_set_secret(c->oauth, secret)) {
		sb_resp_error(rs, 400, "missing or too long 'client_secret': pass "
				       "?client_secret=S (under 128 bytes)");
		return;
	}
	sb_resp_json(rs, 200, "{\"ok\":true}");
}
