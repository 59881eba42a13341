#ifndef CS_SCHEDULE_H
#define CS_SCHEDULE_H
/* The scheduler's pure core: a timetable of jobs and the rules that decide
 * which may start. No threads, no sleeping and no clock of its own: every
 * call takes the time, so tests drive it with a fake clock and the daemon
 * loop with cs_time_now_ms(). The loop is
 *
 *     for (;;) {
 *             now = cs_time_now_ms();
 *             while (cs_sched_next(&s, now, &job) > 0)
 *                     launch(job);               // already marked running
 *             wait until cs_sched_wake_ms(&s, now), a job ending, or a signal;
 *             for each job that ended: cs_sched_finished(job, now, exit code, ms);
 *     }
 *
 * A job is (org, kind); kind is an entity (a sync) or CS_SCHED_JOB_PLUGINS. Rules:
 *  - at most maxConcurrentJobs run at once, across orgs;
 *  - within one org jobs run one at a time, in the order campaigns,
 *    supporters, transactions, recurring_plans, plugins: a due job waits
 *    while another job of its org runs or an earlier kind of its org is due,
 *    but once only: a job that was already due when its org last started
 *    another goes before every kind that was not, so a job whose siblings
 *    are always due (an overloaded daemon, short intervals) never starves;
 *  - orgs run in parallel up to the cap; among startable jobs the one due
 *    first goes first, so no org starves another;
 *  - a job is never started while its previous run is going. When it falls
 *    due again during that run (the run is longer than its interval), that
 *    turn is skipped: skipped_overlap counts it and an info line says so;
 *  - the next run is due one interval after the previous one FINISHED, so a
 *    slow run (a long backfill, a throttled API) stretches the cycle instead
 *    of queueing runs back to back, and the gap between two runs of a job
 *    never shrinks below its interval;
 *  - once a UTC day at nightlyFullSync each entity job of an org is owed a
 *    full reconciliation; it runs at the next start of that job, which then
 *    carries full = 1 (plugins are not part of it).
 */
#include "sched/dconfig.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Outcome of a run: the sync command's exit code. */
enum cs_sched_job_status {
	CS_SCHED_JOB_NEVER = -1, /* has not finished a run yet */
	CS_SCHED_JOB_OK = 0,
	CS_SCHED_JOB_FAILED = 1,
	CS_SCHED_JOB_PARTIAL = 3
};

/* cs_sched_wake_ms when no timer is needed: only a job ending (or a reload)
 * can make something startable. */
#define CS_SCHED_NEVER INT64_MAX

/* At most this long a fresh start spreads the first runs over. */
#define CS_SCHED_STAGGER_MS 60000

typedef struct cs_sched_job {
	long long org_id;
	int kind; /* enum cs_entity_id, or CS_SCHED_JOB_PLUGINS */
	long interval_ms;
	int64_t next_due_ms; /* while running: when this run's turn would come round again */
	int running;
	int full;          /* the current (or last) run is the nightly full reconciliation */
	int full_pending;  /* a full run is owed; the next start takes it */
	int retired;       /* its org left the timetable on reload while it ran */
	int64_t started_ms;
	int64_t last_finish_ms;   /* 0: never finished */
	int64_t last_success_ms;  /* 0: never succeeded */
	int64_t last_duration_ms; /* -1: never finished */
	int last_status;          /* enum cs_sched_job_status */
	int consecutive_failures; /* failed or partial runs since the last success */
	long long skipped_overlap;
	long long runs;
} cs_sched_job;

/* Nightly state of one org in the timetable. */
typedef struct cs_sched_org {
	long long org_id;
	long nightly_minute;   /* minute of the UTC day, or CS_DCONFIG_OFF */
	int64_t last_full_day; /* UTC day number (ms / 86400000) of the last trigger */
} cs_sched_org;

typedef struct cs_sched {
	/* Each job is its own allocation, so a cs_sched_job * handed to the loop stays
	 * valid across cs_sched_reload until that run finishes. Live jobs are
	 * grouped by org, in kind order; retired ones follow them. */
	cs_sched_job **jobs;
	size_t njobs;
	cs_sched_org *orgs;
	size_t norgs;
	long max_running;
} cs_sched;

/* Builds the timetable for every enabled org in org_ids (duplicates ignored)
 * times the five kinds. The config is copied from, never kept.
 * First runs are staggered: with N jobs in timetable order, job i is first
 * due at now + i * min(interval_i, CS_SCHED_STAGGER_MS) / N, so a start
 * spreads its jobs over at most a minute, each inside its own first interval.
 * No nightly full run is owed at start: the first one comes at the next
 * nightlyFullSync time. Returns 0, or CS_ERR when out of memory. */
int cs_sched_init(cs_sched *s, const cs_dconfig *cfg, const long long *org_ids, size_t norgs,
		  int64_t now_ms);
void cs_sched_release(cs_sched *s);

/* Picks the next job that is due and may start now (rules above), marks it
 * running (cs_sched_started) and returns 1 with *out set; the caller must
 * call cs_sched_finished on it exactly once, even when launching it failed.
 * Returns 0 with *out = NULL when nothing may start. Also records owed
 * nightly runs (cs_sched_full_due) and overlapped turns, and frees retired
 * jobs whose run has ended. */
int cs_sched_next(cs_sched *s, int64_t now_ms, cs_sched_job **out);

/* When the loop should wake: the earliest time a job becomes startable or a
 * nightly run falls due, never before now_ms. CS_SCHED_NEVER when only a
 * job ending can help (every slot taken, or every org busy). */
int64_t cs_sched_wake_ms(const cs_sched *s, int64_t now_ms);

/* Marks a job running; for a run started outside cs_sched_next (a manual
 * "run now"). Returns CS_ECONFLICT when it is already running. */
int cs_sched_started(cs_sched_job *job, int64_t now_ms);

/* Records the end of a run: status is the run's exit code (0 success,
 * 3 partial, anything else failed), duration from a monotonic clock. The
 * next run is due at now_ms + interval, or at once when a nightly full run
 * became owed meanwhile. Returns CS_ERR when the job was not running. */
int cs_sched_finished(cs_sched_job *job, int64_t now_ms, int status, int64_t duration_ms);

/* For each org whose nightlyFullSync time of the current UTC day has passed
 * and has not fired yet today, marks its entity jobs full_pending and makes
 * them due. Returns the number of orgs that fired. */
int cs_sched_full_due(cs_sched *s, int64_t now_ms);

/* Applies a new config and org list without losing state: running jobs keep
 * running (a running job whose org went away is retired and dropped when it
 * ends), history is kept, next due times are recomputed from each job's last
 * finish with the new interval, new jobs are staggered as in init. On
 * CS_ERR (out of memory) the timetable is unchanged. */
int cs_sched_reload(cs_sched *s, const cs_dconfig *cfg, const long long *org_ids, size_t norgs,
		    int64_t now_ms);

/* The job of (org, kind) in the live timetable, or NULL. */
cs_sched_job *cs_sched_find(const cs_sched *s, long long org_id, int kind);
/* Jobs running now. */
size_t cs_sched_running(const cs_sched *s);

/* For `daemon schedule --json` (a stable contract, docs/ARCHITECTURE.md):
 * {"now", "max_concurrent_jobs", "running", "jobs": [{"org", "kind",
 * "interval_ms", "next_run", "next_full_run", "last_run", "last_duration_ms",
 * "last_status", "running", "full", "full_pending", "consecutive_failures",
 * "skipped_overlap", "runs"}]}. Times are ISO 8601 UTC or null. */
cJSON *cs_sched_to_json(const cs_sched *s, int64_t now_ms);

#endif
