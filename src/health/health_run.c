/* The health runner: the table of components, the choice of what was named
 * on the command line (a component, a push plugin or an org), and one run
 * over the chosen components followed by the live probes they queued.
 *
 * Never prints, and never fails for what it checks: a broken database or an
 * unreachable API is a critical check in the report, not an error. Only an
 * unknown component (CS_EUSAGE) or running out of memory is. */
#include "health/health_int.h"
#include "util/buf.h"

#include "util/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct component {
	const char *name;
	int (*fn)(cs_health_state *r);
} components[] = {
	{"database", cs_health_database},
	{"daemon", cs_health_daemon},
	{"org", cs_health_orgs},
	{"freshness", cs_health_freshness},
	{"errors", cs_health_errors},
	{"plugins", cs_health_plugins},
};
#define NCOMPONENTS (sizeof(components) / sizeof(components[0]))

/* "org:1001" or "1001": an org id, else 0. */
static long long parse_org(const char *s)
{
	if (!strncmp(s, "org:", 4))
		s += 4;
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 15)
		return 0;
	return atoll(s);
}

static int unknown_component(const cs_health_state *r, const char *what, cs_err *err)
{
	char known[512] = "database, daemon, org:<id>, freshness, errors, plugins";
	const char *const *p = r->o->hooks.plugin_names;
	for (size_t i = 0; p && p[i]; i++)
		snprintf(known + strlen(known), sizeof(known) - strlen(known), ", %s", p[i]);
	return cs_err_set(err, CS_EUSAGE, "unknown component '%s' (known: %s)", what, known);
}

/* Decides which components run for opts->only; sets r->only_org/plugin. */
static int select_components(cs_health_state *r, int run[NCOMPONENTS], cs_err *err)
{
	const char *only = r->o->only;
	for (size_t i = 0; i < NCOMPONENTS; i++)
		run[i] = !only || !strcmp(only, components[i].name);
	if (!only)
		return 0;
	for (size_t i = 0; i < NCOMPONENTS; i++)
		if (run[i])
			return 0;
	const char *const *p = r->o->hooks.plugin_names;
	for (size_t i = 0; p && p[i]; i++)
		if (!strcmp(only, p[i])) {
			r->only_plugin = p[i];
			run[NCOMPONENTS - 1] = 1;
			return 0;
		}
	long long org = parse_org(only);
	if (!org)
		return unknown_component(r, only, err);
	if (!cs_health_find_org(r, org))
		return cs_err_set(err, CS_EUSAGE,
				  "unknown component '%s': organization %lld is not registered "
				  "(see `classy-sync org list`)",
				  only, org);
	r->only_org = org;
	run[2] = run[3] = run[4] = 1; /* org, freshness, errors */
	return 0;
}

static void finish(cs_health_report *rep, int64_t t0)
{
	rep->worst = CS_HEALTH_OK;
	for (size_t i = 0; i < rep->n; i++)
		if (rep->v[i].level > rep->worst)
			rep->worst = rep->v[i].level;
	rep->duration_ms = (double)(cs_time_mono_ms() - t0);
}

int cs_health_run(const cs_health_opts *opts, cs_health_report *rep, cs_err *err)
{
	cs_health_state r;
	int run[NCOMPONENTS];
	int64_t t0 = cs_time_mono_ms();
	memset(&r, 0, sizeof(r));
	memset(rep, 0, sizeof(*rep));
	r.o = opts;
	r.rep = rep;
	r.now = opts->now_ms ? opts->now_ms : cs_time_now_ms();
	rep->checked_at_ms = r.now;
	int rc = cs_health_load_orgs(&r, err);
	if (rc == 0)
		rc = select_components(&r, run, err);
	for (size_t i = 0; rc == 0 && i < NCOMPONENTS; i++)
		if (run[i])
			rc = components[i].fn(&r);
	if (rc == 0)
		rc = cs_health_live_run(&r);
	if (rc)
		rc = err->code ? err->code : cs_err_set(err, CS_ERR, "health check: out of memory");
	cs_health_run_release(&r);
	finish(rep, t0);
	return rc;
}
