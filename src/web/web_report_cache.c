/* The daemon's giving report figures, kept between requests (report.h).
 * Reading them costs a scan of the transactions (seconds at 1M), where the
 * page itself renders in milliseconds; the figures change only when a sync
 * writes. So each selection's figures are kept with the state of the runs
 * that wrote them: per org in scope, the newest run of each entity (status
 * and time, through the sync_runs index) and the org's name. A run that
 * starts or finishes changes that state and the figures are read again; so
 * does age past the ttl, for what no run records (an edited threshold, a
 * day that moves a donor to another engagement segment, rows written by
 * SQL). Not thread-safe: the daemon calls it under its page mutex. */
#include "web/web_report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 16

typedef struct slot {
	long long org; /* the selection, 0 all */
	uint64_t key;  /* of the runs' state when read */
	int64_t at_ms; /* when read */
	cs_web_report *r;
} slot;

struct cs_web_report_cache {
	slot s[CACHE_SLOTS];
};

cs_web_report_cache *cs_web_report_cache_new(void)
{
	return calloc(1, sizeof(cs_web_report_cache));
}

void cs_web_report_cache_free(cs_web_report_cache *c)
{
	for (int i = 0; c && i < CACHE_SLOTS; i++)
		cs_web_report_free(c->s[i].r);
	free(c);
}

/* FNV-1a, 64 bits: a change detector, not a secret. */
static void mix(uint64_t *h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * 1099511628211ULL;
}

static void mix_str(uint64_t *h, const char *s)
{
	mix(h, s, strlen(s) + 1);
}

static int mix_org(cs_store *st, const cs_org *o, uint64_t *h, cs_err *err)
{
	cs_run_facts f;
	memset(&f, 0, sizeof(f));
	f.org_id = o->id;
	f.window = 1;
	int rc = st->ctrl(st, CS_CTRL_RUN_FACTS, &f, err);
	mix(h, &o->id, sizeof(o->id));
	mix_str(h, o->name);
	for (int e = 0; rc == 0 && e < CS_ENT_COUNT; e++) {
		mix(h, &f.ent[e].last_status, sizeof(f.ent[e].last_status));
		mix_str(h, f.ent[e].last_at);
		mix_str(h, f.ent[e].last_success_at);
	}
	return rc;
}

/* The state of the runs of the orgs in scope (every registered org: the
 * selector lists them all). */
static int runs_key(cs_store *st, uint64_t *key, cs_err *err)
{
	cs_org_list l = {0};
	uint64_t h = 14695981039346656037ULL;
	int rc = cs_org_list_load(st, 0, &l, err);
	for (size_t i = 0; rc == 0 && i < l.n; i++)
		rc = mix_org(st, &l.v[i], &h, err);
	mix(&h, &l.n, sizeof(l.n));
	cs_org_list_release(&l);
	*key = h;
	return rc;
}

/* The slot of org, else the oldest (emptied). */
static slot *slot_for(cs_web_report_cache *c, long long org)
{
	slot *old = &c->s[0];
	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (c->s[i].r && c->s[i].org == org)
			return &c->s[i];
		if (!c->s[i].r || (old->r && c->s[i].at_ms < old->at_ms))
			old = &c->s[i];
	}
	cs_web_report_free(old->r);
	memset(old, 0, sizeof(*old));
	return old;
}

int cs_web_report_cached(cs_web_report_cache *c, const cs_web_report_source *src, int64_t ttl_ms,
			 cs_buf *out, cs_err *err)
{
	uint64_t key = 0;
	int rc = runs_key(src->store, &key, err);
	if (rc)
		return rc;
	slot *s = slot_for(c, src->org_id);
	if (s->r && (s->key != key || src->now_ms - s->at_ms >= ttl_ms || src->now_ms < s->at_ms)) {
		cs_web_report_free(s->r);
		s->r = NULL;
	}
	if (!s->r) {
		if ((rc = cs_web_report_load(src, &s->r, err)))
			return rc;
		s->org = src->org_id;
		s->key = key;
		s->at_ms = src->now_ms;
	}
	return cs_web_report_render(s->r, src->standalone, out, err);
}
