/* classy-sync status [--json]: rows per table per organization and the
 * last run of each entity, from the store's status object. The --json
 * output is a documented contract: keys are only ever added. */
#include "cmd/cmd.h"

#include "model/entity.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

static long long num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *k, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : dflt;
}

static void print_org(const cJSON *org)
{
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(org, "counts");
	const cJSON *deleted = cJSON_GetObjectItemCaseSensitive(org, "deleted");
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(org, "last_runs");
	printf("\norganization %lld  %s\n", num(org, "id"), str(org, "name", "(removed)"));
	printf("  %-16s %10s %8s  %-11s %-8s %-24s %s\n", "entity", "rows", "deleted", "last run",
	       "status", "finished", "records");
	for (int i = 0; i < CS_ENT_COUNT; i++) {
		const char *name = cs_entities[i].name;
		const cJSON *run = cJSON_GetObjectItemCaseSensitive(runs, name);
		printf("  %-16s %10lld %8lld  %-11s %-8s %-24s %lld\n", name, num(counts, name),
		       num(deleted, name), run ? str(run, "mode", "-") : "never",
		       run ? str(run, "status", "-") : "-", run ? str(run, "finished_at", "-") : "-",
		       run ? num(run, "records") : 0);
		const char *error = run ? str(run, "error", NULL) : NULL;
		if (error && *error)
			printf("    last error: %s\n", error);
	}
	printf("  orphan transactions (supporter not synced): %lld\n",
	       num(org, "orphan_transactions"));
}

static int cmd_status(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	cs_err err = {0};
	cJSON *st = NULL;
	if (ctx->store->status(ctx->store, &st, &err))
		return cs_cmd_fail(&err);
	if (cs_cmd_arg_set(self, args, "json")) {
		char *s = cJSON_PrintUnformatted(st);
		printf("%s\n", s);
		free(s);
	} else {
		printf("database: %s (schema version %lld)\n", str(st, "database", "?"),
		       num(st, "schema_version"));
		const cJSON *orgs = cJSON_GetObjectItemCaseSensitive(st, "organizations");
		const cJSON *org;
		cJSON_ArrayForEach(org, orgs) print_org(org);
		if (cJSON_GetArraySize(orgs) == 0)
			printf("no organizations yet: add one with 'classy-sync org add'\n");
	}
	cJSON_Delete(st);
	return 0;
}

static const cs_cmd_opt status_opts[] = {
	{"json", CS_CMD_OPT_FLAG, NULL, "print the status as one JSON object (see README)"},
	{NULL, 0, NULL, NULL},
};

const cs_cmd cs_cmd_status = {
	.name = "status",
	.fn = cmd_status,
	.flags = CS_CMD_STORE | CS_CMD_MIGRATED,
	.summary = "show rows per table per organization and the last run of each entity",
	.opts = status_opts,
};
