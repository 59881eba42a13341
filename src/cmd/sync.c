/* classy-sync sync <entity|all> [incremental|full] [--org ID], and the run
 * loop shared with `org sync`: per org, connect, sync under the leases,
 * print a summary. Progress goes to stderr, results to stdout. It must
 * never sync an org and entity another process holds the lease of. */
#include "cmd/cmd.h"
#include "util/buf.h"

#include "sched/dconfig.h"
#include "daemon/lease.h"
#include "sync/sync.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void progress(const cs_sync_progress *p, void *arg)
{
	(void)arg;
	double secs = p->elapsed_ms / 1000.0;
	double rate = secs > 0 ? p->records / secs : 0;
	char eta[32] = "?";
	if (p->total > 0 && rate > 0 && p->records <= p->total)
		snprintf(eta, sizeof(eta), "%.0fs", (p->total - p->records) / rate);
	fprintf(stderr, "\r\033[K%s org %lld: %lld", p->entity->name, p->org_id, p->records);
	if (p->total > 0)
		fprintf(stderr, "/%ld", p->total);
	fprintf(stderr, " records, %lld pages, %.0f rec/s, ETA %s", p->pages, rate, eta);
	fflush(stderr);
}

static void print_result(const cs_sync_org_result *r)
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
		if (e->error[0])
			fprintf(stderr, "classy-sync: error: %s of organization %lld (%s): %s\n",
				e->entity->name, r->org_id, cs_run_status_name(e->status), e->error);
	}
	if (r->aggregates_updated)
		printf("  supporter aggregates recomputed: %lld\n", r->aggregates_updated);
	if (r->aggregates_failed)
		fprintf(stderr, "classy-sync: error: %s; the totals of the supporters this run touched "
				"are stale until a later sync recomputes them\n",
			r->aggregates_error);
}

/* Leases around each entity of a manual sync (see daemon/lease.h), so a
 * daemon or another manual sync never runs the same org and entity at once.
 * An entity whose lease is held is skipped: it counts as not done (exit 3
 * when something else ran, 1 when nothing did). */
typedef struct lease_ctx {
	cs_daemon_lease_keeper *leases;
	long long org;
	size_t *skipped;
	int *busy;  /* the database stayed locked once: the command stops asking */
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
	int rc = cs_daemon_lease_take(l->leases, l->org, cs_sched_job_kind_name(e->id), &held,
				      &lerr);
	if (rc == CS_EBUSY)
		*l->busy = 1;
	if (rc == CS_ECONFLICT) {
		char who[256];
		cs_daemon_lease_describe(&held, who, sizeof(who));
		fprintf(stderr, "classy-sync: %s of organization %lld is being synced by %s; skipped\n",
			e->name, l->org, who);
		(*l->skipped)++;
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

/* Syncs the entities of one org in order, each under its lease, then
 * recomputes the aggregates once for everything they touched. */
static int sync_one(cs_cmd_ctx *ctx, cs_daemon_lease_keeper *leases, const cs_org *org,
		    const cs_entity *only, int full, cs_sync_org_result *res, size_t *skipped,
		    int *busy, cs_err *err)
{
	cs_http *http = NULL;
	cs_classy *api = NULL;
	memset(res, 0, sizeof(*res));
	res->org_id = org->id;
	if (cs_sync_connect(&ctx->cfg, org, ctx->key, cs_cmd_should_stop, &http, &api, err))
		return err->code;
	lease_ctx lc = {.leases = leases, .org = org->id, .skipped = skipped, .busy = busy};
	cs_sync_opts opts = {.full = full, .lookback_s = -1, .should_stop = cs_cmd_should_stop,
			     .entity_begin = lease_begin, .entity_end = lease_end,
			     .entity_ctx = &lc};
	if (ctx->stderr_tty && cs_log_level() > CS_LOG_DEBUG)
		opts.progress = progress;
	int rc = cs_sync_org(ctx->store, api, org->id, only, &opts, res, err);
	if (rc == 0 && lc.failed) {
		*err = lc.err;
		rc = lc.err.code ? lc.err.code : CS_ERR;
	}
	if (opts.progress)
		fprintf(stderr, "\r\033[K");
	cs_classy_free(api);
	cs_http_free(http);
	return rc;
}

int cs_cmd_sync_orgs(cs_cmd_ctx *ctx, long long org_id, const char *entity_name, int full)
{
	const cs_entity *only = NULL;
	if (entity_name && strcmp(entity_name, "all") && !(only = cs_entity_find(entity_name)))
		return cs_cmd_usage_error(ctx->prog,
					  "unknown entity '%s' (expected supporters, transactions, "
					  "campaigns, recurring-plans or all)",
					  entity_name);
	cs_err err = {0};
	cs_org_list orgs = {0};
	if (cs_org_list_load(ctx->store, org_id, &orgs, &err))
		return cs_cmd_fail(&err);
	if (orgs.n == 0) {
		fprintf(stderr, "classy-sync: error: no organizations registered; add one with "
				"'classy-sync org add'\n");
		return CS_EXIT_FAIL;
	}
	cs_daemon_lease_keeper *leases = NULL;
	if (cs_daemon_lease_keeper_new(&ctx->cfg, "manual sync", CS_DAEMON_LEASE_TTL_MS, &leases,
				       &err)) {
		cs_org_list_release(&orgs);
		return cs_cmd_fail(&err);
	}
	int64_t t0 = cs_time_mono_ms();
	long long total_records = 0, total_requests = 0;
	size_t ok = 0, failed = 0, skipped = 0, i;
	int busy = 0;
	for (i = 0; i < orgs.n && !cs_cmd_should_stop() && !busy; i++) {
		cs_sync_org_result res;
		cs_err oerr = {0};
		int rc = sync_one(ctx, leases, &orgs.v[i], only, full, &res, &skipped, &busy, &oerr);
		if (res.nents)
			print_result(&res);
		size_t ent_failed = 0;
		for (int k = 0; k < res.nents; k++) {
			total_records += res.ents[k].records;
			total_requests += res.ents[k].requests;
			res.ents[k].status == CS_RUN_SUCCESS ? ok++ : ent_failed++;
		}
		failed += ent_failed;
		failed += res.aggregates_failed; /* a step of its own: it reaches the exit code */
		/* a failure no entity row shows (a lease that could not be asked
		 * for) must still reach stderr and the exit code; the aggregates'
		 * was printed with the result */
		if (rc && ent_failed == 0 && !res.aggregates_failed) {
			failed++;
			fprintf(stderr, "classy-sync: error: organization %lld: %s\n", orgs.v[i].id,
				oerr.msg);
		}
	}
	if (busy && i < orgs.n) {
		failed += orgs.n - i;
		fprintf(stderr, "classy-sync: error: %zu more organization(s) not synced: the database "
				"is locked by another process\n", orgs.n - i);
	}
	double secs = (cs_time_mono_ms() - t0) / 1000.0;
	printf("total: %lld records, %lld requests, %.2f s, %.0f records/s\n", total_records,
	       total_requests, secs, secs > 0 ? total_records / secs : 0);
	cs_org_list_release(&orgs);
	cs_daemon_lease_keeper_free(leases);
	if (cs_cmd_should_stop()) {
		fprintf(stderr, "classy-sync: interrupted: the page in flight was committed or "
				"rolled back; rerun to continue\n");
		return CS_EXIT_FAIL;
	}
	failed += skipped; /* not done: another process held the lease */
	if (failed == 0)
		return CS_EXIT_OK;
	return ok ? CS_EXIT_PARTIAL : CS_EXIT_FAIL;
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
	return cs_cmd_sync_orgs(ctx, cs_cmd_arg_num(self, args, "org"), args->pos[0], full);
}

int cs_cmd_org_sync(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	(void)self;
	int full;
	long long id;
	if (cs_cmd_org_id(ctx->prog, args->pos[0], &id))
		return CS_EXIT_USAGE;
	if (parse_mode(ctx->prog, args->npos > 1 ? args->pos[1] : NULL, &full))
		return CS_EXIT_USAGE;
	return cs_cmd_sync_orgs(ctx, id, "all", full);
}

static const cs_cmd_opt sync_opts[] = {
	{"org", CS_CMD_OPT_INT, "ID", "only this organization (default: every registered one)"},
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
		"Exit codes: 0 ok, 1 failure (or nothing run), 2 usage, 3 partial (something\n"
		"failed or was skipped while something else ran).",
};
