/* The status page (web/web.h) and the giving report (web/report.h) as the
 * endpoint serves them, on the endpoint's thread, through a store
 * connection of its own (the loop's is not shared across threads), opened
 * at the first request and opened again after a failure. The status page
 * reads small tables; the report's figures are read on the loader's thread
 * (daemon_report.c), and a request reads only the runs key they are kept
 * under. The intervals come from the running config, read under the
 * worker's mutex as a SIGHUP may swap it. Never blocks the loop for longer
 * than one interval lookup. */
#include "daemon/daemon_int.h"

#include "health/health.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "web/report.h"
#include "web/web.h"

#include <stdio.h>
#include <unistd.h>

#define PAGE_REFRESH_S 30
static long interval_of(void *ctx, long long org, int kind)
{
	cs_daemon_worker *w = ctx;
	pthread_mutex_lock(&w->mu);
	long ms = cs_dconfig_interval_ms(&w->cfg, org, kind);
	pthread_mutex_unlock(&w->mu);
	return ms;
}

static void daemon_line(const cs_daemon_worker *w, int64_t now, char *out, size_t n)
{
	char up[32], beat[32];
	cs_health_fmt_age(now - w->a->started_ms, up, sizeof(up));
	cs_health_fmt_age(now - atomic_load(&w->heartbeat_ms), beat, sizeof(beat));
	snprintf(out, n, "supervisor pid %ld, worker pid %ld, up %s, %d restart(s), heartbeat %s ago",
		 w->a->sup_pid, (long)getpid(), up, w->a->restarts, beat);
}

/* The page's connection, opened at the first request (under page_mu). */
static int page_store(cs_daemon_worker *w, cs_err *err)
{
	return w->page_st ? 0 : cs_store_open(w->a->o->cfg, &w->page_st, err);
}

int cs_daemon_page(void *ctx, cs_buf *out)
{
	cs_daemon_worker *w = ctx;
	cs_err err = {0};
	int rc = 0;
	char line[200];
	int64_t now = cs_time_now_ms();
	daemon_line(w, now, line, sizeof(line));
	pthread_mutex_lock(&w->page_mu);
	rc = page_store(w, &err);
	if (rc == 0) {
		cs_web_source src = {w->page_st, now, interval_of, w, line, PAGE_REFRESH_S};
		rc = cs_web_status_page(&src, out, &err);
	}
	if (rc) {
		cs_warn("cannot render the status page: %s", err.msg);
		cs_store_close(w->page_st); /* a connection that failed is opened anew */
		w->page_st = NULL;
	}
	pthread_mutex_unlock(&w->page_mu);
	return rc ? CS_ERR : 0;
}

int cs_daemon_report(void *ctx, long long org, cs_buf *out)
{
	cs_daemon_worker *w = ctx;
	cs_err err = {0};
	uint64_t key = 0;
	/* the runs key is small tables, read here; the figures never are */
	pthread_mutex_lock(&w->page_mu);
	int rc = page_store(w, &err);
	if (rc == 0)
		rc = cs_web_report_runs_key(w->page_st, org, &key, &err);
	if (rc && rc != CS_ENOTFOUND) {
		cs_store_close(w->page_st); /* a connection that failed is opened anew */
		w->page_st = NULL;
	}
	pthread_mutex_unlock(&w->page_mu);
	if (rc == 0)
		rc = cs_daemon_reports_serve(w->reports, org, key, out, &err);
	if (rc < 0 && rc != CS_ENOTFOUND)
		cs_warn("cannot render the giving report: %s", err.msg);
	return rc == CS_ENOTFOUND ? CS_ENOTFOUND : rc < 0 ? CS_ERR : rc;
}

void cs_daemon_page_close(cs_daemon_worker *w)
{
	pthread_mutex_lock(&w->page_mu);
	cs_store_close(w->page_st);
	w->page_st = NULL;
	pthread_mutex_unlock(&w->page_mu);
	cs_daemon_reports_stop(w->reports);
	w->reports = NULL;
}
