/* A daemon job's thread: its own store handle and Classy client, the lease
 * of (org, job), then the sync of one entity (or the push plugins); and the
 * stop flag that every job honours between pages.
 *
 * Never touches the timetable or the status file: it fills its own
 * cs_daemon_job under the worker's mutex, marks it done and wakes the loop,
 * which records the outcome. Never runs a job whose lease another process
 * holds: that turn is skipped, not queued. */
#include "daemon/daemon_int.h"

#include "plugin/driver.h"
#include "plugin/registry/registry.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <string.h>

static atomic_int stop_flag;

void cs_daemon_request_stop(void)
{
	atomic_store(&stop_flag, 1);
}

int cs_daemon_should_stop(void)
{
	return atomic_load(&stop_flag) != 0;
}

static void on_progress(const cs_sync_progress *p, void *ctx)
{
	cs_daemon_job *j = ctx;
	pthread_mutex_lock(&j->w->mu);
	j->records = p->records;
	j->pages = p->pages;
	pthread_mutex_unlock(&j->w->mu);
}

static int run_entity(cs_daemon_job *j, cs_store *st, cs_err *err)
{
	const cs_daemon_opts *o = j->w->a->o;
	cs_org org;
	memset(&org, 0, sizeof(org));
	int rc = st->org_get(st, j->org, &org, err);
	if (rc)
		return rc;
	cs_http *http = NULL;
	cs_classy *api = NULL;
	rc = cs_sync_connect(o->cfg, &org, o->key, cs_daemon_should_stop, &http, &api, err);
	cs_org_release(&org);
	if (rc)
		return rc;
	cs_sync_opts opts = {.full = j->full, .lookback_s = -1, .progress = on_progress,
			     .progress_ctx = j, .should_stop = cs_daemon_should_stop,
			     .concurrency = o->cfg->concurrency, .fields = o->cfg->fields};
	cs_sync_org_result res;
	rc = cs_sync_org(st, api, j->org, &cs_entities[j->kind], &opts, &res, err);
	pthread_mutex_lock(&j->w->mu);
	if (res.nents) {
		j->records = res.ents[0].records;
		j->pages = res.ents[0].pages;
		j->run_status = res.ents[0].status;
	}
	j->http = *cs_http_get_stats(http);
	pthread_mutex_unlock(&j->w->mu);
	cs_classy_free(api);
	cs_http_free(http);
	return rc;
}

/* Every configured push plugin for the org: 0, CS_SCHED_JOB_PARTIAL when
 * the worst push was partial, else the failure's (negative) code. */
static int run_plugins(cs_daemon_job *j, cs_store *st, cs_err *err)
{
	int worst = 0, ran = 0;
	for (size_t i = 0; cs_plugin_registry[i]; i++) {
		const cs_plugin *p = cs_plugin_registry[i];
		cs_err perr = {0};
		if (cs_plugin_configured(st, p, &perr)) {
			cs_debug("plugin %s is not configured (%s); not run", p->name, perr.msg);
			continue;
		}
		ran++;
		cs_plugin_push_opts po = {.org_id = j->org};
		cs_plugin_push_report rep = {.orgs = cJSON_CreateArray(), .samples = cJSON_CreateArray()};
		int rc = cs_plugin_push(st, p, &po, cs_daemon_should_stop, &rep, &perr);
		int code = cs_plugin_exit_code(&rep, rc);
		cJSON_Delete(rep.orgs);
		cJSON_Delete(rep.samples);
		pthread_mutex_lock(&j->w->mu);
		j->records += rep.totals.created + rep.totals.updated;
		pthread_mutex_unlock(&j->w->mu);
		if (code && code > worst) {
			worst = code;
			*err = perr;
		}
	}
	if (!ran)
		cs_debug("no push plugin is configured: the plugins job of organization %lld does "
			 "nothing", j->org);
	if (worst == 0)
		return 0;
	return worst == CS_EXIT_PARTIAL ? CS_SCHED_JOB_PARTIAL : (err->code ? err->code : CS_ERR);
}

void *cs_daemon_job_main(void *arg)
{
	cs_daemon_job *j = arg;
	cs_daemon_worker *w = j->w;
	const char *name = cs_sched_job_kind_name(j->kind);
	cs_store *st = NULL;
	cs_err err = {0};
	int rc = cs_store_open(w->a->o->cfg, &st, &err);
	int skipped = 0;
	if (rc == 0) {
		cs_lease_info held;
		rc = cs_daemon_lease_take(w->leases, j->org, name, &held, &err);
		if (rc == CS_ECONFLICT) {
			char who[256];
			cs_daemon_lease_describe(&held, who, sizeof(who));
			cs_info("%s of organization %lld is being synced by %s; skipped this turn", name,
				j->org, who);
			skipped = 1;
			rc = 0;
		} else if (rc == 0) {
			rc = j->kind == CS_SCHED_JOB_PLUGINS ? run_plugins(j, st, &err)
							     : run_entity(j, st, &err);
			cs_daemon_lease_drop(w->leases, j->org, name);
		}
	}
	cs_store_close(st);
	pthread_mutex_lock(&w->mu);
	j->skipped = skipped;
	if (rc == 0)
		j->status = CS_SCHED_JOB_OK;
	else if (rc == CS_SCHED_JOB_PARTIAL || j->run_status == CS_RUN_PARTIAL)
		j->status = CS_SCHED_JOB_PARTIAL;
	else
		j->status = CS_SCHED_JOB_FAILED;
	if (rc && rc != CS_SCHED_JOB_PARTIAL)
		snprintf(j->error, sizeof(j->error), "%s", err.msg);
	if (rc == CS_EINTR || j->run_status == CS_RUN_INTERRUPTED)
		j->run_status = CS_RUN_INTERRUPTED;
	j->done = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}
