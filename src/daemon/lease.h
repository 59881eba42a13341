#ifndef CS_DAEMON_LEASE_H
#define CS_DAEMON_LEASE_H
/* Holding sync leases (store sync_leases) for the length of a run.
 *
 * A keeper owns its own store handle and a thread that renews every lease
 * it holds every ttl/4, so a lease outlives a slow page (a throttled API, a
 * long retry) yet a crashed process's lease expires within ttl. Acquire and
 * release go through the same handle under the keeper's lock, so a keeper is
 * safe to share between the threads of one process (the daemon's jobs).
 *
 * Job names are cs_sched_job_kind_name(): entity names, and "plugins". Holders
 * are "daemon" and "manual sync"; with the pid they say who runs a job. */
#include "store/store.h"
#include "util/config.h"
#include "util/err.h"

/* CLASSY_SYNC_LEASE_TTL's default, and what a keeper asked for less than 5 ms gets */
#define CS_DAEMON_LEASE_TTL_MS 120000L

typedef struct cs_daemon_lease_keeper cs_daemon_lease_keeper;

/* Opens a store handle on cfg's database and starts the renewal thread. */
int cs_daemon_lease_keeper_new(const cs_config *cfg, const char *holder, long ttl_ms,
			       cs_daemon_lease_keeper **out, cs_err *err);
void cs_daemon_lease_keeper_free(cs_daemon_lease_keeper *k); /* releases what it still holds */

/* 0: held (and renewed until released). CS_ECONFLICT: someone else holds
 * it, *held_by says who. Other negative codes: the store failed. */
int cs_daemon_lease_take(cs_daemon_lease_keeper *k, long long org, const char *job,
			 cs_lease_info *held_by, cs_err *err);
void cs_daemon_lease_drop(cs_daemon_lease_keeper *k, long long org, const char *job);

/* "the daemon (pid 1234)" / "a manual sync (pid 99) on host x" for messages. */
void cs_daemon_lease_describe(const cs_lease_info *li, char *out, size_t outsz);

#endif
