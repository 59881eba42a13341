#ifndef CS_DAEMON_INT_H
#define CS_DAEMON_INT_H
/* Shared by the daemon's files; not for use outside src/daemon. The files
 * call downwards only:
 *   daemon_supervisor.c  starting, detaching, the supervisor
 *   daemon_control.c     paths, pidfile, stop, status file (for commands)
 *   daemon_worker.c      the worker: its loop, signals, setup
 *   daemon_status.c      status file, finished jobs, history
 *   daemon_alerts.c      alert records and conditions
 *   daemon_job.c         a job's thread, the stop flag
 *   daemon_page.c        the status page and the report's requests
 *   daemon_report.c      the report's loader thread and kept figures
 *   lease.c, notify.c    the lease keeper, systemd notify */
#include "alert/alert.h"
#include "daemon/daemon.h"
#include "daemon/lease.h"
#include "httpd/httpd.h"
#include "httpd/metrics.h"
#include "sched/dconfig.h"
#include "sched/schedule.h"
#include "store/store.h"
#include "sync/share.h"
#include "sync/sync.h"

#include <pthread.h>
#include <stdatomic.h>

/* Worker exit codes the supervisor acts on. */
#define CS_DAEMON_WORKER_STOPPED 0 /* SIGTERM honoured: the supervisor exits too */
#define CS_DAEMON_WORKER_FATAL 2   /* cannot work at all (bad config, port in use): no restart */

/* What the supervisor hands its worker. */
typedef struct cs_daemon_worker_args {
	const cs_daemon_opts *o;
	const cs_daemon_paths *paths;
	long sup_pid;
	int restarts;
	int64_t started_ms; /* when the supervisor started */
	int ready_fd;       /* write "ok\n" or "error: ...\n" then close; -1 none */
} cs_daemon_worker_args;

int cs_daemon_worker_main(const cs_daemon_worker_args *a);

/* One run in flight. Fields below "progress" are written by the job thread
 * under the worker's mutex. */
typedef struct cs_daemon_job {
	struct cs_daemon_worker *w;
	cs_sched_job *job;
	long long org;
	int kind;
	int full;
	pthread_t thread;
	int64_t started_ms, started_mono;
	/* progress and result */
	long long records, pages;
	int done;
	int skipped;            /* the lease was held elsewhere */
	int status;             /* enum cs_sched_job_status */
	int run_status;         /* enum cs_run_status of the sync run */
	cs_http_stats http;
	char error[1024];
	struct cs_daemon_job *next;
} cs_daemon_job;

/* The last finished run of a job, for the status file. */
typedef struct cs_daemon_last {
	long long org;
	int kind;
	char status[16];
	long long records;
	int64_t finished_ms, duration_ms;
	char error[1024];
} cs_daemon_last;

typedef struct cs_daemon_worker {
	const cs_daemon_worker_args *a;
	cs_dconfig cfg;
	cs_sched sched;
	cs_store *st; /* the loop's own handle: orgs, alert records */
	cs_daemon_lease_keeper *leases;
	cs_sync_share *share; /* the request budget shared through the database, or NULL */
	cs_alerter *alerter; /* NULL when ALERT_WEBHOOK_URL is unset */
	cs_metrics *metrics;
	cs_httpd *httpd;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	int reload;
	cs_daemon_job *jobs; /* running and finished-not-yet-reaped */
	cs_daemon_last *last;
	size_t nlast, caplast;
	atomic_llong heartbeat_ms;
	int64_t next_health_ms;
	int db_ok;
	/* the status page's own connection (the endpoint's thread), opened at
	 * the first request */
	pthread_mutex_t page_mu;
	cs_store *page_st;
	struct cs_daemon_reports *reports; /* the giving report's loader, with --http */
} cs_daemon_worker;

/* daemon_job.c: the job thread, and the stop flag every job honours (set
 * by the worker's signal thread, read by the sync between pages) */
void *cs_daemon_job_main(void *arg);
void cs_daemon_request_stop(void);
int cs_daemon_should_stop(void);

/* daemon_alerts.c: alert records in the store, the observed conditions */
cs_alert_store cs_daemon_alert_store(cs_store *st); /* st may be NULL */
void cs_daemon_observe(cs_daemon_worker *w, int event, long long org, int kind, const char *detail,
		       int failures, int firing, int64_t now);
void cs_daemon_check_stale(cs_daemon_worker *w, int64_t now);
void cs_daemon_check_health(cs_daemon_worker *w, int64_t now);

/* daemon_page.c: the status page and giving report handlers, and their
 * connection */
int cs_daemon_page(void *ctx, cs_buf *out);
int cs_daemon_report(void *ctx, long long org, cs_buf *out);
void cs_daemon_page_close(cs_daemon_worker *w);

/* daemon_report.c: the giving report's figures, read on a thread of their
 * own (its own connection, a queue of a few loads) and kept between
 * requests. serve renders org's kept figures for a request, key being the
 * runs key now (web/report.h): 0 with the page (marked as being refreshed
 * when stale, and a reload queued), CS_WEB_REPORT_RETRY_S with a waiting
 * page when there are none yet (their load queued), negative when their
 * last load failed (said once) or rendering did. */
typedef struct cs_daemon_reports cs_daemon_reports;
int cs_daemon_reports_start(const cs_config *cfg, cs_daemon_reports **out, cs_err *err);
int cs_daemon_reports_serve(cs_daemon_reports *L, long long org, uint64_t key, cs_buf *out,
			    cs_err *err);
void cs_daemon_reports_stop(cs_daemon_reports *L); /* waits for a load in progress; NULL is fine */

/* daemon_status.c: the status file, finished jobs, the starting history */
int cs_daemon_write_status(cs_daemon_worker *w, const char *state);
void cs_daemon_job_done(cs_daemon_worker *w, cs_daemon_job *j, int64_t now);
void cs_daemon_seed_history(cs_daemon_worker *w);

#endif
