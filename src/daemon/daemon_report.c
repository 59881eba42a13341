/* The giving report's figures for the endpoint (web/report.h), read on a
 * thread of their own so that /report never holds the endpoint's one
 * thread: a cold read takes seconds at 1M transactions, and meanwhile
 * /healthz could not answer (a probe would restart a healthy daemon).
 *
 * The endpoint's thread only renders what is kept: fresh figures as they
 * are; stale ones (a run finished since, or older than the ttl) marked as
 * being refreshed, with a reload queued; none at all as a 503 with
 * Retry-After, the load queued. The loader has its own store connection
 * (opened at its first load, again after a failure) and a bounded queue:
 * a flood of selections waits at the door (503) instead of in memory. Each
 * load is keyed by the runs key read before it, so a run that ends during
 * a load leaves the figures stale, never wrongly fresh.
 *
 * At start the loader reads every organization together, then each
 * registered org in turn while no request waits (as many as the cache
 * keeps): a person who opens any org's report after that finds it read.
 * Idle, it closes its connection: a read maps the database file into
 * memory (CS_CTRL_READER), and the mapping goes with the connection.
 *
 * Never reads a figure on the endpoint's thread, never holds its mutex
 * while reading, never queues one selection twice. */
#include "daemon/daemon_int.h"

#include "util/log.h"
#include "util/timeutil.h"
#include "web/report.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Selections waiting or being read; one request queues at most one. */
#define QUEUE_MAX 8
/* How often the test hook looks at its file again. */
#define HOLD_POLL_MS 50
/* Figures are read again after a run starts or ends, and at least this
 * often (what no run records: an edited threshold, rows written by SQL). */
#define REPORT_TTL_MS (5 * 60 * 1000)

struct cs_daemon_reports {
	const cs_config *cfg;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	int stop;
	long long queue[QUEUE_MAX]; /* [0] is being read, then dropped */
	int n;
	long long failed[QUEUE_MAX]; /* loads that failed, until a request sees it */
	int nfailed;
	/* orgs read ahead while nothing waits, listed once by the first read
	 * of every org together; the cache keeps them and that selection */
	long long ahead[CS_WEB_REPORT_CACHE_SLOTS - 1];
	int nahead, listed;
	cs_web_report_cache *cache; /* under mu */
	cs_store *st;               /* the loader thread's only */
	cs_store_reader reader;     /* stops a read when the daemon stops */
	atomic_int stopping;
	char *hold;                 /* CLASSY_SYNC_TEST_REPORT_HOLD, or NULL */
};

static int queued(const long long *v, int n, long long org)
{
	for (int i = 0; i < n; i++)
		if (v[i] == org)
			return i;
	return -1;
}

static void drop_at(long long *v, int *n, int i)
{
	for (--*n; i < *n; i++)
		v[i] = v[i + 1];
}

/* Queues org's load unless it waits already (under mu). */
static void enqueue(cs_daemon_reports *L, long long org)
{
	if (queued(L->queue, L->n, org) >= 0)
		return;
	if (L->n == QUEUE_MAX) {
		cs_debug("giving report: %d loads queued, org %lld waits for a later request",
			 QUEUE_MAX, org);
		return;
	}
	L->queue[L->n++] = org;
	pthread_cond_broadcast(&L->cv);
}

static void wait_ms(cs_daemon_reports *L, int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&L->cv, &L->mu, &ts);
}

/* Test-only (CLASSY_SYNC_TEST_REPORT_HOLD=FILE): a load waits while FILE
 * exists, so a test can hold one in progress and probe the endpoint. */
static void hold(cs_daemon_reports *L)
{
	if (!L->hold)
		return;
	pthread_mutex_lock(&L->mu);
	while (!L->stop && access(L->hold, F_OK) == 0)
		wait_ms(L, HOLD_POLL_MS);
	pthread_mutex_unlock(&L->mu);
}

/* Reads org's figures with the runs key before them (no lock held). */
static int load(cs_daemon_reports *L, long long org, uint64_t *key, cs_web_report **r,
		cs_err *err)
{
	int rc = L->st ? 0 : cs_store_open(L->cfg, &L->st, err);
	if (rc == 0)
		rc = cs_web_report_runs_key(L->st, org, key, err);
	if (rc == 0) {
		cs_web_report_source src = {L->st, cs_time_now_ms(), org, 0, &L->reader};
		rc = cs_web_report_load(&src, r, err);
	}
	if (rc && rc != CS_ENOTFOUND) { /* a connection that failed is opened anew */
		cs_store_close(L->st);
		L->st = NULL;
	}
	return rc;
}

/* Says how long a load took: the figure an operator weighs the TTL against. */
static void log_loaded(long long org, int64_t at)
{
	long long ms = (long long)(cs_time_now_ms() - at);
	if (org)
		cs_info("giving report: read the figures of org %lld in %lld ms", org, ms);
	else
		cs_info("giving report: read the figures of all organizations in %lld ms", ms);
}

/* Queues the next org to read ahead whose figures are not kept yet;
 * 0 when none is left (under mu). */
static int read_ahead(cs_daemon_reports *L)
{
	while (L->nahead > 0) {
		long long org = L->ahead[0];
		int state;
		drop_at(L->ahead, &L->nahead, 0);
		if (!cs_web_report_cache_get(L->cache, org, 0, cs_time_now_ms(), REPORT_TTL_MS,
					     &state)) {
			enqueue(L, org);
			return 1;
		}
	}
	return 0;
}

static void *loader_main(void *arg)
{
	cs_daemon_reports *L = arg;
	pthread_mutex_lock(&L->mu);
	while (!L->stop) {
		if (L->n == 0 && read_ahead(L))
			continue;
		if (L->n == 0 && L->st) { /* idle: the mapping and cache go */
			cs_store *st = L->st;
			L->st = NULL;
			pthread_mutex_unlock(&L->mu);
			cs_store_close(st);
			pthread_mutex_lock(&L->mu);
			continue;
		}
		if (L->n == 0) {
			pthread_cond_wait(&L->cv, &L->mu);
			continue;
		}
		long long org = L->queue[0];
		pthread_mutex_unlock(&L->mu);
		hold(L);
		uint64_t key = 0;
		cs_web_report *r = NULL;
		cs_err err = {0};
		int64_t at = cs_time_now_ms();
		int rc = atomic_load(&L->stopping) ? CS_EINTR : load(L, org, &key, &r, &err);
		if (rc && rc != CS_EINTR)
			cs_warn("cannot read the giving report's figures: %s", err.msg);
		else if (rc == 0)
			log_loaded(org, at);
		pthread_mutex_lock(&L->mu);
		if (rc == 0 && org == 0 && !L->listed) {
			L->nahead = (int)cs_web_report_org_ids(r, L->ahead, CS_WEB_REPORT_CACHE_SLOTS - 1);
			L->listed = 1;
		}
		if (rc == 0)
			cs_web_report_cache_put(L->cache, org, key, at, r);
		else if (L->nfailed < QUEUE_MAX && queued(L->failed, L->nfailed, org) < 0)
			L->failed[L->nfailed++] = org;
		drop_at(L->queue, &L->n, 0);
	}
	pthread_mutex_unlock(&L->mu);
	return NULL;
}

/* A stop need not wait out a read of seconds: the store asks this now and
 * then during the read (cs_store_reader). */
static int stopping(void *ctx)
{
	cs_daemon_reports *L = ctx;
	return atomic_load(&L->stopping);
}

int cs_daemon_reports_start(const cs_config *cfg, cs_daemon_reports **out, cs_err *err)
{
	cs_daemon_reports *L = calloc(1, sizeof(*L));
	const char *h = getenv("CLASSY_SYNC_TEST_REPORT_HOLD");
	*out = NULL;
	if (!L)
		return cs_err_set(err, CS_ERR, "cannot start the giving report's loader: out of "
						"memory");
	L->cfg = cfg;
	L->reader = (cs_store_reader){stopping, L};
	/* the default selection is read at start, so the first person to open
	 * /report sees it at once rather than the page that waits for it */
	L->queue[L->n++] = 0;
	pthread_mutex_init(&L->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&L->cv, &ca);
	pthread_condattr_destroy(&ca);
	int e = 0;
	if (!(L->cache = cs_web_report_cache_new()) || (h && *h && !(L->hold = strdup(h))))
		e = ENOMEM;
	else if (!(e = pthread_create(&L->thread, NULL, loader_main, L)))
		L->started = 1;
	if (e) {
		cs_daemon_reports_stop(L);
		return cs_err_set(err, CS_ERR, "cannot start the giving report's loader: %s",
				  strerror(e));
	}
	*out = L;
	return 0;
}

int cs_daemon_reports_serve(cs_daemon_reports *L, long long org, uint64_t key, cs_buf *out,
			    cs_err *err)
{
	int state, rc;
	pthread_mutex_lock(&L->mu);
	const cs_web_report *r =
		cs_web_report_cache_get(L->cache, org, key, cs_time_now_ms(), REPORT_TTL_MS,
					&state);
	int failed = r ? -1 : queued(L->failed, L->nfailed, org);
	if (failed >= 0) { /* said once; the next request tries again */
		drop_at(L->failed, &L->nfailed, failed);
		rc = cs_err_set(err, CS_ERR, "the last read of its figures failed");
	} else if (state == CS_WEB_REPORT_MISSING) {
		enqueue(L, org);
		rc = cs_web_report_wait_page(org, out, err);
		rc = rc ? rc : CS_WEB_REPORT_RETRY_S;
	} else {
		if (state == CS_WEB_REPORT_STALE)
			enqueue(L, org);
		rc = cs_web_report_render(r, state == CS_WEB_REPORT_STALE ? CS_WEB_REPORT_REFRESHING : 0,
					  out, err);
	}
	pthread_mutex_unlock(&L->mu);
	return rc;
}

void cs_daemon_reports_stop(cs_daemon_reports *L)
{
	if (!L)
		return;
	/* a load in progress is stopped within about a millisecond (SQLite;
	 * a server's statement runs to its end) */
	atomic_store(&L->stopping, 1);
	pthread_mutex_lock(&L->mu);
	L->stop = 1;
	pthread_cond_broadcast(&L->cv);
	pthread_mutex_unlock(&L->mu);
	if (L->started)
		pthread_join(L->thread, NULL);
	pthread_cond_destroy(&L->cv);
	pthread_mutex_destroy(&L->mu);
	cs_store_close(L->st);
	cs_web_report_cache_free(L->cache);
	free(L->hold);
	free(L);
}
