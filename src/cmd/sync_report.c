/* What `sync` and `org sync` print when the run ends: per org a table of
 * its entities on stdout, or with --json one object on stdout for the
 * whole run (a stable contract, see README "sync --json"): its status and
 * exit code, totals, one member of runs per org and entity (org, entity,
 * mode, status, run_id, records, pages, requests, retries, duration_ms,
 * error...), and the errors of no run (an org that could not connect).
 * Errors go to stderr in both modes. It must never print a secret: every
 * message here was redacted where it was made (util/err.h). */
#include "cmd/sync_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void cs_cmd_sync_report_init(cs_cmd_sync_report *r, int json, int full)
{
	*r = (cs_cmd_sync_report){.full = full};
	if (!json)
		return;
	/* put in the object after its status and totals, by _end */
	r->root = cJSON_CreateObject();
	r->runs = cJSON_CreateArray();
	r->errors = cJSON_CreateArray();
}

void cs_cmd_sync_report_error(cs_cmd_sync_report *r, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "classy-sync: error: %s\n", msg);
	if (r->errors)
		cJSON_AddItemToArray(r->errors, cJSON_CreateString(msg));
}

static cJSON *run_object(cs_cmd_sync_report *r, long long org, const cs_entity *e,
			 const char *status, const char *error)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "org", (double)org);
	cJSON_AddStringToObject(o, "entity", e->name);
	cJSON_AddStringToObject(o, "mode", r->full ? "full" : "incremental");
	cJSON_AddStringToObject(o, "status", status);
	if (error && error[0])
		cJSON_AddStringToObject(o, "error", error);
	else
		cJSON_AddNullToObject(o, "error");
	cJSON_AddItemToArray(r->runs, o);
	return o;
}

void cs_cmd_sync_report_skipped(cs_cmd_sync_report *r, long long org, const cs_entity *e,
				const char *who)
{
	fprintf(stderr, "classy-sync: %s of organization %lld is being synced by %s; skipped\n",
		e->name, org, who);
	r->failed++; /* not done */
	if (!r->runs)
		return;
	char why[512];
	snprintf(why, sizeof(why), "being synced by %s", who);
	run_object(r, org, e, "skipped", why);
}

static void add_json(cs_cmd_sync_report *r, long long org, const cs_sync_entity_result *e)
{
	cJSON *o = run_object(r, org, e->entity, cs_run_status_name(e->status), e->error);
	static const struct {
		const char *key;
		size_t off;
	} nums[] = {
		{"run_id", offsetof(cs_sync_entity_result, run_id)},
		{"records", offsetof(cs_sync_entity_result, records)},
		{"pages", offsetof(cs_sync_entity_result, pages)},
		{"requests", offsetof(cs_sync_entity_result, requests)},
		{"retries", offsetof(cs_sync_entity_result, retries)},
		{"marked_deleted", offsetof(cs_sync_entity_result, marked_deleted)},
		{"rejected", offsetof(cs_sync_entity_result, rejected)},
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		cJSON_AddNumberToObject(o, nums[i].key,
					(double)*(const long long *)((const char *)e + nums[i].off));
	cJSON_AddNumberToObject(o, "duration_ms", (double)e->elapsed_ms);
}

static void print_org(const cs_sync_org_result *r)
{
	printf("organization %lld\n", r->org_id);
	printf("  %-16s %-11s %9s %6s %8s %7s %9s %10s\n", "entity", "status", "records", "pages",
	       "requests", "retries", "seconds", "records/s");
	for (int i = 0; i < r->nents; i++) {
		const cs_sync_entity_result *e = &r->ents[i];
		double secs = e->elapsed_ms / 1000.0;
		printf("  %-16s %-11s %9lld %6lld %8lld %7lld %9.2f %10.0f\n", e->entity->name,
		       cs_run_status_name(e->status), e->records, e->pages, e->requests, e->retries,
		       secs, secs > 0 ? e->records / secs : 0);
		if (e->marked_deleted)
			printf("    %lld row(s) absent from the full scan were marked deleted\n",
			       e->marked_deleted);
	}
	if (r->aggregates_updated)
		printf("  supporter aggregates recomputed: %lld\n", r->aggregates_updated);
}

void cs_cmd_sync_report_org(cs_cmd_sync_report *r, const cs_sync_org_result *res)
{
	if (res->nents && !r->root)
		print_org(res);
	for (int k = 0; k < res->nents; k++) {
		const cs_sync_entity_result *e = &res->ents[k];
		r->records += e->records;
		r->requests += e->requests;
		e->status == CS_RUN_SUCCESS ? r->ok++ : r->failed++;
		if (e->error[0])
			fprintf(stderr, "classy-sync: error: %s of organization %lld (%s): %s\n",
				e->entity->name, res->org_id, cs_run_status_name(e->status),
				e->error);
		if (r->runs)
			add_json(r, res->org_id, e);
	}
	if (res->aggregates_rc) {
		r->failed++;
		cs_cmd_sync_report_error(r, "%s; the totals of the supporters this run touched are "
					    "stale until a later sync recomputes them",
					 res->aggregates_error);
	}
}

static const char *status_of(int exit_code)
{
	switch (exit_code) {
	case CS_EXIT_OK:
		return "ok";
	case CS_EXIT_PARTIAL:
		return "partial";
	case CS_EXIT_INTERRUPTED:
		return "interrupted";
	default:
		return "failed";
	}
}

void cs_cmd_sync_report_end(cs_cmd_sync_report *r, int64_t duration_ms, int exit_code)
{
	double secs = duration_ms / 1000.0;
	if (!r->root) {
		printf("total: %lld records, %lld requests, %.2f s, %.0f records/s\n", r->records,
		       r->requests, secs, secs > 0 ? r->records / secs : 0);
		return;
	}
	cJSON_AddStringToObject(r->root, "status", status_of(exit_code));
	cJSON_AddNumberToObject(r->root, "exit_code", exit_code);
	cJSON_AddStringToObject(r->root, "mode", r->full ? "full" : "incremental");
	cJSON_AddNumberToObject(r->root, "records", (double)r->records);
	cJSON_AddNumberToObject(r->root, "requests", (double)r->requests);
	cJSON_AddNumberToObject(r->root, "duration_ms", (double)duration_ms);
	cJSON_AddItemToObject(r->root, "runs", r->runs);
	cJSON_AddItemToObject(r->root, "errors", r->errors);
	char *s = cJSON_PrintUnformatted(r->root);
	if (s)
		printf("%s\n", s);
	else
		fprintf(stderr, "classy-sync: error: cannot print the JSON summary: out of memory\n");
	free(s);
	cJSON_Delete(r->root);
	r->root = r->runs = r->errors = NULL;
}
