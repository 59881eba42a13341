/* classy-sync health [component] [--json]: checks, each healthy, warning or
 * critical with a message and the time it took. Exit 0 all healthy, 1 on a
 * warning, 2 on a critical.
 *
 * Components so far: every push plugin (its own live check). A plugin that
 * is not configured is reported healthy-but-skipped when no component was
 * named, and critical when it was asked for by name. */
#include "cmd/cmd.h"

#include "plugin/driver.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <string.h>

enum health_level { H_HEALTHY = 0, H_WARNING = 1, H_CRITICAL = 2 };
static const char *const level_names[] = {"healthy", "warning", "critical"};

typedef struct check {
	char name[64];
	int level;
	char message[1200];
	double ms;
} check;

static void check_plugin(cs_ctx *ctx, const cs_plugin *p, int named, check *c)
{
	cs_err err = {0};
	char msg[512] = "";
	int64_t t0 = cs_mono_ms();
	int rc = cs_plugin_health(ctx->store, p, msg, sizeof(msg), &err);
	c->ms = (double)(cs_mono_ms() - t0);
	snprintf(c->name, sizeof(c->name), "%s", p->name);
	if (rc == 0) {
		c->level = H_HEALTHY;
		snprintf(c->message, sizeof(c->message), "%s", msg);
	} else if (rc == CS_EUSAGE && !named) {
		c->level = H_HEALTHY;
		snprintf(c->message, sizeof(c->message), "not configured (skipped): %s", err.msg);
	} else {
		c->level = H_CRITICAL;
		snprintf(c->message, sizeof(c->message), "%s", err.msg);
	}
}

static void print_checks(const check *v, size_t n, int json)
{
	if (!json) {
		for (size_t i = 0; i < n; i++)
			printf("%-10s %-9s %6.0f ms  %s\n", v[i].name, level_names[v[i].level], v[i].ms,
			       v[i].message);
		return;
	}
	cJSON *root = cJSON_CreateObject();
	int worst = 0;
	cJSON *arr = cJSON_AddArrayToObject(root, "checks");
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "component", v[i].name);
		cJSON_AddStringToObject(o, "status", level_names[v[i].level]);
		cJSON_AddStringToObject(o, "message", v[i].message);
		cJSON_AddNumberToObject(o, "duration_ms", v[i].ms);
		cJSON_AddItemToArray(arr, o);
		worst = v[i].level > worst ? v[i].level : worst;
	}
	cJSON_AddStringToObject(root, "status", level_names[worst]);
	char *s = cJSON_Print(root);
	puts(s);
	cJSON_free(s);
	cJSON_Delete(root);
}

static int health(cs_ctx *ctx, const cs_cmd *self, const cs_args *a)
{
	check checks[16];
	size_t n = 0;
	const char *want = a->npos ? a->pos[0] : NULL;
	for (size_t i = 0; cs_plugins[i] && n < 16; i++)
		if (!want || !strcmp(want, cs_plugins[i]->name))
			check_plugin(ctx, cs_plugins[i], want != NULL, &checks[n++]);
	if (want && n == 0) {
		char known[256] = "";
		for (size_t i = 0; cs_plugins[i]; i++)
			snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
				 i ? ", " : "", cs_plugins[i]->name);
		return cs_cmd_usage_error(ctx->prog, "unknown component '%s' (known: %s)", want,
					  known);
	}
	print_checks(checks, n, cs_arg_set(self, a, "json"));
	int worst = H_HEALTHY;
	for (size_t i = 0; i < n; i++)
		worst = checks[i].level > worst ? checks[i].level : worst;
	return worst;
}

static const cs_opt health_opts[] = {
	{"json", CS_OPT_FLAG, NULL, "print the checks as JSON"},
	{NULL, 0, NULL, NULL},
};

const cs_cmd cs_cmd_health = {
	.name = "health",
	.fn = health,
	.flags = CS_CMD_STORE | CS_CMD_MIGRATED,
	.summary = "check components; exit 0 healthy, 1 warning, 2 critical",
	.usage = "[component]",
	.opts = health_opts,
	.min_pos = 0,
	.max_pos = 1,
	.description = "Components: each push plugin by name (e.g. 'mailchimp').",
};
