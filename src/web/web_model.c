/* Reads what the status page shows through the store's ctrl ops: for each
 * registered org, the run facts (last success, the error window), the
 * newest CS_WEB_HISTORY runs of each entity, the last Mailchimp push and
 * its recent rejections by reason; and every unexpired lease. Every read is
 * an index range on a small table (web.h), never an entity table. Copies
 * only what the page may show: no email, no contact, no donor name. */
#include "web/web_model.h"

#include "sched/dconfig.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUSH_PLUGIN "mailchimp"

static double run_secs(const cs_run *r)
{
	int64_t a, b;
	if (!r->finished_at[0] || cs_time_parse(r->started_at, &a, NULL) ||
	    cs_time_parse(r->finished_at, &b, NULL) || b < a)
		return -1;
	return (double)(b - a) / 1000.0;
}

static int history_row(const cs_run *r, void *ctx)
{
	cs_web_entity *e = ctx;
	if (e->nruns == CS_WEB_HISTORY)
		return 0;
	cs_web_run *w = &e->runs[e->nruns++];
	w->id = r->id;
	w->status = r->status;
	w->full = r->full;
	w->records = r->records;
	w->secs = run_secs(r);
	snprintf(w->started_at, sizeof(w->started_at), "%s", r->started_at);
	cs_web_scrub_emails(r->error, w->error, sizeof(w->error));
	return 0;
}

static int load_entity(const cs_web_source *src, cs_web_org *o, int e,
		       const struct cs_entity_facts *f, cs_err *err)
{
	cs_web_entity *we = &o->ent[e];
	cs_run_history h = {o->id, e, CS_WEB_HISTORY, history_row, we};
	we->interval_ms = src->interval_ms ? src->interval_ms(src->ctx, o->id, e) : 0;
	snprintf(we->last_success_at, sizeof(we->last_success_at), "%s", f->last_success_at);
	int64_t at;
	we->age_ms = f->last_success_at[0] && !cs_time_parse(f->last_success_at, &at, NULL)
			     ? (src->now_ms > at ? src->now_ms - at : 0)
			     : -1;
	we->fresh_level = cs_health_freshness_level(we->age_ms, we->interval_ms);
	return src->store->ctrl(src->store, CS_CTRL_RUN_HISTORY, &h, err);
}

static int reason_row(const char *reason, long long count, void *ctx)
{
	cs_web_org *o = ctx;
	if (o->nreasons == CS_WEB_REASONS)
		return 0;
	cs_web_reason *r = &o->reasons[o->nreasons++];
	cs_web_scrub_emails(reason, r->text, sizeof(r->text));
	r->count = count;
	return 0;
}

static int load_push(const cs_web_source *src, cs_web_org *o, cs_err *err)
{
	cs_store *st = src->store;
	o->push.plugin = PUSH_PLUGIN;
	o->push.org_id = o->id;
	int rc = st->ctrl(st, CS_CTRL_PLUGIN_LAST, &o->push, err);
	char scrubbed[sizeof(o->push.error)];
	cs_web_scrub_emails(o->push.error, scrubbed, sizeof(scrubbed));
	memcpy(o->push.error, scrubbed, sizeof(scrubbed));
	o->push.plugin = NULL; /* the model keeps no pointer into this function */
	cs_plugin_rejections r = {PUSH_PLUGIN, o->id, CS_WEB_REJECTIONS_READ, reason_row, o};
	if (rc == 0 && o->push.found)
		rc = st->ctrl(st, CS_CTRL_PLUGIN_REJECTIONS, &r, err);
	return rc;
}

static int load_org(const cs_web_source *src, cs_web_org *o, cs_err *err)
{
	cs_run_facts f;
	memset(&f, 0, sizeof(f));
	f.org_id = o->id;
	f.window = CS_WEB_ERROR_WINDOW;
	int rc = src->store->ctrl(src->store, CS_CTRL_RUN_FACTS, &f, err);
	for (int e = 0; rc == 0 && e < CS_ENT_COUNT; e++)
		rc = load_entity(src, o, e, &f.ent[e], err);
	o->recent = f.recent;
	o->recent_failed = f.recent_failed;
	o->error_level = cs_health_error_rate_level(f.recent_failed, f.recent);
	return rc ? rc : load_push(src, o, err);
}

static int lease_row(const cs_lease_info *li, void *ctx)
{
	cs_web_model *m = ctx;
	cs_web_lease *v = cs_buf_grow_array(m->leases, &m->leases_cap, m->nleases, sizeof(*v), 8);
	if (!v)
		return CS_ERR;
	m->leases = v;
	m->leases[m->nleases].li = *li;
	m->leases[m->nleases++].expires_in_ms = li->expires_at_ms - m->now_ms;
	return 0;
}

static int load_orgs(const cs_web_source *src, cs_web_model *m, cs_err *err)
{
	cs_org_list orgs = {0};
	int rc = cs_org_list_load(src->store, 0, &orgs, err);
	if (rc == 0 && orgs.n && !(m->orgs = calloc(orgs.n, sizeof(*m->orgs))))
		rc = cs_err_set(err, CS_ERR, "cannot render the status page: out of memory");
	for (size_t i = 0; rc == 0 && i < orgs.n; i++) {
		cs_web_org *o = &m->orgs[m->norgs++];
		o->id = orgs.v[i].id;
		snprintf(o->name, sizeof(o->name), "%s", orgs.v[i].name);
		rc = load_org(src, o, err);
	}
	cs_org_list_release(&orgs);
	return rc;
}

int cs_web_model_load(const cs_web_source *src, cs_web_model *m, cs_err *err)
{
	memset(m, 0, sizeof(*m));
	m->now_ms = src->now_ms;
	int rc = load_orgs(src, m, err);
	if (rc)
		return rc;
	cs_lease_walk walk = {lease_row, m};
	rc = src->store->ctrl(src->store, CS_CTRL_LEASES, &walk, err);
	if (rc == CS_ERR && !err->msg[0])
		rc = cs_err_set(err, CS_ERR, "cannot render the status page: out of memory");
	return rc;
}

void cs_web_model_release(cs_web_model *m)
{
	free(m->orgs);
	free(m->leases);
	memset(m, 0, sizeof(*m));
}
