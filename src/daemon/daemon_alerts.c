/* The daemon's alert hookup: the alert records kept in the store's `alerts`
 * table (so cooldowns survive a restart), and the conditions the worker
 * observes: a job failed, failed again and again, went stale, or a health
 * check turned critical.
 *
 * Never sends anything itself and never waits on a webhook: it observes
 * conditions and the alerter (src/alert) decides and delivers on its own
 * thread. Never decides a job's outcome either: it reads what the worker
 * recorded. */
#include "daemon/daemon_int.h"
#include "health/health.h"

#include "util/log.h"

#include <stdio.h>
#include <string.h>

/* ---- alert records in the `alerts` table --------------------------------- */

static int astore_load(void *ctx, const char *key, cs_alert_record *rec, cs_err *err)
{
	cs_store *st = ctx;
	if (!st)
		return cs_err_set(err, CS_ENOTFOUND, "no alert store");
	cs_alert_row row;
	int rc = st->alert_load(st, key, &row, err);
	if (rc)
		return rc;
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->key, sizeof(rec->key), "%s", row.key);
	rec->state = row.state;
	rec->since = row.since;
	rec->last_sent_at = row.last_sent_at;
	rec->count = row.count;
	snprintf(rec->last_message, sizeof(rec->last_message), "%s", row.last_message);
	return 0;
}

static int astore_save(void *ctx, const cs_alert_record *rec, cs_err *err)
{
	cs_store *st = ctx;
	if (!st)
		return 0;
	cs_alert_row row;
	memset(&row, 0, sizeof(row));
	snprintf(row.key, sizeof(row.key), "%s", rec->key);
	row.state = rec->state;
	row.since = rec->since;
	row.last_sent_at = rec->last_sent_at;
	row.count = rec->count;
	snprintf(row.last_message, sizeof(row.last_message), "%s", rec->last_message);
	return st->alert_save(st, &row, err);
}

cs_alert_store cs_daemon_alert_store(cs_store *st)
{
	cs_alert_store as = {.ctx = st, .load = astore_load, .save = astore_save};
	return as;
}

/* ---- conditions ---------------------------------------------------------- */

void cs_daemon_observe(cs_daemon_worker *w, int event, long long org, int kind, const char *detail,
		       int failures, int firing, int64_t now)
{
	if (!w->alerter)
		return;
	const char *entity = kind >= 0 ? cs_sched_job_kind_name(kind) : NULL;
	cs_alert a = {.event = event, .org = org, .entity = entity, .detail = detail,
		      .failures = failures};
	cs_err err = {0};
	int d = cs_alerter_observe(w->alerter, &a, firing, now, &err);
	if (d < 0)
		cs_warn("alert %s of organization %lld: %s", cs_alert_event_name(event), org,
			err.msg);
	else if (d == CS_ALERT_SEND_FIRING || d == CS_ALERT_SEND_RESOLVED)
		cs_info("alert %s for %s of organization %lld: %s", cs_alert_event_name(event),
			entity ? entity : "-", org,
			d == CS_ALERT_SEND_FIRING ? "firing" : "resolved");
}

void cs_daemon_check_stale(cs_daemon_worker *w, int64_t now)
{
	if (!w->alerter)
		return;
	for (size_t i = 0; i < w->sched.njobs; i++) {
		cs_sched_job *job = w->sched.jobs[i];
		if (job->retired || job->kind == CS_SCHED_JOB_PLUGINS)
			continue;
		int64_t base = job->last_success_ms ? job->last_success_ms : w->a->started_ms;
		int64_t limit = (int64_t)w->cfg.alert_stale_factor * job->interval_ms;
		int firing = now - base > limit;
		char detail[256], age[32], iv[32];
		cs_health_fmt_age(now - base, age, sizeof(age));
		cs_health_fmt_age(job->interval_ms, iv, sizeof(iv));
		if (job->last_success_ms)
			snprintf(detail, sizeof(detail), "last success %s ago (interval %s, stale after "
				 "%ldx)", age, iv, w->cfg.alert_stale_factor);
		else
			snprintf(detail, sizeof(detail), "no successful run in %s (interval %s, stale "
				 "after %ldx)", age, iv, w->cfg.alert_stale_factor);
		cs_daemon_observe(w, CS_ALERT_STALE, job->org_id, job->kind, detail, 0, firing, now);
	}
}

/* The quick health checks (local facts: database, disk, freshness, error
 * rate) every healthCheck.interval: health_critical fires while any check
 * is critical and resolves when none is. The daemon's own check is left
 * out: the loop asking is the heartbeat. */
void cs_daemon_check_health(cs_daemon_worker *w, int64_t now)
{
	if (!w->alerter || !w->cfg.health_alert_on_failure)
		return;
	cs_health_opts o = {.store = w->st, .cfg = w->a->o->cfg, .dcfg = &w->cfg, .now_ms = now};
	cs_health_report rep = {0};
	cs_err err = {0};
	if (cs_health_run(&o, &rep, &err)) {
		cs_warn("health check: %s", err.msg);
		return;
	}
	char detail[CS_ALERT_DETAIL_MAX] = "";
	size_t len = 0;
	int critical = 0;
	for (size_t i = 0; i < rep.n; i++) {
		const cs_health_check *c = &rep.v[i];
		if (c->level != CS_HEALTH_CRITICAL || !strcmp(c->component, "daemon"))
			continue;
		critical++;
		if (len < sizeof(detail))
			len += (size_t)snprintf(detail + len, sizeof(detail) - len, "%s%s: %s",
						len ? "; " : "", c->name, c->message);
	}
	cs_health_report_release(&rep);
	cs_daemon_observe(w, CS_ALERT_HEALTH_CRITICAL, 0, -1, critical ? detail : NULL, critical,
			  critical > 0, now);
}
