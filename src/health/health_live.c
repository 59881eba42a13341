/* The plugins component, and the live probes (org token + API, each
 * plugin's own check) run in parallel threads with a timeout each. A probe
 * that does not answer in time is reported critical and left to finish on
 * its own: its state is reference counted, so whoever is last frees it.
 *
 * Never links the API client or the plugins (the caller's hooks do that
 * work), and never lets a probe touch the run's state: each works on its
 * own copy, because the run may end before a timed-out probe does. */
#include "health/health_int.h"
#include "util/buf.h"

#include "util/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- plugins from local facts ---- */

static void plugin_quick(cs_health_state *r, const char *plugin, cs_health_check *c)
{
	int pushed = 0, failed = 0;
	char age[32];
	for (size_t i = 0; i < r->orgs.n; i++) {
		cs_plugin_last pl = {.plugin = plugin, .org_id = r->orgs.v[i].id};
		cs_err err = {0};
		if (r->o->store->ctrl(r->o->store, CS_CTRL_PLUGIN_LAST, &pl, &err)) {
			cs_health_set(c, CS_HEALTH_WARNING, "cannot read its push history: %s",
				      err.msg);
			return;
		}
		if (!pl.found)
			continue;
		pushed++;
		int64_t ms = 0;
		if (pl.status != CS_RUN_FAILED || failed++)
			continue;
		cs_health_fmt_age(cs_time_parse(pl.started_at, &ms, NULL) ? 0 : r->now - ms, age,
				  sizeof(age));
		cs_health_set(c, CS_HEALTH_WARNING, "last push for org %lld failed %s ago: %s",
			      pl.org_id, age, pl.error);
		cs_health_recommend(c, "run `classy-sync health %s` for its live check", plugin);
	}
	if (failed)
		return;
	if (pushed)
		cs_health_set(c, CS_HEALTH_OK, "last push ok for %d org(s); --detailed runs its "
			      "live check", pushed);
	else
		cs_health_set(c, CS_HEALTH_OK, "no pushes recorded; --detailed runs its live check");
}

int cs_health_plugins(cs_health_state *r)
{
	const char *const *p = r->o->hooks.plugin_names;
	for (size_t i = 0; p && p[i]; i++) {
		if (r->only_plugin && strcmp(r->only_plugin, p[i]))
			continue;
		int64_t t0 = cs_time_mono_ms();
		cs_health_check *c = cs_health_add(r->rep, "plugin", p[i]);
		if (!c)
			return -1;
		if ((r->o->detailed || r->only_plugin) && r->o->hooks.plugin_probe) {
			cs_health_live l = {.check = r->rep->n - 1, .kind = 1, .plugin = i,
					    .named = r->only_plugin != NULL};
			if (cs_health_live_add(r, &l))
				return -1;
			continue;
		}
		plugin_quick(r, p[i], c);
		c->duration_ms = (double)(cs_time_mono_ms() - t0);
	}
	return 0;
}

/* ---- parallel probes ---- */

typedef struct batch batch;

typedef struct probe {
	batch *b;
	cs_health_live l;
	cs_org org; /* own copy: the run may end before a timed-out probe */
	int done, level;
	long rl;
	char msg[600];
	char rec[400];
	double ms;
} probe;

struct batch {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs, pending;
	cs_health_hooks hooks;
	probe *v;
	size_t n;
};

static void batch_unref(batch *b)
{
	pthread_mutex_lock(&b->mu);
	int last = --b->refs == 0;
	pthread_mutex_unlock(&b->mu);
	if (!last)
		return;
	for (size_t i = 0; i < b->n; i++)
		cs_org_release(&b->v[i].org);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b->v);
	free(b);
}

static void probe_org(probe *p, const cs_health_hooks *h)
{
	cs_err err = {0};
	char msg[512] = "";
	p->rl = -1;
	if (h->org_probe(h->ud, &p->org, msg, sizeof(msg), &p->rl, &err) == 0) {
		p->level = CS_HEALTH_OK;
		snprintf(p->msg, sizeof(p->msg), "%s", msg);
		return;
	}
	p->level = CS_HEALTH_CRITICAL;
	snprintf(p->msg, sizeof(p->msg), "org %lld: %.500s", p->org.id, err.msg);
	if (err.code == CS_EAUTH)
		snprintf(p->rec, sizeof(p->rec), "the API refused the credentials of org %lld: "
			 "store the right client secret with `classy-sync org add --org-id %lld`",
			 p->org.id, p->org.id);
	else
		snprintf(p->rec, sizeof(p->rec), "check network access to CLASSY_API_URL and "
			 "CLASSY_TOKEN_URL (`classy-sync config show`)");
}

static void probe_plugin(probe *p, const cs_health_hooks *h)
{
	cs_err err = {0};
	char msg[512] = "";
	int rc = h->plugin_probe(h->ud, p->l.plugin, msg, sizeof(msg), &err);
	if (rc == 0) {
		p->level = CS_HEALTH_OK;
		snprintf(p->msg, sizeof(p->msg), "%s", msg);
	} else if (rc == CS_EUSAGE && !p->l.named) {
		p->level = CS_HEALTH_OK;
		snprintf(p->msg, sizeof(p->msg), "not configured (skipped): %.500s", err.msg);
	} else {
		p->level = CS_HEALTH_CRITICAL;
		snprintf(p->msg, sizeof(p->msg), "%.580s", err.msg);
		snprintf(p->rec, sizeof(p->rec), "check its settings with `classy-sync config show`");
	}
}

static void *probe_main(void *arg)
{
	probe *p = arg;
	batch *b = p->b;
	int64_t t0 = cs_time_mono_ms();
	if (p->l.kind == 0)
		probe_org(p, &b->hooks);
	else
		probe_plugin(p, &b->hooks);
	pthread_mutex_lock(&b->mu);
	p->ms = (double)(cs_time_mono_ms() - t0);
	p->done = 1;
	b->pending--;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	batch_unref(b);
	return NULL;
}

static batch *batch_new(cs_health_state *r)
{
	batch *b = calloc(1, sizeof(*b));
	if (!b || !(b->v = calloc(r->nlive, sizeof(*b->v)))) {
		free(b);
		return NULL;
	}
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->refs = 1;
	b->hooks = r->o->hooks;
	b->n = r->nlive;
	for (size_t i = 0; i < b->n; i++) {
		probe *p = &b->v[i];
		p->b = b;
		p->l = r->live[i];
		if (p->l.kind != 0)
			continue;
		p->org = *p->l.org;
		p->org.secret_enc = p->l.org->secret_enc ? strdup(p->l.org->secret_enc) : NULL;
	}
	return b;
}

static void start_all(batch *b)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (size_t i = 0; i < b->n; i++) {
		pthread_t t;
		pthread_mutex_lock(&b->mu);
		b->refs++;
		b->pending++;
		pthread_mutex_unlock(&b->mu);
		if (pthread_create(&t, &attr, probe_main, &b->v[i]) == 0)
			continue;
		pthread_mutex_lock(&b->mu); /* could not start: report it, no thread */
		b->refs--;
		b->pending--;
		b->v[i].done = 1;
		b->v[i].level = CS_HEALTH_CRITICAL;
		snprintf(b->v[i].msg, sizeof(b->v[i].msg), "cannot start a check thread");
		pthread_mutex_unlock(&b->mu);
	}
	pthread_attr_destroy(&attr);
}

static void wait_all(batch *b, long timeout_ms)
{
	struct timespec dl = cs_time_deadline_in(CLOCK_REALTIME, timeout_ms);
	pthread_mutex_lock(&b->mu);
	while (b->pending > 0)
		if (pthread_cond_timedwait(&b->cv, &b->mu, &dl) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&b->mu);
}

static void collect(batch *b, cs_health_report *rep, long timeout_ms)
{
	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; i < b->n; i++) {
		const probe *p = &b->v[i];
		cs_health_check *c = &rep->v[p->l.check];
		if (!p->done) {
			c->duration_ms = (double)timeout_ms;
			cs_health_set(c, CS_HEALTH_CRITICAL, "timed out after %ld s", timeout_ms / 1000);
			continue;
		}
		c->duration_ms = p->ms;
		cs_health_set(c, p->level, "%s", p->msg);
		snprintf(c->recommendation, sizeof(c->recommendation), "%s", p->rec);
	}
	pthread_mutex_unlock(&b->mu);
}

int cs_health_live_run(cs_health_state *r)
{
	if (!r->nlive)
		return 0;
	long timeout = r->o->timeout_ms > 0 ? r->o->timeout_ms : CS_HEALTH_LIVE_TIMEOUT_MS;
	batch *b = batch_new(r);
	if (!b)
		return -1;
	start_all(b);
	wait_all(b, timeout);
	collect(b, r->rep, timeout);
	if (!r->o->detailed)
		for (size_t i = 0; i < b->n; i++)
			r->rep->v[b->v[i].l.check].recommendation[0] = '\0';
	batch_unref(b);
	return 0;
}
