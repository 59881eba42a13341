#ifndef CS_HEALTH_INT_H
#define CS_HEALTH_INT_H
/* Shared by health*.c; not for callers. The files call downwards only:
 *   health_run.c     the runner: picks components, runs them, then the probes
 *   health_checks.c  database and daemon     \
 *   health_orgs.c    org, freshness, errors   > components
 *   health_live.c    plugins, live probes    /
 *   health_state.c   the run's orgs and probe queue
 *   health_report.c  the checks and the report
 *   health_rules.c   the thresholds, pure */
#include "health/health.h"

/* ---- the report (health_report.c) ---- */
cs_health_check *cs_health_add(cs_health_report *rep, const char *component, const char *name);
void cs_health_set(cs_health_check *c, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cs_health_recommend(cs_health_check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A live probe queued by a component, run in parallel at the end. */
typedef struct cs_health_live {
	size_t check;      /* index of its check in the report */
	int kind;          /* 0 org, 1 plugin */
	const cs_org *org; /* kind 0 (owned by the run) */
	size_t plugin;     /* kind 1 */
	int named;         /* kind 1: asked for by name */
} cs_health_live;

typedef struct cs_health_state {
	const cs_health_opts *o;
	cs_health_report *rep;
	int64_t now;
	cs_org_list orgs;
	cs_run_facts *facts; /* parallel to orgs, loaded on first use */
	int facts_rc;        /* 0, or the failure loading them (message in facts_err) */
	char facts_err[512];
	long long only_org;      /* 0: every org */
	const char *only_plugin; /* NULL: every plugin */
	cs_health_live *live;
	size_t nlive, livecap;
} cs_health_state;

/* The components (health_checks.c, health_orgs.c, health_live.c) return 0,
 * or -1 only when out of memory; failures of what they check are checks. */
int cs_health_database(cs_health_state *r);
int cs_health_daemon(cs_health_state *r);
int cs_health_orgs(cs_health_state *r);
int cs_health_freshness(cs_health_state *r);
int cs_health_errors(cs_health_state *r);
int cs_health_plugins(cs_health_state *r);

/* ---- the run's state (health_state.c) ---- */
int cs_health_load_orgs(cs_health_state *r, cs_err *err);
const cs_org *cs_health_find_org(const cs_health_state *r, long long id);
void cs_health_run_release(cs_health_state *r);
/* Queues a live probe for check index `check`; -1 when out of memory. */
int cs_health_live_add(cs_health_state *r, const cs_health_live *l);
/* Runs the queued probes in parallel threads, each with the timeout
 * (health_live.c). */
int cs_health_live_run(cs_health_state *r);

#endif
