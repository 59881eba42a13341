#ifndef CS_DCONFIG_H
#define CS_DCONFIG_H
/* daemon-config.json: what `classy-sync daemon` runs and how often.
 *
 * One table in dconfig.c drives parsing, defaults, validation, the effective
 * config dump and the key reference (cs_dconfig_visit_keys). The keys, their
 * defaults and ranges (durations in milliseconds):
 *
 *   syncIntervals.supporters       1800000  1000..604800000  org override
 *   syncIntervals.transactions      900000  1000..604800000  org override
 *   syncIntervals.campaigns        3600000  1000..604800000  org override
 *   syncIntervals.recurringPlans   3600000  1000..604800000  org override
 *   syncIntervals.plugins          3600000  1000..604800000  org override
 *   healthCheck.interval            300000  1000..86400000
 *   healthCheck.alertOnFailure        true
 *   autoRestart.enabled               true
 *   autoRestart.maxRestarts              5  1..100
 *   autoRestart.restartDelay         30000  0..86400000
 *   autoRestart.window              600000  1000..604800000  maxRestarts is counted in it
 *   nightlyFullSync                "03:00"  "HH:MM" UTC, "" or null = off; org override
 *   maxConcurrentJobs                    2  1..16, jobs running at once across orgs
 *   alerts.consecutiveFailures           3  1..1000
 *   alerts.cooldown                3600000  0..604800000, between two alerts of one job
 *   alerts.staleFactor                   2  1..100, stale when the last success is older
 *                                           than staleFactor x interval
 *   organizations                       {}  {"1001": {syncIntervals.*, enabled,
 *                                           nightlyFullSync}}; enabled defaults to true
 *
 * Absent keys take their default, so "{}" is a complete config. Unknown keys
 * (at any depth), wrong types and out-of-range values are CS_EUSAGE errors
 * naming the full key path, the value and what is allowed.
 *
 * Reload on SIGHUP: the loaders build the new config privately and touch
 * *out only on success, so the daemon parses into a second struct and swaps
 * it in only when that worked; a bad edit leaves the running config alone:
 *
 *     cs_dconfig next;
 *     if (cs_dconfig_load(path, &next, &err) == 0) {
 *             cs_sched_reload(&sched, &next, orgs, norgs, now);
 *             cs_dconfig_release(&cur);
 *             cur = next;          // plain struct copy: ownership moves
 *     } else {
 *             log the error, keep cur
 *     }
 */
#include "model/entity.h"
#include "util/err.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdio.h>

/* A scheduled job's kind is an entity (enum cs_entity_id, a sync) or the
 * push plugins run that follows them. */
#define CS_SCHED_JOB_PLUGINS CS_ENT_COUNT
#define CS_SCHED_JOB_KINDS (CS_ENT_COUNT + 1)

/* nightlyFullSync switched off. */
#define CS_DCONFIG_OFF (-1L)
/* In a cs_dconfig_org: the key was not given, the global value applies. */
#define CS_DCONFIG_INHERIT (-2L)

#define CS_DCONFIG_MAX_BYTES ((size_t)1 << 20)

/* Per-organization overrides, from organizations."<org id>". */
typedef struct cs_dconfig_org {
	long long org_id;
	long interval_ms[CS_SCHED_JOB_KINDS]; /* by job kind, or CS_DCONFIG_INHERIT */
	long enabled;                   /* 1, 0, or CS_DCONFIG_INHERIT (= enabled) */
	long nightly_minute;            /* minute of the UTC day, CS_DCONFIG_OFF, or INHERIT */
} cs_dconfig_org;

/* Every value is a long so one table can address them all by offset;
 * booleans are 0/1. */
typedef struct cs_dconfig {
	long interval_ms[CS_SCHED_JOB_KINDS]; /* syncIntervals.*, indexed by job kind */
	long health_interval_ms;
	long health_alert_on_failure;
	long restart_enabled;
	long restart_max;
	long restart_delay_ms;
	long restart_window_ms;
	long nightly_minute; /* nightlyFullSync as minute of the UTC day, or CS_DCONFIG_OFF */
	long max_concurrent_jobs;
	long alert_consecutive_failures;
	long alert_cooldown_ms;
	long alert_stale_factor;
	cs_dconfig_org *orgs; /* sorted by org_id, owned */
	size_t norgs;
} cs_dconfig;

/* Reads and parses the file at path. A missing file is CS_ENOTFOUND naming
 * the path; other read failures are CS_EIO; anything wrong inside is
 * CS_EUSAGE. *out is written only on success. */
int cs_dconfig_load(const char *path, cs_dconfig *out, cs_err *err);

/* cs_dconfig_load, or the built-in defaults when path is NULL or "". */
int cs_dconfig_load_or_defaults(const char *path, cs_dconfig *out, cs_err *err);

/* The file the commands read when --config is not given: in the working
 * directory, and only when it exists. */
#define CS_DCONFIG_DEFAULT_FILE "daemon-config.json"

/* given when not NULL, else CS_DCONFIG_DEFAULT_FILE when it exists, else
 * NULL (the built-in defaults apply). */
const char *cs_dconfig_pick(const char *given);

/* Parses JSON text; source_name (a path, or "<string>") goes into messages.
 * *out is written only on success; the caller then owns it. */
int cs_dconfig_parse(const char *json_text, const char *source_name, cs_dconfig *out,
		     cs_err *err);

/* The built-in defaults (what "{}" gives). */
void cs_dconfig_defaults(cs_dconfig *out);

/* Frees the per-org table and zeroes the struct. NULL is a no-op. */
void cs_dconfig_release(cs_dconfig *cfg);

/* The interval of a job kind for an org: its override, else the global value.
 * Returns 0 for a kind out of range. */
long cs_dconfig_interval_ms(const cs_dconfig *cfg, long long org_id, int kind);

/* 1 unless organizations."<org_id>".enabled is false. */
int cs_dconfig_org_enabled(const cs_dconfig *cfg, long long org_id);

/* nightlyFullSync for an org as minute of the UTC day, or CS_DCONFIG_OFF. */
long cs_dconfig_nightly_minute(const cs_dconfig *cfg, long long org_id);

/* The override entry of an org, or NULL when the file has none. */
const cs_dconfig_org *cs_dconfig_org_find(const cs_dconfig *cfg, long long org_id);

/* The effective config, in the file's shape (same key paths; every key
 * present; organizations with their resolved values). Caller frees with
 * cJSON_Delete. NULL when out of memory. */
cJSON *cs_dconfig_to_json(const cs_dconfig *cfg);

/* The key reference, for docs and `daemon config --keys`. */
typedef struct cs_dconfig_keyinfo {
	const char *path; /* "syncIntervals.supporters", "organizations" */
	const char *type; /* "milliseconds", "integer", "boolean", "HH:MM", "object" */
	const char *def;  /* default as JSON text: "1800000", "true", "\"03:00\"" */
	const char *range; /* "1000..604800000", or "" */
	int per_org;      /* may also appear under organizations."<id>" */
	int org_only;     /* appears only there */
	const char *help;
} cs_dconfig_keyinfo;

typedef void (*cs_dconfig_key_fn)(const cs_dconfig_keyinfo *key, void *ctx);
void cs_dconfig_visit_keys(cs_dconfig_key_fn fn, void *ctx);

/* Writes the key reference as a Markdown table (as in docs/ARCHITECTURE.md). */
void cs_dconfig_keys_markdown(FILE *out);

/* "campaigns", "supporters", "transactions", "recurring_plans", "plugins";
 * "unknown" out of range. */
const char *cs_sched_job_kind_name(int kind);

#endif
