/* Per-org checks from local facts: the API status the most recent runs saw
 * (org), the age of each entity's last success (freshness) and the failure
 * rate of the newest runs (errors); with --detailed, org queues its live
 * probe (token fetch + API GET) for health_live.c.
 *
 * Never calls the API itself: live probes go through the caller's hooks. */
#include "health/health_int.h"
#include "util/buf.h"

#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Orgs the org checks look at: the one named, or every one with
 * credentials that the daemon config does not disable. Demo orgs (no
 * stored secret) are never synced, so nothing about them can be stale. */
static int org_wanted(const cs_health_state *r, const cs_org *org)
{
	if (r->only_org)
		return org->id == r->only_org;
	return org->secret_enc && org->secret_enc[0] &&
	       cs_dconfig_org_enabled(r->o->dcfg, org->id);
}

static const cs_run_facts *facts_for(cs_health_state *r, size_t i)
{
	if (!r->facts) {
		r->facts = calloc(r->orgs.n ? r->orgs.n : 1, sizeof(*r->facts));
		if (!r->facts)
			return NULL;
		for (size_t k = 0; k < r->orgs.n && r->facts_rc == 0; k++) {
			cs_err err = {0};
			r->facts[k].org_id = r->orgs.v[k].id;
			r->facts[k].window = CS_HEALTH_ERROR_WINDOW;
			r->facts_rc = r->o->store->ctrl(r->o->store, CS_CTRL_RUN_FACTS, &r->facts[k],
						       &err);
			if (r->facts_rc)
				snprintf(r->facts_err, sizeof(r->facts_err), "%.500s", err.msg);
		}
	}
	return r->facts_rc ? NULL : &r->facts[i];
}

/* A check that could not read the run history. */
static int facts_failed(cs_health_state *r, const char *component, const cs_org *org)
{
	char name[64];
	snprintf(name, sizeof(name), "org:%lld", org->id);
	cs_health_check *c = cs_health_add(r->rep, component, name);
	if (!c)
		return -1;
	cs_health_set(c, CS_HEALTH_CRITICAL, "cannot read the run history: %s",
		      r->facts ? r->facts_err : "out of memory");
	return 0;
}

static void entity_cmd_name(int e, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s", cs_entities[e].name);
	for (char *p = out; *p; p++)
		if (*p == '_')
			*p = '-';
}

static void org_quick(cs_health_state *r, const cs_org *org, const cs_run_facts *f,
		      cs_health_check *c)
{
	int newest = -1, ran = 0, failed = 0;
	int64_t newest_ms = 0, ms = 0;
	char age[32];
	for (int e = 0; e < CS_ENT_COUNT; e++) {
		if (f->ent[e].last_status < 0)
			continue;
		ran++;
		failed += f->ent[e].last_status == CS_RUN_FAILED;
		if (cs_time_parse(f->ent[e].last_at, &ms, NULL) == 0 && (newest < 0 || ms > newest_ms))
			newest = e, newest_ms = ms;
	}
	if (!ran || newest < 0) {
		cs_health_set(c, CS_HEALTH_OK, "no sync runs recorded yet");
		return;
	}
	const struct cs_entity_facts *n = &f->ent[newest];
	cs_health_fmt_age(r->now - newest_ms, age, sizeof(age));
	if (failed == ran) {
		cs_health_set(c, CS_HEALTH_CRITICAL, "the last run of every entity failed; newest "
			      "(%s, %s ago): %s", cs_entities[newest].name, age, n->last_error);
		cs_health_recommend(c, "run `classy-sync health org:%lld --detailed` to test the "
				    "credentials and the API", org->id);
	} else if (n->last_status == CS_RUN_FAILED || n->last_status == CS_RUN_PARTIAL) {
		cs_health_set(c, CS_HEALTH_WARNING, "last run (%s, %s ago) was %s: %s",
			      cs_entities[newest].name, age, cs_run_status_name(n->last_status),
			      n->last_error);
		cs_health_recommend(c, "see `classy-sync status` and the log of that run");
	} else {
		cs_health_set(c, CS_HEALTH_OK, "last run (%s, %s ago) %s", cs_entities[newest].name,
			      age, cs_run_status_name(n->last_status));
	}
}

static int org_one(cs_health_state *r, size_t i)
{
	const cs_org *org = &r->orgs.v[i];
	char name[64];
	int64_t t0 = cs_time_mono_ms();
	snprintf(name, sizeof(name), "org:%lld", org->id);
	const cs_run_facts *f = facts_for(r, i);
	if (!f)
		return facts_failed(r, "org", org);
	cs_health_check *c = cs_health_add(r->rep, "org", name);
	if (!c)
		return -1;
	if (!org->secret_enc || !org->secret_enc[0])
		cs_health_set(c, CS_HEALTH_OK, "demo data: no stored credentials, never synced");
	else
		org_quick(r, org, f, c);
	c->duration_ms = (double)(cs_time_mono_ms() - t0);
	if (!r->o->detailed || !org->secret_enc || !org->secret_enc[0] || !r->o->hooks.org_probe)
		return 0;
	snprintf(name, sizeof(name), "org:%lld/api", org->id);
	if (!cs_health_add(r->rep, "org", name))
		return -1;
	cs_health_live l = {.check = r->rep->n - 1, .kind = 0, .org = org};
	return cs_health_live_add(r, &l);
}

int cs_health_orgs(cs_health_state *r)
{
	for (size_t i = 0; i < r->orgs.n; i++)
		if ((r->only_org ? r->orgs.v[i].id == r->only_org : 1) && org_one(r, i))
			return -1;
	return 0;
}

static void fresh_one(cs_health_state *r, const cs_org *org, int e,
		      const struct cs_entity_facts *f, cs_health_check *c)
{
	char age[32], iv[32], cmd[32];
	int64_t ms = 0;
	long interval = cs_dconfig_interval_ms(r->o->dcfg, org->id, e);
	int64_t a = f->last_success_at[0] && cs_time_parse(f->last_success_at, &ms, NULL) == 0
			    ? r->now - ms : -1;
	if (a < -1)
		a = 0; /* clock skew: a success "in the future" is fresh */
	int level = cs_health_freshness_level(a, interval);
	cs_health_fmt_age(a, age, sizeof(age));
	cs_health_fmt_age(interval, iv, sizeof(iv));
	entity_cmd_name(e, cmd, sizeof(cmd));
	if (a < 0)
		cs_health_set(c, level, "never synced successfully (interval %s)", iv);
	else
		cs_health_set(c, level, "last success %s ago (interval %s)", age, iv);
	if (level == CS_HEALTH_OK)
		return;
	if (a < 0)
		cs_health_recommend(c, "%s for org %lld has never succeeded: run `classy-sync sync "
				    "%s --org %lld`", cs_entities[e].name, org->id, cmd, org->id);
	else
		cs_health_recommend(c, "%s for org %lld last succeeded %s ago (interval %s): check "
				    "`classy-sync sync %s --org %lld`", cs_entities[e].name, org->id,
				    age, iv, cmd, org->id);
}

/* Calls fn for each org the checks look at, with its run facts; an org
 * whose facts cannot be read gets a critical check of component instead. */
typedef int (*org_facts_fn)(cs_health_state *r, const cs_org *org, const cs_run_facts *f,
			    int64_t t0);

static int each_org(cs_health_state *r, const char *component, org_facts_fn fn)
{
	for (size_t i = 0; i < r->orgs.n; i++) {
		const cs_org *org = &r->orgs.v[i];
		if (!org_wanted(r, org))
			continue;
		int64_t t0 = cs_time_mono_ms();
		const cs_run_facts *f = facts_for(r, i);
		if (!f) {
			if (facts_failed(r, component, org))
				return -1;
			continue;
		}
		if (fn(r, org, f, t0))
			return -1;
	}
	return 0;
}

static int freshness_of(cs_health_state *r, const cs_org *org, const cs_run_facts *f,
			int64_t t0)
{
	char name[96];
	for (int e = 0; e < CS_ENT_COUNT; e++) {
		snprintf(name, sizeof(name), "%lld/%s", org->id, cs_entities[e].name);
		cs_health_check *c = cs_health_add(r->rep, "freshness", name);
		if (!c)
			return -1;
		fresh_one(r, org, e, &f->ent[e], c);
		c->duration_ms = (double)(cs_time_mono_ms() - t0);
	}
	return 0;
}

int cs_health_freshness(cs_health_state *r)
{
	return each_org(r, "freshness", freshness_of);
}

static int errors_of(cs_health_state *r, const cs_org *org, const cs_run_facts *f, int64_t t0)
{
	char name[64];
	snprintf(name, sizeof(name), "org:%lld", org->id);
	cs_health_check *c = cs_health_add(r->rep, "errors", name);
	if (!c)
		return -1;
	int level = cs_health_error_rate_level(f->recent_failed, f->recent);
	cs_health_set(c, level, "%d of the last %d finished runs failed (%d%%)", f->recent_failed,
		      f->recent, f->recent ? 100 * f->recent_failed / f->recent : 0);
	if (level)
		cs_health_recommend(c, "see the errors with `classy-sync status --json` "
				    "(last_runs) and the log; then `classy-sync health "
				    "org:%lld --detailed`", org->id);
	c->duration_ms = (double)(cs_time_mono_ms() - t0);
	return 0;
}

int cs_health_errors(cs_health_state *r)
{
	return each_org(r, "errors", errors_of);
}
