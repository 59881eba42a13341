/* Sync runs: one entity of one org (a sync_runs row around the engine,
 * with its counters and its outcome), one org (every entity in order, then
 * the aggregates of the supporters they touched), and connecting an org
 * (its decrypted secret into a Classy client). It must never print: the
 * caller reports outcomes; and it never calls a push destination. */
#include "sync/engine_int.h"

#include "util/log.h"
#include "util/secret.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <string.h>

static void stats_snapshot(const cs_classy *api, long *req, long *retries)
{
	const cs_http_stats *s = cs_classy_stats(api);
	*req = s ? s->requests : 0;
	*retries = s ? s->retries : 0;
}

static int finish_status(const cs_sync_ctx *c, int rc)
{
	if (rc == 0)
		return CS_RUN_SUCCESS;
	if (rc == CS_EINTR)
		return CS_RUN_INTERRUPTED;
	/* partial says "run it again to finish"; a broken paging contract
	 * would fail the same way again */
	return c->res->pages > 0 && !c->broken ? CS_RUN_PARTIAL : CS_RUN_FAILED;
}

static void record_finish(cs_sync_ctx *c, cs_run *run, long req0, long retry0)
{
	long req, retries;
	stats_snapshot(c->api, &req, &retries);
	c->res->requests = req - req0;
	c->res->retries = retries - retry0;
	c->res->elapsed_ms = cs_time_mono_ms() - c->t0;
	run->status = c->res->status;
	run->records = c->res->records;
	run->pages = c->res->pages;
	run->requests = c->res->requests;
	run->retries = c->res->retries;
	snprintf(run->error, sizeof(run->error), "%s", c->res->error);
	cs_time_format(cs_time_now_ms(), 1, run->finished_at);
	cs_err ferr = {0};
	if (c->st->run_finish(c->st, run, &ferr))
		cs_warn("cannot record the end of run %lld: %s", run->id, ferr.msg);
}

static int entity_once(cs_store *st, cs_classy *api, long long org, const cs_entity *e,
		       const cs_sync_opts *opts, cs_sync_entity_result *res, cs_err *err)
{
	memset(res, 0, sizeof(*res));
	res->entity = e;
	cs_sync_ctx c = {.st = st, .api = api, .org = org, .e = e, .opts = opts, .res = res,
			.total = -1, .t0 = cs_time_mono_ms()};
	cs_classy_page_init(&c.page);
	cs_idset_init(&c.seen);
	cs_idset_init(&c.next_seen);
	int rc = st->state_get(st, org, e->id, &c.state, err);
	if (rc) {
		res->status = CS_RUN_FAILED;
		snprintf(res->error, sizeof(res->error), "%s", err->msg);
		goto out;
	}
	c.state.org_id = org;
	c.state.entity = e->id;
	c.lookback_s = opts->lookback_s >= 0 ? opts->lookback_s : c.state.lookback_s;

	cs_run run = {.org_id = org, .entity = e->id, .full = opts->full, .status = CS_RUN_RUNNING};
	cs_time_format(cs_time_now_ms(), 1, run.started_at);
	if ((rc = st->run_begin(st, &run, err))) {
		res->status = CS_RUN_FAILED;
		snprintf(res->error, sizeof(res->error), "%s", err->msg);
		goto out;
	}
	res->run_id = run.id;
	long req0, retry0;
	stats_snapshot(api, &req0, &retry0);
	cs_debug("%s sync of %s for organization %lld started", opts->full ? "full" : "incremental",
		e->name, org);
	rc = cs_sync_pipeline_run(&c, err);
	if (rc == 0 && res->rejected)
		/* every other record is stored, and the rejected ones said why
		 * (engine.c): the run is partial, its error names the first */
		rc = cs_err_set(err, CS_EPROTO,
				"%lld %s record(s) not stored because their id is not valid "
				"(first: %s); every other record was stored",
				res->rejected, e->name, c.first_reject);
	res->status = finish_status(&c, rc);
	if (rc)
		snprintf(res->error, sizeof(res->error), "%s", err->msg);
	record_finish(&c, &run, req0, retry0);
	/* The caller reports outcomes (the CLI's summary and errors); this is detail. */
	cs_debug("%s of organization %lld: %s, %lld records in %lld pages, %lld requests", e->name,
		 org, cs_run_status_name(res->status), res->records, res->pages, res->requests);
out:
	cs_classy_page_release(&c.page);
	cs_idset_release(&c.seen);
	cs_idset_release(&c.next_seen);
	return rc;
}

/* Waits for the database to come back after CS_EDBCONN: backoff from 1 s,
 * doubling up to 30 s, for at most CS_SYNC_DB_WAIT_MS (or until stopped). */
#define CS_SYNC_DB_WAIT_MS 180000

static int reconnect(cs_store *st, const cs_sync_opts *opts, cs_err *err)
{
	int64_t give_up = cs_time_mono_ms() + CS_SYNC_DB_WAIT_MS;
	long wait = 1000;
	for (;;) {
		cs_err rerr = {0};
		if (st->ctrl(st, CS_CTRL_RECONNECT, NULL, &rerr) == 0)
			return 0;
		if (rerr.code == CS_ENOTFOUND || cs_time_mono_ms() + wait > give_up) {
			*err = rerr;
			return cs_err_wrap(err, "the database did not come back within %d s",
					   CS_SYNC_DB_WAIT_MS / 1000);
		}
		cs_info("database unreachable (%s); trying again in %ld s", rerr.msg, wait / 1000);
		if (cs_http_sleep_ms(wait, opts->should_stop) == CS_EINTR)
			return cs_err_set(err, CS_EINTR, "stopped while waiting for the database");
		wait = wait * 2 > 30000 ? 30000 : wait * 2;
	}
}

/* A server restart or a network drop is not the end of a run: reconnect,
 * close the run that lost its connection as interrupted (its last
 * committed page stays), and resume from that page in a new run. What was
 * not committed is fetched again, so nothing is lost or doubled. */
int cs_sync_entity(cs_store *st, cs_classy *api, long long org, const cs_entity *e,
		   const cs_sync_opts *opts, cs_sync_entity_result *res, cs_err *err)
{
	cs_sync_entity_result before = {0};
	for (int lost = 0;; lost++) {
		int rc = entity_once(st, api, org, e, opts, res, err);
		res->records += before.records;
		res->pages += before.pages;
		res->requests += before.requests;
		res->retries += before.retries;
		if (rc != CS_EDBCONN || lost == 3)
			return rc;
		cs_warn("%s of organization %lld: %s; reconnecting", e->name, org, err->msg);
		cs_err rerr = {0};
		if (reconnect(st, opts, &rerr)) {
			cs_err_wrap(err, "%s", rerr.msg);
			return rc;
		}
		cs_run lost_run = {.id = res->run_id, .org_id = org, .entity = e->id,
				   .status = CS_RUN_INTERRUPTED, .records = res->records,
				   .pages = res->pages, .requests = res->requests};
		snprintf(lost_run.error, sizeof(lost_run.error),
			 "the connection to the database was lost (%.600s); reconnected, and the "
			 "next run resumed from the last committed page", err->msg);
		if (res->run_id && st->run_finish(st, &lost_run, &rerr))
			cs_warn("cannot record the end of run %lld: %s", res->run_id, rerr.msg);
		cs_info("%s of organization %lld: database back; resuming from the last committed "
			"page", e->name, org);
		before = *res;
		memset(err, 0, sizeof(*err));
	}
}

int cs_sync_org(cs_store *st, cs_classy *api, long long org, const cs_entity *only,
		const cs_sync_opts *opts, cs_sync_org_result *res, cs_err *err)
{
	memset(res, 0, sizeof(*res));
	res->org_id = org;
	int64_t t0 = cs_time_mono_ms();
	int failed = 0, touched = 0;
	for (int i = 0; i < CS_ENT_COUNT; i++) {
		const cs_entity *e = &cs_entities[i];
		if (only && only != e)
			continue;
		if (opts->entity_begin && opts->entity_begin(e, opts->entity_ctx))
			continue;
		cs_err eerr = {0};
		cs_sync_entity_result *r = &res->ents[res->nents++];
		int rc = cs_sync_entity(st, api, org, e, opts, r, &eerr);
		if (opts->entity_end)
			opts->entity_end(e, opts->entity_ctx);
		/* even with nothing new: a recompute that failed before left its
		 * queue behind, and this is its next chance */
		if (e->supporter_ref)
			touched = 1;
		if (rc) {
			failed++;
			*err = eerr;
			if (rc == CS_EINTR || rc == CS_EAUTH || rc == CS_EIO)
				break; /* the next entity would fail the same way */
		}
	}
	if (touched) {
		cs_err aerr = {0};
		if (st->recompute_aggregates(st, org, &res->aggregates_updated, &aerr)) {
			failed++;
			*err = aerr;
			cs_err_wrap(err, "cannot recompute supporter aggregates of organization %lld", org);
			res->aggregates_failed = 1;
			snprintf(res->aggregates_error, sizeof(res->aggregates_error), "%s", err->msg);
		}
	}
	res->elapsed_ms = cs_time_mono_ms() - t0;
	return failed ? (err->code ? err->code : CS_ERR) : 0;
}

int cs_sync_connect(const cs_config *cfg, const cs_org *org, const unsigned char *key,
		    int (*should_stop)(void), cs_http **http, cs_classy **api, cs_err *err)
{
	*http = NULL;
	*api = NULL;
	if (!org->secret_enc || !org->secret_enc[0])
		return cs_err_set(err, CS_EUSAGE,
				  "organization %lld has no stored credentials (it is demo data); "
				  "add a real one with `classy-sync org add`",
				  org->id);
	char *secret = NULL;
	int rc = cs_secret_decrypt(key, org->secret_enc, &secret, err);
	if (rc)
		return cs_err_wrap(err, "organization %lld", org->id);
	cs_http_opts hopts = {.budget = cs_http_budget_get(org->client_id, CS_CLASSY_RATE_LIMIT),
			      .should_stop = should_stop};
	*http = cs_http_new(&hopts, err);
	if (!*http) {
		rc = err->code ? err->code : CS_ERR;
		goto out;
	}
	cs_classy_opts copts = {cfg->api_url, cfg->token_url, org->client_id, secret};
	*api = cs_classy_new(&copts, *http, err);
	if (!*api) {
		rc = err->code ? err->code : CS_ERR;
		cs_http_free(*http);
		*http = NULL;
	}
out:
	cs_secret_free(secret);
	return rc;
}
