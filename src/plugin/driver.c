/* Drives a plugin through its lifecycle for `<plugin> sync` and
 * `health <plugin>`, keeping the run rows, so every destination gets the
 * same bookkeeping and the same exit-code rules. Commands and the daemon
 * call it; plugins never do. It logs but must never print (the caller
 * reports), and never let one org's ordinary failure stop the others. */
#include "plugin/driver.h"

#include "util/log.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The fields of cs_push_counts by name: one table for adding, printing as
 * JSON and reading back, so a new count is one line here. */
static const struct {
	const char *name;
	size_t off;
} count_fields[] = {
#define F(n) {#n, offsetof(cs_push_counts, n)}
	F(considered), F(unchanged), F(created), F(updated), F(tagged),
	F(skipped),    F(rejected),  F(failed),  F(requests), F(writes),
#undef F
};
#define NCOUNT_FIELDS (sizeof(count_fields) / sizeof(count_fields[0]))
_Static_assert(NCOUNT_FIELDS * sizeof(long long) == sizeof(cs_push_counts),
	       "count_fields lists every count");

static long long *count_at(cs_push_counts *c, size_t i)
{
	return (long long *)((char *)c + count_fields[i].off);
}

static long long count_of(const cs_push_counts *c, size_t i)
{
	return *(const long long *)((const char *)c + count_fields[i].off);
}

static void add_counts(cs_push_counts *t, const cs_push_counts *c)
{
	for (size_t i = 0; i < NCOUNT_FIELDS; i++)
		*count_at(t, i) += count_of(c, i);
}

void cs_plugin_counts_json(cJSON *o, const cs_push_counts *c)
{
	for (size_t i = 0; i < NCOUNT_FIELDS; i++)
		cJSON_AddNumberToObject(o, count_fields[i].name, (double)count_of(c, i));
}

void cs_plugin_counts_from_json(const cJSON *o, cs_push_counts *c)
{
	for (size_t i = 0; i < NCOUNT_FIELDS; i++)
		*count_at(c, i) = (long long)cJSON_GetNumberValue(
			cJSON_GetObjectItem(o, count_fields[i].name));
}

static int list_orgs(cs_store *st, long long only, cs_org_list *out, cs_err *err)
{
	int rc = cs_org_list_load(st, only, out, err);
	if (rc == CS_ENOTFOUND)
		return cs_err_set(err, CS_EUSAGE,
				  "organization %lld is not registered; see 'classy-sync org list'",
				  only);
	if (rc == 0 && out->n == 0)
		return cs_err_set(err, CS_EUSAGE,
				  "no organization is registered: add one with 'classy-sync org add'");
	return rc;
}

static int open_plugin(const cs_plugin *p, const cs_plugin_host *host, void **self, cs_err *err)
{
	if (p->abi != CS_PLUGIN_ABI)
		return cs_err_set(err, CS_ERR, "plugin '%s' was built for plugin ABI %d, not %d",
				  p->name, p->abi, CS_PLUGIN_ABI);
	*self = NULL;
	int rc = p->init(host, self, err);
	if (rc == 0 && (rc = p->configure(*self, err)) != 0) {
		p->close(*self);
		*self = NULL;
	}
	return rc;
}

/* One org: a run row around plan (and push unless dry). */
static int push_org(const cs_plugin *p, void *self, cs_plugin_host *host, long long org,
		    const cs_plugin_push_opts *opts, cs_plugin_push_report *rep, cs_err *err)
{
	cs_store *st = host->store;
	cs_plugin_run run = {.org_id = org, .dry_run = opts->dry_run, .full = opts->full};
	snprintf(run.plugin, sizeof(run.plugin), "%s", p->name);
	int rc = st->plugin_run_begin(st, &run, err);
	if (rc)
		return rc;
	host->run_id = run.id;
	rc = p->plan(self, org, opts, &run.counts, rep->samples, err);
	if (rc == 0 && !opts->dry_run)
		rc = p->push(self, org, &run.counts, err);
	run.status = rc ? CS_RUN_FAILED
		     : (run.counts.failed || run.counts.rejected) ? CS_RUN_PARTIAL
								    : CS_RUN_SUCCESS;
	if (rc == CS_EINTR)
		run.status = CS_RUN_INTERRUPTED;
	if (rc)
		snprintf(run.error, sizeof(run.error), "%s", err->msg);
	cs_err ferr = {0};
	if (st->plugin_run_finish(st, &run, &ferr) && rc == 0) {
		*err = ferr;
		rc = ferr.code;
	}
	add_counts(&rep->totals, &run.counts);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "organization_id", (double)org);
	cJSON_AddNumberToObject(o, "run_id", (double)run.id);
	cJSON_AddStringToObject(o, "status", cs_run_status_name(run.status));
	cs_plugin_counts_json(o, &run.counts);
	if (rc)
		cJSON_AddStringToObject(o, "error", err->msg);
	cJSON_AddItemToArray(rep->orgs, o);
	return rc;
}

int cs_plugin_push(cs_store *st, const cs_plugin *p, const cs_plugin_push_opts *opts,
		   int (*should_stop)(void), cs_plugin_push_report *rep, cs_err *err)
{
	cs_org_list orgs_list = {0}, *orgs = &orgs_list;
	cs_plugin_host host = {.store = st, .plugin = p->name, .should_stop = should_stop};
	void *self = NULL;
	/* configuration first: a bad setting is the thing to fix before anything */
	int rc = open_plugin(p, &host, &self, err);
	if (rc == 0 && (rc = list_orgs(st, opts->org_id, orgs, err)) != 0)
		p->close(self);
	if (rc) {
		cs_org_list_release(orgs);
		return rc;
	}
	for (size_t i = 0; i < orgs->n; i++) {
		cs_err oerr = {0};
		int orc = push_org(p, self, &host, orgs->v[i].id, opts, rep, &oerr);
		if (orc == 0)
			continue;
		rep->orgs_failed++;
		cs_log(CS_LOG_ERROR, "%s: org %lld: %s", p->name, orgs->v[i].id, oerr.msg);
		if (rep->orgs_failed == 1)
			*err = oerr;
		if (orc == CS_EINTR || orc == CS_EAUTH || orc == CS_EUSAGE) {
			rc = orc; /* the same for every org: stop here */
			break;
		}
	}
	rep->orgs_total = orgs->n;
	p->close(self);
	cs_org_list_release(orgs);
	return rc;
}

int cs_plugin_exit_code(const cs_plugin_push_report *rep, int rc)
{
	if (rc)
		return cs_err_exit_code(rc);
	if (rep->orgs_failed == rep->orgs_total && rep->orgs_total > 0)
		return CS_EXIT_FAIL;
	if (rep->orgs_failed || rep->totals.failed || rep->totals.rejected)
		return CS_EXIT_PARTIAL;
	return CS_EXIT_OK;
}

int cs_plugin_configured(cs_store *st, const cs_plugin *p, cs_err *err)
{
	cs_plugin_host host = {.store = st, .plugin = p->name};
	void *self = NULL;
	int rc = open_plugin(p, &host, &self, err);
	if (rc == 0)
		p->close(self);
	return rc;
}

int cs_plugin_health(cs_store *st, const cs_plugin *p, char *msg, size_t msgsz, cs_err *err)
{
	cs_plugin_host host = {.store = st, .plugin = p->name};
	void *self = NULL;
	int rc = open_plugin(p, &host, &self, err);
	if (rc)
		return rc;
	rc = p->health(self, msg, msgsz, err);
	p->close(self);
	return rc;
}
