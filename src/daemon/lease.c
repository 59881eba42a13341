/* The lease keeper (lease.h): the sync leases one process holds, renewed
 * every ttl/4 by one thread over its own store handle, for the daemon's
 * jobs and for a manual sync alike.
 *
 * Never waits for a lease: taking one that is held elsewhere fails at once
 * (CS_ECONFLICT) and the caller skips that turn. Never keeps a lease past
 * free: whatever is still held is released there. */
#include "daemon/lease.h"
#include "util/proc.h"
#include "util/buf.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct held {
	long long org;
	char job[32];
} held;

struct cs_daemon_lease_keeper {
	cs_store *st;
	char holder[64];
	long ttl_ms;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int stop;
	held *v;
	size_t n, cap;
};

/* The keeper's own connection may have died with a database restart: one
 * reconnect, then the caller tries its call again (true when it may). */
static int reconnected(cs_daemon_lease_keeper *k, int rc)
{
	cs_err err = {0};
	if (rc != CS_EDBCONN)
		return 0;
	if (k->st->ctrl(k->st, CS_CTRL_RECONNECT, NULL, &err) == 0)
		return 1;
	cs_warn("lease keeper: cannot reconnect to the database: %s", err.msg);
	return 0;
}

static void *renew_main(void *arg)
{
	cs_daemon_lease_keeper *k = arg;
	pthread_mutex_lock(&k->mu);
	while (!k->stop) {
		struct timespec ts = cs_time_deadline_in(CLOCK_MONOTONIC, k->ttl_ms / 4);
		pthread_cond_timedwait(&k->cv, &k->mu, &ts);
		if (k->stop)
			break;
		for (size_t i = 0; i < k->n; i++) {
			cs_err err = {0};
			int rc = k->st->lease_renew(k->st, k->v[i].org, k->v[i].job, k->holder,
						    k->ttl_ms, &err);
			if (reconnected(k, rc))
				rc = k->st->lease_renew(k->st, k->v[i].org, k->v[i].job, k->holder,
							k->ttl_ms, &err);
			if (rc)
				cs_warn("cannot renew the lease on %s of organization %lld: %s",
					k->v[i].job, k->v[i].org, err.msg);
		}
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

int cs_daemon_lease_keeper_new(const cs_config *cfg, const char *holder, long ttl_ms,
			       cs_daemon_lease_keeper **out, cs_err *err)
{
	*out = NULL;
	cs_daemon_lease_keeper *k = calloc(1, sizeof(*k));
	if (!k)
		return cs_err_set(err, CS_ERR, "out of memory");
	snprintf(k->holder, sizeof(k->holder), "%s", holder);
	k->ttl_ms = ttl_ms > 4 ? ttl_ms : CS_DAEMON_LEASE_TTL_MS;
	int rc = cs_store_open(cfg, &k->st, err);
	if (rc) {
		free(k);
		return rc;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&k->mu, NULL);
	if (pthread_create(&k->thread, NULL, renew_main, k)) {
		pthread_cond_destroy(&k->cv);
		pthread_mutex_destroy(&k->mu);
		cs_store_close(k->st);
		free(k);
		return cs_err_set(err, CS_ERR, "cannot start the lease renewal thread");
	}
	*out = k;
	return 0;
}

void cs_daemon_lease_keeper_free(cs_daemon_lease_keeper *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->mu);
	k->stop = 1;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->thread, NULL);
	for (size_t i = 0; i < k->n; i++) {
		cs_err err = {0};
		k->st->lease_release(k->st, k->v[i].org, k->v[i].job, k->holder, &err);
	}
	free(k->v);
	cs_store_close(k->st);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

int cs_daemon_lease_take(cs_daemon_lease_keeper *k, long long org, const char *job,
			 cs_lease_info *held_by, cs_err *err)
{
	pthread_mutex_lock(&k->mu);
	int rc;
	held *v = cs_buf_grow_array(k->v, &k->cap, k->n, sizeof(*v), 8);
	if (!v) {
		rc = cs_err_set(err, CS_ERR, "out of memory");
		goto out;
	}
	k->v = v;
	rc = k->st->lease_acquire(k->st, org, job, k->holder, k->ttl_ms, held_by, err);
	if (reconnected(k, rc))
		rc = k->st->lease_acquire(k->st, org, job, k->holder, k->ttl_ms, held_by, err);
	if (rc == 0) {
		k->v[k->n].org = org;
		snprintf(k->v[k->n].job, sizeof(k->v[k->n].job), "%s", job);
		k->n++;
	}
out:
	pthread_mutex_unlock(&k->mu);
	return rc;
}

void cs_daemon_lease_drop(cs_daemon_lease_keeper *k, long long org, const char *job)
{
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < k->n; i++) {
		if (k->v[i].org != org || strcmp(k->v[i].job, job))
			continue;
		cs_err err = {0};
		int rc = k->st->lease_release(k->st, org, job, k->holder, &err);
		if (reconnected(k, rc))
			rc = k->st->lease_release(k->st, org, job, k->holder, &err);
		if (rc)
			cs_warn("cannot release the lease on %s of organization %lld: %s", job, org,
				err.msg);
		k->v[i] = k->v[--k->n];
		break;
	}
	pthread_mutex_unlock(&k->mu);
}

void cs_daemon_lease_describe(const cs_lease_info *li, char *out, size_t outsz)
{
	char host[128];
	cs_proc_host_name(host, sizeof(host));
	const char *who = !strcmp(li->holder, "daemon") ? "the daemon"
			  : !strcmp(li->holder, "manual sync") ? "a manual sync"
							       : li->holder;
	if (strcmp(host, li->host))
		snprintf(out, outsz, "%s (pid %lld on %s)", who, li->pid, li->host);
	else
		snprintf(out, outsz, "%s (pid %lld)", who, li->pid);
}
