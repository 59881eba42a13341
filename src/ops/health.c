/* The health runner: the component table, selection of a named component,
 * the report and its JSON form. The checks are in health_checks.c (local
 * facts) and health_live.c (parallel live probes). */
#include "ops/health_int.h"
#include "util/buf.h"

#include "util/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const level_names[] = {"healthy", "warning", "critical"};

const char *cs_health_level_name(int level)
{
	return level >= 0 && level <= 2 ? level_names[level] : "unknown";
}

/* Checks are addressed by index while a run adds more (the array moves). */
cs_health_check *cs_health_add(cs_health_report *rep, const char *component, const char *name)
{
	cs_health_check *v = cs_buf_grow_array(rep->v, &rep->cap, rep->n, sizeof(*v), 16);
	if (!v)
		return NULL;
	rep->v = v;
	cs_health_check *c = &rep->v[rep->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->component, sizeof(c->component), "%s", component);
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

void cs_health_set(cs_health_check *c, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
	c->level = level;
}

void cs_health_recommend(cs_health_check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->recommendation, sizeof(c->recommendation), fmt, ap);
	va_end(ap);
}

void cs_health_report_release(cs_health_report *rep)
{
	if (!rep)
		return;
	free(rep->v);
	memset(rep, 0, sizeof(*rep));
}

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

cJSON *cs_health_report_json(const cs_health_report *rep, int detailed)
{
	char at[CS_TIME_BUFSZ];
	cJSON *root = cJSON_CreateObject();
	if (!root)
		return NULL;
	cs_time_format(rep->checked_at_ms, 0, at);
	cJSON_AddStringToObject(root, "status", cs_health_level_name(rep->worst));
	cJSON_AddStringToObject(root, "checked_at", at);
	cJSON_AddNumberToObject(root, "duration_ms", (double)(long long)rep->duration_ms);
	cJSON *arr = cJSON_AddArrayToObject(root, "checks");
	for (size_t i = 0; arr && i < rep->n; i++) {
		const cs_health_check *c = &rep->v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(arr, o);
		cJSON_AddStringToObject(o, "component", c->component);
		cJSON_AddStringToObject(o, "name", c->name);
		cJSON_AddStringToObject(o, "status", cs_health_level_name(c->level));
		cJSON_AddStringToObject(o, "message", c->message);
		cJSON_AddNumberToObject(o, "duration_ms", (double)(long long)c->duration_ms);
		if (!detailed)
			continue;
		if (c->recommendation[0])
			cJSON_AddStringToObject(o, "recommendation", c->recommendation);
		else
			cJSON_AddNullToObject(o, "recommendation");
	}
	return root;
}
