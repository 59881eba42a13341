/* The Classy endpoints: GET /2.0/organizations/{id} and the four list
 * endpoints under it, answered with the Laravel-style PaginatedResponse
 * envelope the real API uses; every --mutate-every lists, a few records
 * change under the client.
 *
 * Must never: apply auth, limits or faults (sb_classy.c does, before a
 * handler runs); it reads records only under the data lock and changes
 * them only through sb_data_mutate. */
#include "classy/sb_classy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Records changed per --mutate-every trigger. */
#define AUTO_UPDATE 3
#define AUTO_CREATE 2

static sb_org *find_org(sb_classy *c, const char *param, sb_resp *rs)
{
	char *end;
	long long id = strtoll(param, &end, 10);
	sb_org *o = *end || end == param ? NULL : sb_data_org(&c->data, id);
	if (!o)
		sb_resp_error(rs, 404, "Organization '%s' not found", param);
	return o;
}

void sb_h_org(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	sb_data *d = &c->data;
	sb_org *o = find_org(c, rq->params[0], rs);
	if (!o)
		return;
	pthread_rwlock_rdlock(&d->lock);
	sb_render_org(o, d->seed, &rs->body);
	pthread_rwlock_unlock(&d->lock);
}

/* ---- envelope ---- */

typedef struct page_info {
	const char *path; /* absolute URL of the collection */
	long page, per_page, last;
} page_info;

static void put_page_url(cs_buf *b, const page_info *p, long page)
{
	if (page < 1 || page > p->last) {
		cs_buf_puts(b, "null");
		return;
	}
	cs_buf_printf(b, "\"%s?page=%ld\"", p->path, page);
}

static void put_link(cs_buf *b, const page_info *p, long page, const char *label, int *first)
{
	cs_buf_puts(b, *first ? "{\"url\":" : ",{\"url\":");
	*first = 0;
	put_page_url(b, p, page);
	cs_buf_puts(b, ",\"label\":");
	if (label)
		cs_buf_printf(b, "\"%s\"", label);
	else
		cs_buf_printf(b, "\"%ld\"", page);
	cs_buf_printf(b, ",\"active\":%s}", !label && page == p->page ? "true" : "false");
}

static void put_range(cs_buf *b, const page_info *p, long from, long to, int *first)
{
	for (long i = from < 1 ? 1 : from; i <= to && i <= p->last; i++)
		put_link(b, p, i, NULL, first);
}

/* Laravel's UrlWindow with onEachSide = 3: all pages when there are few,
 * else the ends plus a slider around the current page, split by "...". */
static void put_links(cs_buf *b, const page_info *p)
{
	long cur = p->page, last = p->last, win = 7;
	int first = 1;
	cs_buf_puts(b, "[");
	put_link(b, p, cur - 1, "&laquo; Previous", &first);
	if (last < 14) {
		put_range(b, p, 1, last, &first);
	} else if (cur <= win) {
		put_range(b, p, 1, win + 3, &first);
		put_link(b, p, 0, "...", &first);
		put_range(b, p, last - 1, last, &first);
	} else if (cur > last - win) {
		put_range(b, p, 1, 2, &first);
		put_link(b, p, 0, "...", &first);
		put_range(b, p, last - (win + 2), last, &first);
	} else {
		put_range(b, p, 1, 2, &first);
		put_link(b, p, 0, "...", &first);
		put_range(b, p, cur - 3, cur + 3, &first);
		put_link(b, p, 0, "...", &first);
		put_range(b, p, last - 1, last, &first);
	}
	put_link(b, p, cur + 1, "Next &raquo;", &first);
	cs_buf_puts(b, "]");
}

static void put_envelope_tail(cs_buf *b, const page_info *p, size_t nidx, size_t total)
{
	long from = (p->page - 1) * p->per_page + 1;
	cs_buf_puts(b, ",\"first_page_url\":");
	put_page_url(b, p, 1);
	if (nidx)
		cs_buf_printf(b, ",\"from\":%ld", from);
	else
		cs_buf_puts(b, ",\"from\":null");
	cs_buf_printf(b, ",\"last_page\":%ld,\"last_page_url\":", p->last);
	put_page_url(b, p, p->last);
	cs_buf_puts(b, ",\"links\":");
	put_links(b, p);
	cs_buf_puts(b, ",\"next_page_url\":");
	put_page_url(b, p, p->page < p->last ? p->page + 1 : 0);
	cs_buf_printf(b, ",\"path\":\"%s\",\"per_page\":%ld,\"prev_page_url\":", p->path,
		      p->per_page);
	put_page_url(b, p, p->page - 1);
	if (nidx)
		cs_buf_printf(b, ",\"to\":%ld", from + (long)nidx - 1);
	else
		cs_buf_puts(b, ",\"to\":null");
	cs_buf_printf(b, ",\"total\":%zu}", total);
}

/* Runs the query and renders the page, named `shown` in the envelope, each
 * record whose id is a multiple of bad_id (when not 0) with its id negated;
 * the caller holds the read lock. */
static void render_page(sb_data *d, sb_org *o, int ent, const sb_query *q, long shown,
			long bad_id, const char *path, sb_resp *rs)
{
	const sb_entity *e = &sb_entities[ent];
	uint32_t idx[100];
	size_t nidx, total;
	if (sb_query_run(d->seed, o->id, e, &o->t[ent], q, idx, &nidx, &total)) {
		sb_resp_error(rs, 500, "out of memory sorting %s", e->name);
		return;
	}
	page_info p = {path, shown, q->per_page, (long)((total + (size_t)q->per_page - 1) /
							   (size_t)q->per_page)};
	if (p.last < 1)
		p.last = 1;
	sb_w *w = malloc(sizeof(*w));
	if (!w) {
		sb_resp_error(rs, 500, "out of memory rendering %s", e->name);
		return;
	}
	cs_buf_printf(&rs->body, "{\"current_page\":%ld,\"data\":[", shown);
	sb_w_init(w, &rs->body);
	for (size_t i = 0; i < nidx; i++) {
		if (i)
			sb_w_put(w, ",", 1);
		sb_rec r = o->t[ent].recs[idx[i]];
		if (bad_id > 0 && r.id % bad_id == 0)
			r.id = -r.id;
		sb_render_rec(d->seed, o->id, e, &r, q->has_mask ? q->mask : NULL, w);
	}
	sb_w_put(w, "]", 1);
	int err = sb_w_flush(w);
	free(w);
	if (err) {
		sb_resp_error(rs, 500, "response for %s is too large", e->name);
		return;
	}
	put_envelope_tail(&rs->body, &p, nidx, total);
}

static void maybe_mutate(sb_classy *c, sb_org *o, int ent)
{
	sb_knobs k;
	sb_policy_knobs(&c->policy, &k);
	if (k.mutate_every <= 0)
		return;
	unsigned long n = atomic_fetch_add(&o->t[ent].lists, 1) + 1;
	if (n % (unsigned long)k.mutate_every)
		return;
	sb_data *d = &c->data;
	pthread_rwlock_wrlock(&d->lock);
	sb_data_mutate(d, o, ent, AUTO_UPDATE, AUTO_CREATE, (int)k.mutate_ties, k.clock_skew, NULL);
	pthread_rwlock_unlock(&d->lock);
}

void sb_h_list(sb_classy *c, sb_req *rq, sb_resp *rs)
{
	int ent = sb_entity_find(rq->params[1]);
	if (ent < 0) {
		sb_resp_error(rs, 404, "route '%s' not found", rq->url);
		return;
	}
	sb_org *o = find_org(c, rq->params[0], rs);
	if (!o)
		return;
	sb_query q;
	char msg[512];
	if (sb_query_parse(&sb_entities[ent], sb_req_arg, rq, &q, msg, sizeof(msg))) {
		sb_resp_error(rs, 400, "%s", msg);
		return;
	}
	sb_knobs k;
	sb_policy_knobs(&c->policy, &k);
	long shown = q.page;
	sb_query_loosen(&q, (int)k.ignore_filters, (int)k.ignore_page);
	sb_policy_count_list(&c->policy);
	char base[256], path[400];
	sb_base_url(rq, base, sizeof(base));
	snprintf(path, sizeof(path), "%s/2.0/organizations/%lld/%s", base, (long long)o->id,
		 sb_entities[ent].name);
	sb_data *d = &c->data;
	pthread_rwlock_rdlock(&d->lock);
	render_page(d, o, ent, &q, shown, k.bad_id_every, path, rs);
	pthread_rwlock_unlock(&d->lock);
	maybe_mutate(c, o, ent);
}
