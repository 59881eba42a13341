/* classy-sync <plugin> sync|status: one command per registered push plugin,
 * built from the registry at start, so a new destination needs no command
 * code. The options of `sync` are the common ones plus the plugin's flags.
 * It prints what the driver reports: it must never talk to a destination
 * or write plugin state itself (plugin/driver.c does). */
#include "cmd/cmd.h"

#include "plugin/driver.h"
#include "plugin/registry/registry.h"

#include <stdio.h>
#include <string.h>

#define MAX_PLUGINS 8
#define COMMON_OPTS 5

static const cs_cmd_opt common_opts[COMMON_OPTS] = {
	{"org", CS_CMD_OPT_INT, "ID", "push this organization only (default: every one)"},
	{"dry-run", CS_CMD_OPT_FLAG, NULL, "plan and print the changes; send no write request"},
	{"limit", CS_CMD_OPT_INT, "N", "send at most N contacts with changes per organization"},
	{"full", CS_CMD_OPT_FLAG, NULL, "ignore what was last sent; re-plan every contact"},
	{"json", CS_CMD_OPT_FLAG, NULL, "print the result as JSON"},
};

static const cs_cmd_opt status_opts[] = {
	{"json", CS_CMD_OPT_FLAG, NULL, "print as JSON"},
	{NULL, 0, NULL, NULL},
};

typedef struct plugin_cmds {
	cs_cmd top, sync, status;
	const cs_cmd *subs[3];
	cs_cmd_opt sync_opts[CS_CMD_MAX_OPTS];
} plugin_cmds;

static plugin_cmds cmds[MAX_PLUGINS];

static void print_counts(const char *label, const cs_push_counts *c)
{
	printf("%s: %lld considered, %lld unchanged, %lld created, %lld updated, %lld with tag "
	       "changes, %lld skipped, %lld rejected, %lld failed (%lld requests, %lld writes)\n",
	       label, c->considered, c->unchanged, c->created, c->updated, c->tagged, c->skipped,
	       c->rejected, c->failed, c->requests, c->writes);
}

static void print_sample(const cJSON *s)
{
	const char *email = cJSON_GetStringValue(cJSON_GetObjectItem(s, "email"));
	const char *action = cJSON_GetStringValue(cJSON_GetObjectItem(s, "action"));
	printf("  %-7s %s", action ? action : "?", email ? email : "?");
	const cJSON *ch;
	const char *sep = ": ";
	cJSON_ArrayForEach(ch, cJSON_GetObjectItem(s, "changes"))
	{
		const char *f = cJSON_GetStringValue(cJSON_GetObjectItem(ch, "field"));
		const char *from = cJSON_GetStringValue(cJSON_GetObjectItem(ch, "from"));
		const char *to = cJSON_GetStringValue(cJSON_GetObjectItem(ch, "to"));
		printf("%s%s %s -> %s", sep, f ? f : "?", from ? from : "(none)", to ? to : "(none)");
		sep = "; ";
	}
	static const char *const tag_lists[] = {"tags_add", "tags_remove"};
	for (int k = 0; k < 2; k++) {
		const cJSON *t;
		cJSON_ArrayForEach(t, cJSON_GetObjectItem(s, tag_lists[k]))
		{
			printf("%stag %c%s", sep, k ? '-' : '+', cJSON_GetStringValue(t));
			sep = "; ";
		}
	}
	const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(s, "reason"));
	if (why)
		printf("%s%s", sep, why);
	printf("\n");
}

static void print_report(const cs_plugin *p, const cs_plugin_push_opts *o,
			 const cs_plugin_push_report *rep)
{
	const cJSON *org;
	cJSON_ArrayForEach(org, rep->orgs)
	{
		char label[128];
		cs_push_counts c = {0};
		long long id = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(org, "organization_id"));
		cs_plugin_counts_from_json(org, &c);
		snprintf(label, sizeof(label), "%s org %lld (%s)", p->name, id,
			 cJSON_GetStringValue(cJSON_GetObjectItem(org, "status")));
		print_counts(label, &c);
		const char *e = cJSON_GetStringValue(cJSON_GetObjectItem(org, "error"));
		if (e)
			fprintf(stderr, "classy-sync: error: %s org %lld: %s\n", p->name, id, e);
	}
	/* a real run's changes are in `status` and plugin_outcomes; the plan
	 * is what a dry run is for */
	if (o->dry_run && cJSON_GetArraySize(rep->samples) > 0) {
		printf("planned changes (sample):\n");
		const cJSON *s;
		cJSON_ArrayForEach(s, rep->samples) print_sample(s);
	}
	if (o->dry_run)
		printf("dry run: no write request was sent\n");
}

static unsigned plugin_flags(const cs_plugin *p, const cs_cmd *self, const cs_cmd_args *a)
{
	unsigned f = 0;
	for (unsigned i = 0; p->flags && p->flags[i].name; i++)
		if (cs_cmd_arg_set(self, a, p->flags[i].name))
			f |= 1u << i;
	return f;
}

static int plugin_sync(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *a)
{
	const cs_plugin *p = self->data;
	cs_plugin_push_opts o = {
		.org_id = cs_cmd_arg_num(self, a, "org"),
		.dry_run = cs_cmd_arg_set(self, a, "dry-run"),
		.limit = cs_cmd_arg_num(self, a, "limit"),
		.full = cs_cmd_arg_set(self, a, "full"),
		.flags = plugin_flags(p, self, a),
	};
	if (cs_cmd_arg_set(self, a, "limit") && o.limit <= 0)
		return cs_cmd_usage_error(ctx->prog, "--limit must be a positive number");
	cs_plugin_push_report rep = {.orgs = cJSON_CreateArray(),
				     .samples = cJSON_CreateArray()};
	cs_err err = {0};
	int rc = cs_plugin_push(ctx->store, p, &o, cs_cmd_should_stop, &rep, &err);
	if (cs_cmd_arg_set(self, a, "json")) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "plugin", p->name);
		cJSON_AddBoolToObject(root, "dry_run", o.dry_run);
		cs_plugin_counts_json(cJSON_AddObjectToObject(root, "totals"), &rep.totals);
		cJSON_AddItemReferenceToObject(root, "organizations", rep.orgs);
		cJSON_AddItemReferenceToObject(root, "samples", rep.samples);
		if (rc)
			cJSON_AddStringToObject(root, "error", err.msg);
		char *s = cJSON_Print(root);
		puts(s);
		cJSON_free(s);
		cJSON_Delete(root);
	} else {
		print_report(p, &o, &rep);
	}
	cJSON_Delete(rep.orgs);
	cJSON_Delete(rep.samples);
	int code = cs_plugin_exit_code(&rep, rc);
	if (rc)
		code = cs_cmd_fail(&err);
	return cs_cmd_should_stop() ? cs_cmd_stopped_exit(code) : code;
}

static void print_rows(const cJSON *root, const char *key, const char *title,
		       const char *const *cols)
{
	const cJSON *rows = cJSON_GetObjectItem(root, key), *r;
	if (cJSON_GetArraySize(rows) == 0)
		return;
	printf("%s\n", title);
	cJSON_ArrayForEach(r, rows)
	{
		printf(" ");
		for (int i = 0; cols[i]; i++) {
			const cJSON *v = cJSON_GetObjectItem(r, cols[i]);
			if (cJSON_IsNumber(v))
				printf(" %s=%lld", cols[i], (long long)v->valuedouble);
			else if (cJSON_IsString(v))
				printf(" %s=%s", cols[i], v->valuestring);
		}
		printf("\n");
	}
}

static int plugin_status(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *a)
{
	const cs_plugin *p = self->data;
	cJSON *root = NULL;
	cs_err err = {0};
	if (ctx->store->plugin_status(ctx->store, p->name, &root, &err))
		return cs_cmd_fail(&err);
	if (cs_cmd_arg_set(self, a, "json")) {
		char *s = cJSON_Print(root);
		puts(s);
		cJSON_free(s);
	} else {
		static const char *const run_cols[] = {"organization_id", "id", "mode", "status",
			"started_at", "finished_at", "created", "updated", "tagged", "skipped",
			"rejected", "failed", "writes", "error", NULL};
		static const char *const out_cols[] = {"organization_id", "action", "status", "count",
						       NULL};
		static const char *const st_cols[] = {"organization_id", "scope", "status", "count",
						      NULL};
		static const char *const err_cols[] = {"at", "email_key", "action", "status",
			"error_title", "error_detail", "request_id", NULL};
		if (cJSON_GetArraySize(cJSON_GetObjectItem(root, "last_runs")) == 0)
			printf("%s: no push has run yet; try 'classy-sync %s sync --dry-run'\n", p->name,
			       p->name);
		print_rows(root, "last_runs", "last run per organization:", run_cols);
		print_rows(root, "last_outcomes", "outcomes of those runs:", out_cols);
		print_rows(root, "contacts", "contacts by last-sent state:", st_cols);
		print_rows(root, "recent_errors", "recent errors:", err_cols);
	}
	cJSON_Delete(root);
	return 0;
}

static void build_one(plugin_cmds *c, const cs_plugin *p)
{
	int n = 0;
	for (int i = 0; i < COMMON_OPTS; i++)
		c->sync_opts[n++] = common_opts[i];
	for (int i = 0; p->flags && p->flags[i].name && n < CS_CMD_MAX_OPTS - 1; i++)
		c->sync_opts[n++] =
			(cs_cmd_opt){p->flags[i].name, CS_CMD_OPT_FLAG, NULL, p->flags[i].help};
	c->sync_opts[n] = (cs_cmd_opt){NULL, 0, NULL, NULL};
	c->sync = (cs_cmd){
		.name = "sync",
		.fn = plugin_sync,
		.flags = CS_CMD_STORE | CS_CMD_MIGRATED,
		.summary = "push changed consenting supporters (exit 3 when some records failed)",
		.opts = c->sync_opts,
		.data = p,
	};
	c->status = (cs_cmd){
		.name = "status",
		.fn = plugin_status,
		.flags = CS_CMD_STORE | CS_CMD_MIGRATED,
		.summary = "last push per organization, outcome counts and recent errors",
		.opts = status_opts,
		.data = p,
	};
	c->subs[0] = &c->sync;
	c->subs[1] = &c->status;
	c->subs[2] = NULL;
	c->top = (cs_cmd){.name = p->name, .summary = p->summary, .sub = c->subs, .data = p};
}

size_t cs_cmd_plugin_commands(const cs_cmd **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; cs_plugin_registry[i] && n < max && n < MAX_PLUGINS; i++) {
		build_one(&cmds[n], cs_plugin_registry[i]);
		out[n] = &cmds[n].top;
		n++;
	}
	return n;
}
