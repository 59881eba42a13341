/* A health report: the growing list of checks every component adds to, the
 * level names, and the documented --json object. It is the bottom of the
 * health module: components fill checks through it, the runner finishes it
 * and callers read it.
 *
 * Never runs a check, never prints: the command decides how a report is
 * shown, and the daemon turns it into an alert. */
#include "health/health_int.h"
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
