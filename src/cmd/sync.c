/* classy-sync sync <entity|all> [incremental|full] [--org ID], and the run
 * shared with `org sync`: connect every org, sync them all at once under
 * their leases, print a summary per org. Progress goes to stderr
 * (progress.c), results to stdout. It must never sync an org and entity
 * another process holds the lease of. */
#include "cmd/cmd.h"
#include "cmd/sync_report.h"

#include "sched/dconfig.h"
#include "daemon/lease.h"
#include "sync/share.h"
#include "sync/sync.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Leases around each entity of a manual sync (see daemon/lease.h), so a
 * daemon or another manual sync never runs the same org and entity at once.
 * An entity whose lease is held is skipped: it counts as not done (exit 3
 * when something else ran, 1 when nothing did). */
typedef struct lease_ctx {
	cs_daemon_lease_keeper *leases;
	long long org;
	int *busy;  /* the database stayed locked once: the command stops asking */
	cs_cmd_sync_report *rep;
	int tried;  /* a lease of this org was asked for */
	int failed; /* could not ask: the database failed */
	cs_err err;
} lease_ctx;

static int lease_begin(const cs_entity *e, void *arg)
{
	lease_ctx *l = arg;
	cs_lease_info held;
	cs_err lerr = {0};
	/* Each attempt would wait the whole busy timeout again for a lock
	 * another process keeps: one wait per command is the bound. */
	if (*l->busy)
		return CS_EBUSY;
	l->tried = 1;
	int rc = cs_daemon_lease_take(l->leases, l->org, cs_sched_job_kind_name(e->id), &held,
				      &lerr);
	if (rc == CS_EBUSY)
		*l->busy = 1;
	if (rc == CS_ECONFLICT) {
		char who[256];
		cs_daemon_lease_describe(&held, who, sizeof(who));
		cs_cmd_sync_report_skipped(l->rep, l->org, e, who);
	} else if (rc && !l->failed) {
		l->failed = 1;
		l->err = lerr;
	}
	return rc;
}

static void lease_end(const cs_entity *e, void *arg)
{
	lease_ctx *l = arg;
	cs_daemon_lease_drop(l->leases, l->org, cs_sched_job_kind_name(e->id));
}

/* One registered org, connected (its secret decrypted into a Classy
 * client) with its lease context. */
typedef struct org_run {
	cs_http *http;
	cs_classy *api;
	lease_ctx lc;
	int connected;
} org_run;

/* Connects every org; one that cannot be connected is reported and counted
 * as failed, the others run. Returns how many are connected. */
static size_t connect_orgs(cs_cmd_ctx *ctx, cs_daemon_lease_keeper *leases,
			   const cs_org_list *orgs, org_run *runs, cs_sync_target *targets,
			   int *busy, cs_cmd_sync_report *rep)
{
	size_t n = 0;
	for (size_t i = 0; i < orgs->n; i++) {
		org_run *r = &runs[i];
		cs_err err = {0};
		if (cs_sync_connect(&ctx->cfg, &orgs->v[i], ctx->key, cs_cmd_should_stop, &r->http,
				    &r->api, &err)) {
			rep->failed++;
			cs_cmd_sync_report_error(rep, "organization %lld: %s", orgs->v[i].id, err.msg);
			continue;
		}
		r->connected = 1;
		r->lc = (lease_ctx){.leases = leases, .org = orgs->v[i].id, .busy = busy, .rep = rep};
		targets[n++] = (cs_sync_target){orgs->v[i].id, r->api, &r->lc};
	}
	return n;
}

/* Every org and entity at once, each under its lease (the HTTP event loop
 * and the applications' budgets are shared), then the report. */
static int sync_all(cs_cmd_ctx *ctx, cs_daemon_lease_keeper *leases, const cs_org_list *orgs,
		    const cs_entity *only, int full, int json)
{
	size_t untried = 0;
	int busy = 0;
	cs_cmd_sync_report rep;
	org_run *runs = calloc(orgs->n, sizeof(*runs));
	cs_sync_target *targets = calloc(orgs->n, sizeof(*targets));
	cs_sync_org_result *res = calloc(orgs->n, sizeof(*res));
	if (!runs || !targets || !res) {
		free(runs);
		free(targets);
		free(res);
		fprintf(stderr, "classy-sync: error: cannot start the sync: out of memory\n");
		return CS_EXIT_FAIL;
	}
	cs_cmd_sync_report_init(&rep, json, full);
	int64_t t0 = cs_time_mono_ms();
	size_t n = connect_orgs(ctx, leases, orgs, runs, targets, &busy, &rep);
	cs_sync_opts opts = {.full = full, .lookback_s = -1, .should_stop = cs_cmd_should_stop,
			     .entity_begin = lease_begin, .entity_end = lease_end,
			     .concurrency = ctx->cfg.concurrency, .fields = ctx->cfg.fields};
	cs_cmd_progress *pg = NULL;
	if (ctx->stderr_tty && !ctx->quiet && cs_log_level() > CS_LOG_DEBUG &&
	    (pg = cs_cmd_progress_new(ctx->stderr_ansi))) {
		opts.progress = cs_cmd_progress_cb;
		opts.progress_ctx = pg;
	}
	cs_err err = {0};
	int rc = n ? cs_sync_orgs(ctx->store, targets, n, only, &opts, res, &err) : 0;
	cs_cmd_progress_free(pg);
	for (size_t i = 0; i < n; i++)
		cs_cmd_sync_report_org(&rep, &res[i]);
	for (size_t i = 0, k = 0; i < orgs->n; i++) {
		if (!runs[i].connected)
			continue;
		if (runs[i].lc.failed) {
			rep.failed++;
			cs_cmd_sync_report_error(&rep, "organization %lld: %s", targets[k].org_id,
						 runs[i].lc.err.msg);
		}
		untried += busy && !runs[i].lc.tried;
		k++;
		cs_classy_free(runs[i].api);
		cs_http_free(runs[i].http);
	}
	if (untried) {
		/* one bounded wait per command: the orgs after it were not tried */
		rep.failed += untried;
		cs_cmd_sync_report_error(&rep, "%zu more organization(s) not synced: the database "
					       "is locked by another process", untried);
	}
	if (rc && err.code != CS_EINTR && rep.records == 0 && rep.ok == 0 && rep.failed == 0) {
		rep.failed++;
		cs_cmd_sync_report_error(&rep, "%s", err.msg);
	}
	int code = rep.failed == 0 ? CS_EXIT_OK : rep.ok ? CS_EXIT_PARTIAL : CS_EXIT_FAIL;
	if (cs_cmd_should_stop()) {
		fprintf(stderr, "classy-sync: interrupted: the pages in flight were committed or "
				"rolled back; rerun to continue\n");
		code = cs_cmd_stopped_exit(CS_EXIT_FAIL);
	}
	cs_cmd_sync_report_end(&rep, cs_time_mono_ms() - t0, code);
	free(runs);
	free(targets);
	free(res);
	return code;
}

int cs_cmd_sync_orgs(cs_cmd_ctx *ctx, long long org_id, const char *entity_name, int full,
		     int json)
{
	const cs_entity *only = NULL;
	if (entity_name && strcmp(entity_name, "all") && !(only = cs_entity_find(entity_name)))
		return cs_cmd_usage_error(ctx->prog,
					  "unknown entity '%s' (expected supporters, transactions, "
					  "campaigns, recurring-plans or all)",
					  entity_name);
	cs_err err = {0};
	char fields[512]; /* as a task holds it (sync/engine_int.h) */
	for (int i = 0; i < CS_ENT_COUNT; i++)
		if (cs_sync_fields(ctx->cfg.fields, &cs_entities[i], fields, sizeof(fields), &err) ==
		    CS_EUSAGE)
			return cs_cmd_fail(&err);
	cs_org_list orgs = {0};
	if (cs_org_list_load(ctx->store, org_id, &orgs, &err))
		return cs_cmd_fail(&err);
	if (orgs.n == 0) {
		fprintf(stderr, "classy-sync: error: no organizations registered; add one with "
				"'classy-sync org add'\n");
		return CS_EXIT_FAIL;
	}
	cs_daemon_lease_keeper *leases = NULL;
	if (cs_daemon_lease_keeper_new(&ctx->cfg, "manual sync", ctx->cfg.lease_ttl_s * 1000L,
				       &leases, &err)) {
		cs_org_list_release(&orgs);
		return cs_cmd_fail(&err);
	}
	cs_sync_share *share = cs_sync_share_start(&ctx->cfg);
	int code = sync_all(ctx, leases, &orgs, only, full, json);
	cs_sync_share_stop(share);
	cs_org_list_release(&orgs);
	cs_daemon_lease_keeper_free(leases);
	return code;
}

static int parse_mode(const char *prog, const char *mode, int *full)
{
	if (!mode || !strcmp(mode, "incremental"))
		*full = 0;
	else if (!strcmp(mode, "full"))
		*full = 1;
	else
		return cs_cmd_usage_error(prog, "unknown mode '%s' (expected incremental or full)",
					  mode);
	return 0;
}

static int cmd_sync(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	int full;
	if (parse_mode(ctx->prog, args->npos > 1 ? args->pos[1] : NULL, &full))
		return CS_EXIT_USAGE;
	return cs_cmd_sync_orgs(ctx, cs_cmd_arg_num(self, args, "org"), args->pos[0], full,
				cs_cmd_arg_set(self, args, "json"));
}

int cs_cmd_org_sync(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	int full;
	long long id;
	if (cs_cmd_org_id(ctx->prog, args->pos[0], &id))
		return CS_EXIT_USAGE;
	if (parse_mode(ctx->prog, args->npos > 1 ? args->pos[1] : NULL, &full))
		return CS_EXIT_USAGE;
	return cs_cmd_sync_orgs(ctx, id, "all", full, cs_cmd_arg_set(self, args, "json"));
}

static const cs_cmd_opt sync_opts[] = {
	{"org", CS_CMD_OPT_INT, "ID", "only this organization (default: every registered one)"},
	{"json", CS_CMD_OPT_FLAG, NULL, "print the summary as one JSON object on stdout (see README)"},
	{NULL, 0, NULL, NULL},
};

const cs_cmd cs_cmd_sync = {
	.name = "sync",
	.fn = cmd_sync,
	.flags = CS_CMD_STORE | CS_CMD_MIGRATED | CS_CMD_KEY,
	.summary = "sync one entity or all of them from Classy",
	.usage = "<supporters|transactions|campaigns|recurring-plans|all> [incremental|full]",
	.opts = sync_opts,
	.min_pos = 1,
	.max_pos = 2,
	.description =
		"incremental (the default) reads what changed since the last run; full re-reads\n"
		"everything and soft-marks rows that Classy no longer returns (deleted_at).\n"
		"'all' runs campaigns, supporters, transactions, recurring plans, then recomputes\n"
		"supporter aggregates. An org and entity another process (the daemon, another\n"
		"sync) is syncing is skipped with a message naming it, and counts as not done.\n"
		"Exit codes: 0 ok, 1 failure (or nothing run, or stopped by SIGTERM), 2 usage,\n"
		"3 partial (something failed or was skipped while something else ran), 130\n"
		"stopped by Ctrl-C (SIGINT) after the pages in flight were committed.",
};
