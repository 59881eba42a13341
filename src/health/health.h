#ifndef CS_HEALTH_H
#define CS_HEALTH_H
/* Health checks behind `classy-sync health` (and, later, the daemon's
 * periodic check): a table of components, each filling checks that are
 * healthy, warning or critical with a message, the time taken and (with
 * detailed) a recommendation. Nothing here prints.
 *
 * Local facts only (quick form): database, freshness, errors, org (the
 * status the most recent runs saw), daemon, plugin (its last push).
 * Live (detailed, or a plugin named explicitly): the org token fetch + API
 * GET and each plugin's own check, through hooks the caller provides (health/
 * does not link the API client or the plugins), run in parallel threads
 * with a timeout each.
 *
 * Thresholds (the pure rules below; README "health"):
 *   freshness  age of the last success > 2x interval warning, > 4x critical;
 *              never succeeded: warning
 *   errors     of the newest 20 finished runs of an org, >= 20% failed
 *              warning, >= 50% critical (partial counts as failed)
 *   disk       free < 1 GiB or < 10% warning; < 100 MiB or < 2% critical
 *   heartbeat  daemon status file heartbeat older than 2 min critical;
 *              no file or pid gone: warning (syncs may run from cron) */
#include "sched/dconfig.h"
#include "store/store.h"
#include "util/config.h"
#include "util/err.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

enum cs_health_level { CS_HEALTH_OK = 0, CS_HEALTH_WARNING = 1, CS_HEALTH_CRITICAL = 2 };

#define CS_HEALTH_ERROR_WINDOW 20
#define CS_HEALTH_HEARTBEAT_MAX_MS (2 * 60 * 1000L)
#define CS_HEALTH_LIVE_TIMEOUT_MS 10000L

typedef struct cs_health_check {
	char component[32]; /* "database", "org", "freshness", "errors", "daemon", "plugin" */
	char name[96];      /* "database", "org:1001", "1001/supporters", "mailchimp" */
	int level;          /* enum cs_health_level */
	char message[600];
	char recommendation[400]; /* "" none; only filled when detailed */
	double duration_ms;
} cs_health_check;

typedef struct cs_health_report {
	cs_health_check *v;
	size_t n, cap;
	int worst;
	int64_t checked_at_ms; /* wall clock */
	double duration_ms;
} cs_health_report;

/* Live checks supplied by the caller. org_probe fetches a token and GETs
 * the org, filling msg (and *rl_remaining, -1 unknown); plugin_probe runs
 * plugin i's own check and returns CS_EUSAGE when it is not configured.
 * Both are called from worker threads, one call per thread, and must not
 * share unsynchronised state; NULL hooks skip those checks. */
typedef struct cs_health_hooks {
	int (*org_probe)(void *ud, const cs_org *org, char *msg, size_t msgsz,
			 long *rl_remaining, cs_err *err);
	int (*plugin_probe)(void *ud, size_t i, char *msg, size_t msgsz, cs_err *err);
	const char *const *plugin_names; /* NULL-terminated, may be NULL */
	void *ud;
} cs_health_hooks;

typedef struct cs_health_opts {
	cs_store *store;
	const cs_config *cfg;
	const cs_dconfig *dcfg; /* intervals */
	const char *only;       /* component asked for, or NULL for all */
	int detailed;
	long timeout_ms;        /* per live check; 0 = CS_HEALTH_LIVE_TIMEOUT_MS */
	int64_t now_ms;         /* wall clock the ages are measured against; 0 = now */
	cs_health_hooks hooks;
} cs_health_opts;

/* Runs the checks (all, or those of opts->only) into rep. An unknown
 * component is CS_EUSAGE naming it and the known ones; other failures
 * become critical checks, not errors. */
int cs_health_run(const cs_health_opts *opts, cs_health_report *rep, cs_err *err);
void cs_health_report_release(cs_health_report *rep);

/* The documented --json object. */
cJSON *cs_health_report_json(const cs_health_report *rep, int detailed);

const char *cs_health_level_name(int level);

/* ---- pure rules (health_rules.c) ---- */

/* age_ms < 0: never succeeded. */
int cs_health_freshness_level(int64_t age_ms, long interval_ms);
int cs_health_error_rate_level(int failed, int total);
int cs_health_disk_level(uint64_t avail_bytes, uint64_t total_bytes);
/* Age of a heartbeat at now (ms since the epoch; heartbeat_at_ms 0: none,
 * -1). A heartbeat newer than now, written after the check took its clock,
 * is 0 old, not missing. */
int64_t cs_health_heartbeat_age(int64_t now, int64_t heartbeat_at_ms);
/* alive: the pid exists; age_ms of the heartbeat (< 0: none). */
int cs_health_daemon_level(int has_file, int alive, int64_t heartbeat_age_ms);
/* "3 h", "25 min", "40 s". */
void cs_health_fmt_age(int64_t ms, char *out, size_t outsz);

#endif
