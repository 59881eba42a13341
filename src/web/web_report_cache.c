/* The daemon's giving report figures, kept between requests (report.h).
 * Reading them costs seconds at 1M transactions, where the page itself
 * renders in milliseconds; the figures change only when a sync writes. So
 * each selection's figures are kept with the runs key they were read under:
 * per registered org its id, name and the newest run of each entity (status
 * and time, through the sync_runs index). A run that starts or finishes
 * changes the key, and the figures are stale; so does age past the ttl, for
 * what no run records (an edited threshold, a day that moves a donor to
 * another engagement segment, rows written by SQL). Stale figures are still
 * returned: the caller shows them while it reads new ones. Only counts: it
 * never reads a figure itself. Not thread-safe (report.h). */
#include "web/web_report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS CS_WEB_REPORT_CACHE_SLOTS

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

int cs_web_report_runs_key(cs_store *st, long long org, uint64_t *key, cs_err *err)
{
	cs_org_list l = {0};
	uint64_t h = 14695981039346656037ULL;
	int rc = cs_org_list_load(st, 0, &l, err);
	int found = org == 0;
	/* every registered org: the selector lists them all */
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		found |= l.v[i].id == org;
		rc = mix_org(st, &l.v[i], &h, err);
	}
	mix(&h, &l.n, sizeof(l.n));
	cs_org_list_release(&l);
	*key = h;
	if (rc == 0 && !found)
		rc = cs_err_set(err, CS_ENOTFOUND,
				"no organization %lld: 'classy-sync org list' shows the registered ones",
				org);
	return rc;
}

static slot *find(cs_web_report_cache *c, long long org)
{
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (c->s[i].r && c->s[i].org == org)
			return &c->s[i];
	return NULL;
}

const cs_web_report *cs_web_report_cache_get(cs_web_report_cache *c, long long org, uint64_t key,
					     int64_t now_ms, int64_t ttl_ms, int *state)
{
	const slot *s = find(c, org);
	if (!s) {
		*state = CS_WEB_REPORT_MISSING;
		return NULL;
	}
	/* a clock set back makes the age meaningless: read them again */
	int old = now_ms - s->at_ms >= ttl_ms || now_ms < s->at_ms;
	*state = s->key != key || old ? CS_WEB_REPORT_STALE : CS_WEB_REPORT_FRESH;
	return s->r;
}

void cs_web_report_cache_put(cs_web_report_cache *c, long long org, uint64_t key, int64_t at_ms,
			     cs_web_report *r)
{
	slot *s = find(c, org);
	if (!s) { /* an empty slot, else the oldest */
		s = &c->s[0];
		for (int i = 1; i < CACHE_SLOTS && s->r; i++)
			if (!c->s[i].r || c->s[i].at_ms < s->at_ms)
				s = &c->s[i];
	}
	cs_web_report_free(s->r);
	*s = (slot){org, key, at_ms, r};
}
