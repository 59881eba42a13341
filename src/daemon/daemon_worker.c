/* The worker: the scheduler loop. It waits on a condition variable until the
 * scheduler's next wake time, a job ending, a signal (through a sigwait
 * thread) or the next heartbeat; launches due jobs, one thread each, and
 * reaps finished ones. SIGHUP reloads the config, SIGTERM stops it after
 * the running jobs finish their page.
 *
 * Never does a job's work on the loop's thread: the heartbeat, the
 * watchdog and the status file depend on the loop turning. Never replaces
 * the running config with one that failed to load. */
#include "daemon/daemon_int.h"
#include "util/buf.h"

#include "daemon/notify.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HEARTBEAT_MS 2000

static cs_daemon_worker *g_w; /* for the signal thread */

static void *signal_main(void *arg)
{
	sigset_t *set = arg;
	for (;;) {
		int sig = 0;
		if (sigwait(set, &sig))
			continue;
		pthread_mutex_lock(&g_w->mu);
		if (sig == SIGHUP) {
			g_w->reload = 1;
		} else if (sig == SIGUSR1) { /* the loop is done: leave */
			pthread_mutex_unlock(&g_w->mu);
			return NULL;
		} else {
			cs_daemon_request_stop();
		}
		pthread_cond_broadcast(&g_w->cv);
		pthread_mutex_unlock(&g_w->mu);
	}
}

typedef struct id_list {
	long long *v;
	size_t n, cap;
} id_list;

/* Ids of the orgs with credentials: demo data has nothing to sync. */
static int collect_ids(cs_store *st, id_list *l, cs_err *err)
{
	cs_org_list orgs = {0};
	int rc = cs_org_list_load(st, 0, &orgs, err);
	for (size_t i = 0; rc == 0 && i < orgs.n; i++) {
		if (!orgs.v[i].secret_enc || !orgs.v[i].secret_enc[0])
			continue;
		long long *v = cs_buf_grow_array(l->v, &l->cap, l->n, sizeof(*v), 8);
		if (!v) {
			rc = cs_err_set(err, CS_ERR, "cannot list organizations: out of memory");
			break;
		}
		l->v = v;
		l->v[l->n++] = orgs.v[i].id;
	}
	cs_org_list_release(&orgs);
	return rc;
}

static void report(int fd, const char *fmt, const char *msg)
{
	if (fd < 0)
		return;
	char buf[1100];
	int n = snprintf(buf, sizeof(buf), fmt, msg);
	if (write(fd, buf, (size_t)n) < 0)
		cs_debug("cannot report readiness: %s", strerror(errno));
	close(fd);
}

static int live(void *ctx, char *reason, size_t n)
{
	cs_daemon_worker *w = ctx;
	int64_t age = cs_time_now_ms() - atomic_load(&w->heartbeat_ms);
	if (age <= 3 * HEARTBEAT_MS + 1000)
		return 1;
	snprintf(reason, n, "no heartbeat for %lld s", (long long)(age / 1000));
	return 0;
}

static int ready(void *ctx, char *reason, size_t n)
{
	cs_daemon_worker *w = ctx;
	pthread_mutex_lock(&w->mu);
	int ok = w->db_ok;
	pthread_mutex_unlock(&w->mu);
	if (!ok)
		snprintf(reason, n, "database not reachable");
	return ok;
}

static int metrics(void *ctx, cs_buf *out)
{
	cs_daemon_worker *w = ctx;
	cs_metrics_set(w->metrics, CS_METRICS_UP, 0, NULL, 1);
	cs_metrics_set(w->metrics, CS_METRICS_HEARTBEAT, 0, NULL,
		       (double)(atomic_load(&w->heartbeat_ms) / 1000));
	return cs_metrics_render(w->metrics, out);
}

static int load_orgs(cs_daemon_worker *w, id_list *ids, cs_err *err)
{
	ids->n = 0;
	return collect_ids(w->st, ids, err);
}

/* Organizations added or removed with `org add` / `org remove` join or
 * leave the timetable at the next health tick, without a SIGHUP. Called
 * without w->mu. */
static void refresh_orgs(cs_daemon_worker *w, id_list *ids)
{
	id_list now = {0};
	cs_err err = {0};
	if (collect_ids(w->st, &now, &err)) {
		cs_warn("cannot list organizations: %s", err.msg);
	} else if (now.n != ids->n || (now.n && memcmp(now.v, ids->v, now.n * sizeof(*now.v)))) {
		pthread_mutex_lock(&w->mu);
		int rc = cs_sched_reload(&w->sched, &w->cfg, now.v, now.n, cs_time_now_ms());
		pthread_mutex_unlock(&w->mu);
		if (rc == 0) {
			cs_info("organizations changed: %zu now scheduled", now.n);
			id_list old = *ids;
			*ids = now;
			now = old;
		}
	}
	free(now.v);
}

static void do_reload(cs_daemon_worker *w, id_list *ids)
{
	const char *path = w->a->o->config_path;
	cs_dconfig next;
	cs_err err = {0};
	int rc = cs_dconfig_load_or_defaults(path, &next, &err);
	if (rc) {
		cs_log(CS_LOG_ERROR, "reload rejected, keeping the running config: %s", err.msg);
		return;
	}
	if (load_orgs(w, ids, &err)) {
		cs_log(CS_LOG_ERROR, "reload rejected: cannot list organizations: %s", err.msg);
		cs_dconfig_release(&next);
		return;
	}
	pthread_mutex_lock(&w->mu);
	rc = cs_sched_reload(&w->sched, &next, ids->v, ids->n, cs_time_now_ms());
	if (rc == 0) {
		cs_dconfig_release(&w->cfg);
		w->cfg = next;
	}
	pthread_mutex_unlock(&w->mu);
	if (rc) {
		cs_dconfig_release(&next);
		cs_log(CS_LOG_ERROR, "reload failed: out of memory; keeping the running config");
		return;
	}
	cs_info("config reloaded from '%s' (%zu organization(s))", path[0] ? path : "defaults",
		ids->n);
}

static void launch(cs_daemon_worker *w, cs_sched_job *job, int64_t now)
{
	cs_daemon_job *j = calloc(1, sizeof(*j));
	if (!j) {
		cs_sched_finished(job, now, CS_SCHED_JOB_FAILED, 0);
		return;
	}
	j->w = w;
	j->job = job;
	j->org = job->org_id;
	j->kind = job->kind;
	j->full = job->full;
	j->started_ms = now;
	j->started_mono = cs_time_mono_ms();
	if (pthread_create(&j->thread, NULL, cs_daemon_job_main, j)) {
		cs_log(CS_LOG_ERROR, "cannot start a thread for %s of organization %lld",
		       cs_sched_job_kind_name(j->kind), j->org);
		cs_sched_finished(job, now, CS_SCHED_JOB_FAILED, 0);
		free(j);
		return;
	}
	j->next = w->jobs;
	w->jobs = j;
	cs_info("started %s%s of organization %lld", cs_sched_job_kind_name(j->kind),
		j->full ? " (nightly full)" : "", j->org);
}

/* Reaps finished jobs; called with w->mu held. Returns how many. */
static int reap(cs_daemon_worker *w, int64_t now)
{
	int n = 0;
	for (cs_daemon_job **pp = &w->jobs; *pp;) {
		cs_daemon_job *j = *pp;
		if (!j->done) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		pthread_mutex_unlock(&w->mu);
		pthread_join(j->thread, NULL);
		pthread_mutex_lock(&w->mu);
		cs_daemon_job_done(w, j, now);
		free(j);
		n++;
	}
	return n;
}

static void wait_until(cs_daemon_worker *w, int64_t wake_mono)
{
	struct timespec ts = cs_time_timespec(wake_mono);
	pthread_cond_timedwait(&w->cv, &w->mu, &ts);
}

static int any_done(cs_daemon_worker *w)
{
	for (cs_daemon_job *j = w->jobs; j; j = j->next)
		if (j->done)
			return 1;
	return 0;
}

static void loop(cs_daemon_worker *w, id_list *ids)
{
	long long wd_usec = cs_notify_watchdog_usec();
	int64_t wd_step = wd_usec > 0 ? wd_usec / 2000 : 0, next_wd = 0, next_beat = 0;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		int64_t now = cs_time_now_ms(), mono = cs_time_mono_ms();
		int changed = reap(w, now);
		if (cs_daemon_should_stop())
			break;
		if (w->reload) {
			w->reload = 0;
			pthread_mutex_unlock(&w->mu);
			do_reload(w, ids);
			pthread_mutex_lock(&w->mu);
			changed = 1;
		}
		cs_sched_job *job;
		while (cs_sched_next(&w->sched, now, &job) > 0) {
			launch(w, job, now);
			changed = 1;
		}
		if (now >= w->next_health_ms) {
			pthread_mutex_unlock(&w->mu);
			refresh_orgs(w, ids);
			pthread_mutex_lock(&w->mu);
			cs_daemon_check_stale(w, now);
			cs_daemon_check_health(w, now);
			w->next_health_ms = now + w->cfg.health_interval_ms;
		}
		if (changed || mono >= next_beat) {
			atomic_store(&w->heartbeat_ms, now);
			cs_daemon_write_status(w, "running");
			next_beat = mono + HEARTBEAT_MS;
			cs_notify_status("%zu job(s) running, %zu scheduled",
					 cs_sched_running(&w->sched), w->sched.njobs);
		}
		if (wd_step && mono >= next_wd) {
			cs_notify_watchdog();
			next_wd = mono + wd_step;
		}
		/* sleep until the next timer of any kind */
		int64_t wake = cs_sched_wake_ms(&w->sched, now);
		int64_t until = wake == CS_SCHED_NEVER ? INT64_MAX : wake - now;
		if (w->next_health_ms - now < until)
			until = w->next_health_ms - now;
		if (next_beat - mono < until)
			until = next_beat - mono;
		if (wd_step && next_wd - mono < until)
			until = next_wd - mono;
		if (until < 0)
			until = 0;
		if (!any_done(w) && !w->reload && !cs_daemon_should_stop())
			wait_until(w, mono + until + 1);
	}
	/* stopping: the jobs finish their page in flight and record the runs
	 * as interrupted */
	cs_notify_stopping();
	cs_info("stopping: waiting for %zu running job(s) to finish their page",
		cs_sched_running(&w->sched));
	cs_daemon_write_status(w, "stopping");
	while (w->jobs) {
		if (!any_done(w))
			wait_until(w, cs_time_mono_ms() + 1000);
		reap(w, cs_time_now_ms());
	}
	pthread_mutex_unlock(&w->mu);
}

static int worker_setup(cs_daemon_worker *w, id_list *ids, cs_err *err)
{
	const cs_daemon_opts *o = w->a->o;
	int rc;
	if ((rc = cs_dconfig_load_or_defaults(o->config_path, &w->cfg, err)))
		return rc;
	if ((rc = cs_store_open(o->cfg, &w->st, err)))
		return rc;
	w->db_ok = 1;
	if ((rc = cs_daemon_lease_keeper_new(o->cfg, "daemon", o->cfg->lease_ttl_s * 1000L,
					     &w->leases, err)))
		return rc;
	w->share = cs_sync_share_start(o->cfg);
	if (!(w->metrics = cs_metrics_new()))
		return cs_err_set(err, CS_ERR, "out of memory");
	cs_alert_config ac;
	if ((rc = cs_alert_config_from_env(&ac, err)))
		return rc;
	if (ac.url[0]) {
		cs_alert_store as = cs_daemon_alert_store(w->st);
		cs_alerter_opts ao = {.url = ac.url, .allow_http = ac.allow_http,
				      .cooldown_ms = w->cfg.alert_cooldown_ms, .store = &as};
		if ((rc = cs_alerter_new(&ao, &w->alerter, err)))
			return rc;
	}
	if (o->http && (rc = cs_daemon_reports_start(o->cfg, &w->reports, err)))
		return rc;
	if (o->http) {
		cs_httpd_handlers h = {.ctx = w, .live = live, .ready = ready, .metrics = metrics,
				       .page = cs_daemon_page, .report = cs_daemon_report,
				       .token = o->http_token};
		if ((rc = cs_httpd_start(o->http, &h, &w->httpd, err)))
			return rc;
	}
	if ((rc = load_orgs(w, ids, err)))
		return rc;
	int64_t now = cs_time_now_ms();
	if (cs_sched_init(&w->sched, &w->cfg, ids->v, ids->n, now))
		return cs_err_set(err, CS_ERR, "out of memory");
	cs_daemon_seed_history(w);
	w->next_health_ms = now;
	atomic_store(&w->heartbeat_ms, now);
	return 0;
}

int cs_daemon_worker_main(const cs_daemon_worker_args *a)
{
	cs_daemon_worker w;
	memset(&w, 0, sizeof(w));
	w.a = a;
	g_w = &w;
	pthread_mutex_init(&w.mu, NULL);
	pthread_mutex_init(&w.page_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cv, &ca);
	pthread_condattr_destroy(&ca);

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_t sigthread;
	pthread_create(&sigthread, NULL, signal_main, &set);

	id_list ids = {0};
	cs_err err = {0};
	int rc = worker_setup(&w, &ids, &err);
	if (rc) {
		cs_log(CS_LOG_ERROR, "worker cannot start: %s", err.msg);
		report(a->ready_fd, rc == CS_EUSAGE ? "usage: %s\n" : "error: %s\n", err.msg);
		rc = CS_DAEMON_WORKER_FATAL;
	} else {
		cs_info("worker %ld running: %zu job(s) for %zu organization(s)%s%s", (long)getpid(),
			w.sched.njobs, ids.n, a->o->http ? ", http " : "",
			a->o->http ? a->o->http : "");
		cs_daemon_write_status(&w, "running");
		report(a->ready_fd, "%s\n", "ok");
		cs_notify_ready();
		const char *crash = getenv("CLASSY_SYNC_TEST_WORKER_CRASH");
		if (crash && !strcmp(crash, "1")) { /* test-only: a worker that dies at once */
			signal(SIGABRT, SIG_DFL);
			abort();
		}
		loop(&w, &ids);
		cs_daemon_write_status(&w, "stopped");
		rc = CS_DAEMON_WORKER_STOPPED;
	}
	pthread_kill(sigthread, SIGUSR1);
	pthread_join(sigthread, NULL);
	cs_httpd_stop(w.httpd);
	cs_daemon_page_close(&w);
	if (w.alerter) {
		if (cs_alerter_flush(w.alerter, 5000))
			cs_warn("alerts still queued at shutdown were dropped");
		cs_alerter_free(w.alerter);
	}
	cs_metrics_free(w.metrics);
	cs_sync_share_stop(w.share);
	cs_daemon_lease_keeper_free(w.leases);
	cs_sched_release(&w.sched);
	cs_dconfig_release(&w.cfg);
	cs_store_close(w.st);
	free(w.last);
	free(ids.v);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.page_mu);
	pthread_mutex_destroy(&w.mu);
	return rc;
}
