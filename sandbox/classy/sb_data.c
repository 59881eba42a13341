/* Deterministic data generation and live mutation.
 *
 * Ids grow with creation time, so each table's record array is also its id
 * index. by_upd orders the same records by (updated_at, id); mutations move
 * entries to its tail. Every random choice comes from an sb_rng seeded from
 * --seed, so two runs with the same flags serve byte-identical data.
 *
 * Must never: take the data lock itself (callers hold it), render, or store
 * a field that sb_render.c can derive from the record's hash. */
#include "classy/sb_model.h"

#include "util/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define YEARS3 (3 * 365 * 86400LL)
#define ORPHAN_BASE 4000000LL /* supporter ids below every real supporter id */

static const int64_t id_base[SB_NENT] = {
	[SB_SUPPORTERS] = 5000000, [SB_TRANSACTIONS] = 30000000,
	[SB_CAMPAIGNS] = 227000, [SB_PLANS] = 850000};

/* Weighted choice: w lists percentages that sum to 100. */
static int weighted(sb_rng *r, const uint8_t *w, int n)
{
	int x = (int)sb_rng_below(r, 100);
	for (int i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return 0;
}

static const uint8_t tx_status_w[] = {85, 5, 4, 3, 1, 2};
static const uint8_t plan_status_w[] = {60, 20, 8, 7, 3, 2};
static const uint8_t campaign_status_w[] = {70, 10, 10, 10};
/* one-time, monthly, yearly, quarterly, weekly, daily, bi-weekly, semi-annual, bi-monthly */
static const uint8_t freq_w[] = {0, 70, 8, 6, 5, 2, 4, 3, 2};

static int64_t gift_cents(sb_rng *r)
{
	static const int64_t common[] = {500, 1000, 1500, 2000, 2500, 5000, 7500,
					 10000, 15000, 25000, 50000, 100000};
	uint64_t x = sb_rng_below(r, 100);
	if (x < 2)
		return 10;
	if (x < 3)
		return 123456;
	if (x < 13)
		return 100 + (int64_t)sb_rng_below(r, 200000);
	return common[sb_rng_below(r, sizeof(common) / sizeof(common[0]))];
}

static int table_reserve(sb_table *t, size_t need)
{
	if (need <= t->cap)
		return 0;
	size_t cap = t->cap ? t->cap + t->cap / 2 : 64;
	if (cap < need)
		cap = need;
	sb_rec *r = realloc(t->recs, cap * sizeof(*r));
	if (!r)
		return -1;
	t->recs = r;
	uint32_t *u = realloc(t->by_upd, cap * sizeof(*u));
	if (!u)
		return -1;
	t->by_upd = u;
	t->cap = cap;
	return 0;
}

/* A random existing record of table t among the first `upto` (>= 1). */
static const sb_rec *some(const sb_table *t, sb_rng *r, size_t upto)
{
	if (!t->n)
		return NULL;
	if (upto == 0 || upto > t->n)
		upto = t->n;
	return &t->recs[sb_rng_below(r, upto)];
}

/* Links a new record to others of its org. `pos` in [0,1] is how far
 * through the timeline it was created: it only references records that
 * existed by then. */
static void link_rec(sb_org *o, int ent, sb_rec *x, sb_rng *r, double pos)
{
	sb_table *sup = &o->t[SB_SUPPORTERS], *plans = &o->t[SB_PLANS];
	const sb_rec *c = some(&o->t[SB_CAMPAIGNS], r, 0);
	size_t sup_upto = (size_t)(pos * (double)sup->n) + 1;
	x->campaign_id = c ? c->id : 0;
	if (ent == SB_SUPPORTERS) {
		if (sb_rng_below(r, 100) < 20)
			x->campaign_id = 0;
	} else if (ent == SB_PLANS) {
		const sb_rec *s = some(sup, r, sup_upto);
		x->supporter_id = s ? s->id : 0;
		x->amount = gift_cents(r);
		x->freq = (uint8_t)weighted(r, freq_w, 9);
		x->status = (uint8_t)weighted(r, plan_status_w, 6);
	} else if (ent == SB_TRANSACTIONS) {
		const sb_rec *p = sb_rng_below(r, 100) < 25
					  ? some(plans, r, (size_t)(pos * (double)plans->n) + 1)
					  : NULL;
		const sb_rec *s = some(sup, r, sup_upto);
		x->status = (uint8_t)weighted(r, tx_status_w, 6);
		x->supporter_id = p ? p->supporter_id : s ? s->id : 0;
		x->campaign_id = p ? p->campaign_id : x->campaign_id;
		x->plan_id = p ? p->id : 0;
		x->amount = p ? p->amount : gift_cents(r);
		x->freq = p ? p->freq : SB_FREQ_ONE_TIME;
	} else {
		x->status = (uint8_t)weighted(r, campaign_status_w, 4);
	}
}

static uint8_t pick_form(sb_rng *r)
{
	uint64_t x = sb_rng_below(r, 10); /* half Z, 30% +0000, 20% .000Z */
	return x < 5 ? 0 : x < 8 ? 1 : 2;
}

static int cmp_upd(const void *a, const void *b, void *ctx)
{
	const sb_rec *rs = ctx, *x = &rs[*(const uint32_t *)a], *y = &rs[*(const uint32_t *)b];
	if (x->updated != y->updated)
		return x->updated < y->updated ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

static void build_index(sb_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		t->by_upd[i] = (uint32_t)i;
	if (t->n) /* an empty table (--plans 0) has no array: qsort must not see NULL */
		qsort_r(t->by_upd, t->n, sizeof(uint32_t), cmp_upd, t->recs);
}

/* Picks k of the first m records uniformly (selection sampling) and calls
 * fn on each; no extra memory, order follows ids. */
static void sample(sb_table *t, size_t m, long k, sb_rng *r,
		   void (*fn)(sb_rec *, void *), void *ctx)
{
	for (size_t i = 0; i < m && k > 0; i++)
		if (sb_rng_below(r, m - i) < (uint64_t)k) {
			fn(&t->recs[i], ctx);
			k--;
		}
}

static void make_tie(sb_rec *x, void *ctx)
{
	x->updated = *(const int64_t *)ctx;
}

static void make_orphan(sb_rec *x, void *ctx)
{
	int64_t *next = ctx;
	x->supporter_id = (*next)++;
	x->plan_id = 0;
	x->freq = SB_FREQ_ONE_TIME;
}

static int gen_table(sb_data *d, sb_org *o, int oi, int ent, long n, int64_t start,
		     int64_t end)
{
	sb_table *t = &o->t[ent];
	sb_rng r = {sb_hash(d->seed, (uint64_t)ent, (uint64_t)oi)};
	if (table_reserve(t, (size_t)n))
		return -1;
	for (long i = 0; i < n; i++) {
		sb_rec *x = &t->recs[t->n++];
		memset(x, 0, sizeof(*x));
		x->id = d->next_id[ent]++;
		double pos = ((double)i + sb_rng_unit(&r)) / (double)n;
		x->created = start + (int64_t)(pos * (double)(end - start));
		double u = sb_rng_unit(&r);
		x->updated = x->created;
		if (sb_rng_below(&r, 100) >= 40)
			x->updated += (int64_t)(u * u * u * (double)(end - x->created));
		x->form = pick_form(&r);
		link_rec(o, ent, x, &r, pos);
	}
	return 0;
}

/* Records of the first org sharing one updated_at second, so a client must
 * cope with more than a page of ties. */
static void gen_ties(sb_data *d, sb_org *o, long ties)
{
	int ents[] = {SB_SUPPORTERS, SB_TRANSACTIONS};
	for (int e = 0; e < 2; e++) {
		sb_table *t = &o->t[ents[e]];
		sb_rng r = {sb_hash(d->seed, 0x7135, (uint64_t)e)};
		size_t m = 0;
		while (m < t->n && t->recs[m].created <= d->tie_second)
			m++;
		sample(t, m, ties, &r, make_tie, &d->tie_second);
	}
}

static int gen_org(sb_data *d, sb_org *o, int oi, const sb_gen_opts *opt, int64_t now)
{
	static const int order[] = {SB_CAMPAIGNS, SB_SUPPORTERS, SB_PLANS, SB_TRANSACTIONS};
	int64_t end = now - 300, start = now - YEARS3;
	o->id = 1001 + oi;
	o->created = start - 86400 * 30;
	o->updated = start + (end - start) / 2;
	for (int i = 0; i < SB_NENT; i++)
		if (gen_table(d, o, oi, order[i], opt->count[order[i]], start, end))
			return -1;
	if (oi == 0)
		gen_ties(d, o, opt->ties);
	sb_rng r = {sb_hash(d->seed, 0x0e9a, (uint64_t)oi)};
	int64_t next_orphan = ORPHAN_BASE + oi * 100000LL;
	sb_table *tx = &o->t[SB_TRANSACTIONS];
	sample(tx, tx->n, opt->orphans, &r, make_orphan, &next_orphan);
	for (int i = 0; i < SB_NENT; i++)
		build_index(&o->t[i]);
	return 0;
}

int sb_data_init(sb_data *d, const sb_gen_opts *o)
{
	memset(d, 0, sizeof(*d));
	/* Readers arrive back to back while a client pages; without writer
	 * preference a --mutate-every writer could wait forever. */
	pthread_rwlockattr_t attr;
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&d->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	d->seed = o->seed;
	d->rng.s = sb_hash(o->seed, 0x3a7e, 0);
	memcpy(d->next_id, id_base, sizeof(id_base));
	for (int i = 0; o->id_base && i < SB_NENT; i++)
		d->next_id[i] = o->id_base; /* --id-base: ids past 2^53 for clients to keep */
	int64_t now = o->now;
	d->tie_second = now - YEARS3 + YEARS3 * 7 / 10;
	d->orgs = calloc((size_t)o->orgs, sizeof(*d->orgs));
	if (!d->orgs)
		return -1;
	d->norgs = (size_t)o->orgs;
	for (int i = 0; i < o->orgs; i++)
		if (gen_org(d, &d->orgs[i], i, o, now))
			return -1;
	return 0;
}

void sb_data_release(sb_data *d)
{
	for (size_t i = 0; i < d->norgs; i++)
		for (int e = 0; e < SB_NENT; e++) {
			free(d->orgs[i].t[e].recs);
			free(d->orgs[i].t[e].by_upd);
		}
	free(d->orgs);
	d->orgs = NULL;
	d->norgs = 0;
	pthread_rwlock_destroy(&d->lock);
}

sb_org *sb_data_org(sb_data *d, int64_t id)
{
	if (id < 1001 || id - 1001 >= (int64_t)d->norgs)
		return NULL;
	return &d->orgs[id - 1001];
}

/* ---- mutation ---- */

/* Position among the first n entries of by_upd where (updated, id) belongs. */
static size_t upd_lower_bound(const sb_table *t, size_t n, int64_t updated, int64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const sb_rec *x = &t->recs[t->by_upd[mid]];
		if (x->updated < updated || (x->updated == updated && x->id < id))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Inserts record index ri into by_upd, which holds n entries. */
static void upd_insert(sb_table *t, size_t n, uint32_t ri)
{
	size_t at = upd_lower_bound(t, n, t->recs[ri].updated, t->recs[ri].id);
	memmove(t->by_upd + at + 1, t->by_upd + at, (n - at) * sizeof(uint32_t));
	t->by_upd[at] = ri;
}

static void touch(sb_rec *x, int ent, sb_rng *r, int64_t now)
{
	x->version++;
	x->updated = now;
	uint64_t roll = sb_rng_below(r, 100);
	if (ent == SB_TRANSACTIONS && x->status == SB_TX_SUCCESS && roll < 30)
		x->status = SB_TX_REFUNDED;
	else if (ent == SB_PLANS && x->status == SB_PLAN_ACTIVE && roll < 30)
		x->status = SB_PLAN_CANCELED;
	else if (ent == SB_CAMPAIGNS && roll < 20)
		x->status = x->status ? 0 : 1;
}

static void put_ids(cs_buf *out, const char *key, const int64_t *ids, long n)
{
	cs_buf_printf(out, ",\"%s\":[", key);
	for (long i = 0; i < n; i++)
		cs_buf_printf(out, "%s%lld", i ? "," : "", (long long)ids[i]);
	cs_buf_puts(out, "]");
}

/* Updates records that sort early (the oldest updated_at), so a client
 * walking pages naively sees every later record shift back and skips some;
 * or, with ties, members of the tie group. */
static long mutate_updates(sb_data *d, sb_table *t, int ent, long k, int64_t now, int ties,
			   int64_t *ids, uint32_t *moved)
{
	size_t from = 0, window = (size_t)(k * 4 > 20 ? k * 4 : 20);
	if (ties) {
		from = upd_lower_bound(t, t->n, d->tie_second, INT64_MIN);
		window = upd_lower_bound(t, t->n, d->tie_second + 1, INT64_MIN) - from;
	}
	if (window > t->n - from)
		window = t->n - from;
	if (k > (long)window)
		k = (long)window;
	long nm = 0;
	size_t w = 0;
	for (size_t i = 0; i < t->n; i++) {
		uint32_t ri = t->by_upd[i];
		size_t at = i - from;
		if (i >= from && at < window && nm < k &&
		    sb_rng_below(&d->rng, window - at) < (uint64_t)(k - nm)) {
			moved[nm++] = ri;
			continue;
		}
		t->by_upd[w++] = ri;
	}
	/* by_upd now holds w entries; re-insert the moved ones at the tail. */
	for (long i = 0; i < nm; i++) {
		sb_rec *x = &t->recs[moved[i]];
		touch(x, ent, &d->rng, now);
		ids[i] = x->id;
		upd_insert(t, w++, moved[i]);
	}
	return nm;
}

static long mutate_creates(sb_data *d, sb_org *o, int ent, long k, int64_t now, int64_t *ids)
{
	sb_table *t = &o->t[ent];
	if (table_reserve(t, t->n + (size_t)k))
		return -1;
	for (long i = 0; i < k; i++) {
		sb_rec *x = &t->recs[t->n];
		memset(x, 0, sizeof(*x));
		x->id = d->next_id[ent]++;
		x->created = x->updated = now;
		x->form = pick_form(&d->rng);
		link_rec(o, ent, x, &d->rng, 1.0);
		if (ent == SB_TRANSACTIONS)
			x->status = SB_TX_SUCCESS;
		if (ent == SB_PLANS)
			x->status = SB_PLAN_ACTIVE;
		ids[i] = x->id;
		upd_insert(t, t->n, (uint32_t)t->n);
		t->n++;
	}
	return k;
}

int sb_data_set_amount(sb_data *d, sb_org *o, int ent, int64_t id, int64_t cents, int64_t skew)
{
	(void)d;
	sb_table *t = &o->t[ent];
	size_t lo = 0, hi = t->n; /* recs are sorted by id */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->recs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == t->n || t->recs[lo].id != id)
		return -1;
	size_t at = 0;
	while (t->by_upd[at] != (uint32_t)lo)
		at++;
	memmove(t->by_upd + at, t->by_upd + at + 1, (t->n - at - 1) * sizeof(uint32_t));
	sb_rec *x = &t->recs[lo];
	x->amount = cents;
	x->version++;
	x->updated = (int64_t)time(NULL) - skew;
	upd_insert(t, t->n - 1, (uint32_t)lo);
	return 0;
}

int sb_data_mutate(sb_data *d, sb_org *o, int ent, long update, long create, int ties,
		   int64_t skew, cs_buf *out)
{
	int64_t now = (int64_t)time(NULL) - skew;
	if (update < 0 || create < 0 || update > 100000 || create > 100000)
		return -1;
	int64_t *ids = malloc(((size_t)update + (size_t)create + 1) * sizeof(*ids));
	uint32_t *moved = malloc(((size_t)update + 1) * sizeof(*moved));
	long nu = 0, nc = -1;
	if (ids && moved) {
		nu = mutate_updates(d, &o->t[ent], ent, update, now, ties, ids, moved);
		nc = mutate_creates(d, o, ent, create, now, ids + nu);
	}
	free(moved);
	if (nc < 0) {
		free(ids);
		return -1;
	}
	cs_debug("mutated org %lld %s: %ld updated, %ld created", (long long)o->id,
		 sb_entities[ent].name, nu, nc);
	if (out) {
		cs_buf_printf(out, "{\"organization_id\":%lld,\"entity\":\"%s\"", (long long)o->id,
			      sb_entities[ent].name);
		put_ids(out, "updated", ids, nu);
		put_ids(out, "created", ids + nu, nc);
		cs_buf_printf(out, ",\"updated_at_unix\":%lld}", (long long)now);
	}
	free(ids);
	return 0;
}
