/* What the worker records about its jobs: the status file (read by `daemon
 * status`, `daemon schedule` and `health`), the outcome of each finished
 * run (timetable, metrics, alerts, the log line), and the history it starts
 * from (the last runs in the database).
 *
 * Never blocks the loop on anything slow: the status file is one small
 * write and a rename, and alerts only queue. Never writes the file in
 * place: readers must never see half of it. */
#include "daemon/daemon_int.h"
#include "util/json.h"
#include "util/buf.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- history --------------------------------------------------------------- */

static cs_daemon_last *last_of(cs_daemon_worker *w, long long org, int kind)
{
	for (size_t i = 0; i < w->nlast; i++)
		if (w->last[i].org == org && w->last[i].kind == kind)
			return &w->last[i];
	cs_daemon_last *v = cs_buf_grow_array(w->last, &w->caplast, w->nlast, sizeof(*v), 16);
	if (!v)
		return NULL;
	w->last = v;
	cs_daemon_last *l = &w->last[w->nlast++];
	memset(l, 0, sizeof(*l));
	l->org = org;
	l->kind = kind;
	return l;
}

static int kind_of(const char *entity)
{
	for (int k = 0; k < CS_SCHED_JOB_KINDS; k++)
		if (entity && !strcmp(cs_sched_job_kind_name(k), entity))
			return k;
	return -1;
}

void cs_daemon_seed_history(cs_daemon_worker *w)
{
	cJSON *runs = NULL;
	cs_err err = {0};
	if (w->st->ctrl(w->st, CS_CTRL_LAST_RUNS, &runs, &err)) {
		cs_warn("cannot read the last runs: %s", err.msg);
		return;
	}
	const cJSON *r;
	cJSON_ArrayForEach(r, runs)
	{
		long long org = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "organization_id"));
		int kind = kind_of(cs_json_str(r, "entity", ""));
		if (kind < 0)
			continue;
		int64_t ms = 0;
		int has_ms;
		cs_sched_job *job = cs_sched_find(&w->sched, org, kind);
		if (job && cs_json_str(r, "last_success_at", "")[0] &&
		    cs_time_parse(cs_json_str(r, "last_success_at", ""), &ms, &has_ms) == 0)
			job->last_success_ms = ms;
		cs_daemon_last *l = last_of(w, org, kind);
		if (!l)
			continue;
		snprintf(l->status, sizeof(l->status), "%s", cs_json_str(r, "status", ""));
		if (cs_time_parse(cs_json_str(r, "finished_at", ""), &ms, &has_ms) == 0)
			l->finished_ms = ms;
		l->records = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "records"));
		l->duration_ms = -1;
		snprintf(l->error, sizeof(l->error), "%s", cs_json_str(r, "error", ""));
	}
	cJSON_Delete(runs);
}

/* ---- a finished job ------------------------------------------------------ */

static const char *outcome(const cs_daemon_job *j)
{
	if (j->skipped)
		return "skipped";
	if (j->run_status == CS_RUN_INTERRUPTED)
		return "interrupted";
	if (j->status == CS_SCHED_JOB_OK)
		return "success";
	return j->status == CS_SCHED_JOB_PARTIAL ? "partial" : "failed";
}

static void feed_metrics(cs_daemon_worker *w, const cs_daemon_job *j, int64_t dur, int64_t now)
{
	cs_metrics *m = w->metrics;
	const char *e = cs_sched_job_kind_name(j->kind);
	if (j->kind != CS_SCHED_JOB_PLUGINS)
		cs_metrics_add(m, CS_METRICS_RECORDS_UPSERTED, j->org, e, (double)j->records);
	cs_metrics_add(m, CS_METRICS_REQUESTS, j->org, e, (double)j->http.requests);
	cs_metrics_add(m, CS_METRICS_RETRIES, j->org, e, (double)j->http.retries);
	cs_metrics_add(m, CS_METRICS_THROTTLED, j->org, e, (double)j->http.throttled);
	cs_metrics_add(m, CS_METRICS_ERRORS, j->org, e, (double)j->http.errors);
	cs_metrics_add(m, CS_METRICS_RUNS, j->org, e, 1);
	if (j->status == CS_SCHED_JOB_FAILED)
		cs_metrics_add(m, CS_METRICS_RUNS_FAILED, j->org, e, 1);
	if (j->status == CS_SCHED_JOB_OK)
		cs_metrics_set(m, CS_METRICS_LAST_SUCCESS, j->org, e, (double)(now / 1000));
	if (j->http.rl_remaining >= 0 && j->http.requests > 0)
		cs_metrics_set(m, CS_METRICS_RATE_LIMIT_REMAINING, j->org, NULL,
			       (double)j->http.rl_remaining);
	cs_metrics_observe_duration(m, j->org, e, dur / 1000.0);
}

void cs_daemon_job_done(cs_daemon_worker *w, cs_daemon_job *j, int64_t now)
{
	int64_t dur = cs_time_mono_ms() - j->started_mono;
	cs_sched_job *job = j->job;
	const char *name = cs_sched_job_kind_name(j->kind);
	if (j->skipped) {
		/* someone else ran it: not a run of ours, so no outcome to record */
		int64_t ls = job->last_success_ms;
		int st = job->last_status, cf = job->consecutive_failures;
		cs_sched_finished(job, now, CS_SCHED_JOB_OK, dur);
		job->last_success_ms = ls;
		job->last_status = st;
		job->consecutive_failures = cf;
	} else {
		cs_sched_finished(job, now, j->status, dur);
		feed_metrics(w, j, dur, now);
	}
	cs_daemon_last *l = last_of(w, j->org, j->kind);
	if (l) {
		snprintf(l->status, sizeof(l->status), "%s", outcome(j));
		l->records = j->records;
		l->finished_ms = now;
		l->duration_ms = dur;
		snprintf(l->error, sizeof(l->error), "%s", j->error);
	}
	int lvl = j->status == CS_SCHED_JOB_OK ? CS_LOG_INFO : CS_LOG_WARN;
	cs_log(lvl, "finished %s of organization %lld: %s, %lld record(s), %lld ms%s%s", name,
	       j->org, outcome(j), j->records, (long long)dur, j->error[0] ? ": " : "", j->error);
	if (j->skipped || cs_daemon_should_stop() || j->run_status == CS_RUN_INTERRUPTED)
		return;
	int failed = j->status != CS_SCHED_JOB_OK;
	int alert_fail = w->cfg.health_alert_on_failure;
	const char *detail = j->error[0] ? j->error : outcome(j);
	cs_daemon_observe(w, CS_ALERT_JOB_FAILED, j->org, j->kind, detail, 0,
			  alert_fail && j->status == CS_SCHED_JOB_FAILED, now);
	cs_daemon_observe(w, CS_ALERT_CONSECUTIVE_FAILURES, j->org, j->kind, detail,
			  job->consecutive_failures,
			  alert_fail && failed &&
				  job->consecutive_failures >= w->cfg.alert_consecutive_failures,
			  now);
	cs_daemon_check_stale(w, now);
}

/* ---- the status file ----------------------------------------------------- */


static cJSON *job_json(cs_daemon_worker *w, const cs_sched_job *job, int64_t now)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "org", (double)job->org_id);
	cJSON_AddStringToObject(o, "kind", cs_sched_job_kind_name(job->kind));
	cJSON_AddNumberToObject(o, "interval_ms", (double)job->interval_ms);
	cJSON_AddBoolToObject(o, "running", job->running);
	int64_t next = job->running ? 0 : job->next_due_ms > now ? job->next_due_ms : now;
	cs_json_add_time(o, "next_run", next, next > 0);
	cs_json_add_time(o, "last_success", job->last_success_ms, job->last_success_ms > 0);
	cJSON_AddNumberToObject(o, "consecutive_failures", job->consecutive_failures);
	cJSON *prog = NULL;
	for (cs_daemon_job *j = w->jobs; j; j = j->next)
		if (!j->done && j->org == job->org_id && j->kind == job->kind) {
			prog = cJSON_CreateObject();
			cs_json_add_time(prog, "started_at", j->started_ms, j->started_ms > 0);
			cJSON_AddNumberToObject(prog, "records", (double)j->records);
			cJSON_AddNumberToObject(prog, "pages", (double)j->pages);
			cJSON_AddBoolToObject(prog, "full", j->full);
		}
	cJSON_AddItemToObject(o, "progress", prog ? prog : cJSON_CreateNull());
	cs_daemon_last *l = NULL;
	for (size_t i = 0; i < w->nlast; i++)
		if (w->last[i].org == job->org_id && w->last[i].kind == job->kind)
			l = &w->last[i];
	if (l) {
		cJSON *lo = cJSON_AddObjectToObject(o, "last");
		cJSON_AddStringToObject(lo, "status", l->status);
		cs_json_add_time(lo, "finished_at", l->finished_ms, l->finished_ms > 0);
		if (l->duration_ms >= 0)
			cJSON_AddNumberToObject(lo, "duration_ms", (double)l->duration_ms);
		else
			cJSON_AddNullToObject(lo, "duration_ms");
		cJSON_AddNumberToObject(lo, "records", (double)l->records);
		if (l->error[0])
			cJSON_AddStringToObject(lo, "error", l->error);
		else
			cJSON_AddNullToObject(lo, "error");
	} else {
		cJSON_AddNullToObject(o, "last");
	}
	return o;
}

int cs_daemon_write_status(cs_daemon_worker *w, const char *state)
{
	const cs_daemon_worker_args *a = w->a;
	int64_t now = cs_time_now_ms();
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "pid", (double)a->sup_pid);
	cJSON_AddNumberToObject(root, "worker_pid", (double)getpid());
	cJSON_AddStringToObject(root, "state", state);
	cs_json_add_time(root, "started_at", a->started_ms, a->started_ms > 0);
	cJSON_AddNumberToObject(root, "uptime_s", (double)((now - a->started_ms) / 1000));
	if (a->o->config_path[0])
		cJSON_AddStringToObject(root, "config_file", a->o->config_path);
	else
		cJSON_AddNullToObject(root, "config_file");
	cJSON_AddNumberToObject(root, "restarts", a->restarts);
	cs_json_add_time(root, "heartbeat_at", now, now > 0);
	cJSON_AddNumberToObject(root, "heartbeat_ms", (double)now);
	if (a->o->http)
		cJSON_AddStringToObject(root, "http", a->o->http);
	else
		cJSON_AddNullToObject(root, "http");
	cJSON_AddNumberToObject(root, "http_port", w->httpd ? cs_httpd_port(w->httpd) : 0);
	cJSON *jobs = cJSON_AddArrayToObject(root, "jobs");
	for (size_t i = 0; i < w->sched.njobs; i++)
		if (!w->sched.jobs[i]->retired)
			cJSON_AddItemToArray(jobs, job_json(w, w->sched.jobs[i], now));
	cJSON_AddItemToObject(root, "schedule", cs_sched_to_json(&w->sched, now));
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!text)
		return CS_ERR;
	char tmp[1200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", a->paths->statusfile);
	/* 0600 whatever the umask: it names orgs and their errors */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (fd >= 0 && !f)
		close(fd);
	int rc = 0;
	if (!f || fputs(text, f) < 0 || fputc('\n', f) < 0)
		rc = CS_EIO;
	if (f && fclose(f))
		rc = CS_EIO;
	if (rc == 0 && rename(tmp, a->paths->statusfile))
		rc = CS_EIO;
	if (rc)
		cs_warn("cannot write the status file '%s'", a->paths->statusfile);
	free(text);
	return rc;
}
