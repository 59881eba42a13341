/* Sync runs: every org and entity of a run becomes a task (its sync_runs
 * row, its checkpoint state, its result) and the pipeline runs them all at
 * once (the writer recomputes each org's aggregates as its last task
 * ends); and connecting an org (its decrypted secret into a Classy
 * client). It must never print: the caller reports outcomes; and it never
 * calls a push destination. */
#include "sync/engine_int.h"

#include "http/sleep.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/timeutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONCURRENCY 8

static void fail_result(cs_sync_entity_result *r, const cs_err *err)
{
	r->status = CS_RUN_FAILED;
	snprintf(r->error, sizeof(r->error), "%s", err->msg);
}

/* The task's starting point: a full scan resumes after its last committed
 * id (or starts now); an incremental one starts lookback_s before its
 * cursor. Its sync_runs row is opened here, on the writer's thread. */
static int task_begin(cs_sync_ctx *c, cs_sync_task *t, cs_err *err)
{
	cs_store *st = c->st;
	cs_log_ctx_num(&t->log, "org", t->org);
	cs_log_ctx_str(&t->log, "entity", t->e->name);
	cs_log_ctx_str(&t->log, "mode", t->full ? "full" : "incremental");
	int rc = st->state_get(st, t->org, t->e->id, &t->state, err);
	if (rc)
		return rc;
	t->state.org_id = t->org;
	t->state.entity = t->e->id;
	t->lookback_s = c->opts->lookback_s >= 0 ? c->opts->lookback_s : t->state.lookback_s;
	if ((rc = cs_sync_fields(c->opts->fields, t->e, t->fields, sizeof(t->fields), err)))
		return rc;
	if (t->full) {
		if (!t->state.full_started_at[0]) {
			cs_time_format(cs_time_now_ms(), 1, t->state.full_started_at);
			t->state.full_last_id = 0;
			/* An org with no row yet (a first sync) cannot have one the
			 * scan misses: its end skips the soft-delete pass. A backend
			 * without the op just runs the pass. */
			cs_has_rows h = {.org_id = t->org, .entity = t->e->id};
			cs_err herr = {0};
			t->fresh_scan = st->ctrl(st, CS_CTRL_HAS_ROWS, &h, &herr) == 0 && !h.any;
		} else {
			cs_logc(CS_LOG_INFO, &t->log, NULL,
				"%s org %lld: resuming the full sync started %s after id %lld",
				t->e->name, t->org, t->state.full_started_at, t->state.full_last_id);
		}
		t->start_lo = t->state.full_last_id;
	} else {
		t->start_lo = INT64_MIN;
		if (t->state.cursor[0] && cs_time_parse(t->state.cursor, &t->start_lo, NULL) == 0)
			t->start_lo -= (int64_t)t->lookback_s * 1000;
	}
	t->run_row = (cs_run){.org_id = t->org, .entity = t->e->id, .full = t->full,
			      .status = CS_RUN_RUNNING};
	cs_time_format(cs_time_now_ms(), 1, t->run_row.started_at);
	if ((rc = st->run_begin(st, &t->run_row, err)))
		return rc;
	t->res->run_id = t->run_row.id;
	cs_log_ctx_num(&t->log, "run_id", t->run_row.id);
	cs_logc(CS_LOG_INFO, &t->log, NULL, "%s sync of %s for organization %lld started",
		t->full ? "full" : "incremental", t->e->name, t->org);
	return 0;
}

/* Whether the org's aggregates follow its runs: one of its entities
 * points at supporters. */
static int org_touches(const cs_sync_org_result *r)
{
	for (int k = 0; k < r->nents; k++)
		if (r->ents[k].entity->supporter_ref)
			return 1;
	return 0;
}

/* The result of entity e of org r, a new one on the first pass (redo NULL),
 * the one of the run being resumed on a later pass (reset: run.c added its
 * counters up before). */
static cs_sync_entity_result *result_of(cs_sync_org_result *r, const cs_entity *e, int redo)
{
	cs_sync_entity_result *x = NULL;
	for (int k = 0; redo && k < r->nents && !x; k++)
		if (r->ents[k].entity == e)
			x = &r->ents[k];
	if (!x)
		x = &r->ents[r->nents++];
	memset(x, 0, sizeof(*x));
	x->entity = e;
	return x;
}

/* Every entity of every target that may run becomes a task; one whose
 * lease another process holds is skipped, one that cannot start fails
 * alone. On a later pass (redo non-NULL) only the entities in redo[i] (bit
 * k: cs_entities[k]) run again: they still hold their leases. Returns the
 * number of tasks. */
static int plan_tasks(cs_sync_ctx *c, const cs_sync_target *tg, size_t n, const cs_entity *only,
		      cs_sync_org_result *res, const unsigned *redo)
{
	const cs_sync_opts *o = c->opts;
	int nt = 0;
	/* a database that stayed locked through one busy wait fails every
	 * later task at once: one bounded wait for the whole run */
	cs_err busy = {0};
	for (size_t i = 0; i < n; i++) {
		if (!redo) {
			memset(&res[i], 0, sizeof(res[i]));
			res[i].org_id = tg[i].org_id;
		}
		for (int k = 0; k < CS_ENT_COUNT; k++) {
			const cs_entity *e = &cs_entities[k];
			if (redo ? !(redo[i] & 1u << k)
				 : (only && only != e) ||
					   (o->entity_begin && o->entity_begin(e, tg[i].entity_ctx)))
				continue;
			cs_sync_entity_result *r = result_of(&res[i], e, redo != NULL);
			cs_sync_task *t = &c->tasks[nt];
			memset(t, 0, sizeof(*t));
			*t = (cs_sync_task){.run = c, .org = tg[i].org_id, .e = e, .api = tg[i].api,
					    .entity_ctx = tg[i].entity_ctx, .res = r, .ores = &res[i],
					    .full = o->full, .agg_due = redo && org_touches(&res[i]),
					    .t0 = redo ? c->t0 : cs_time_mono_ms(),
					    .started_ms = cs_time_now_ms()};
			atomic_init(&t->requests, 0);
			atomic_init(&t->retries, 0);
			atomic_init(&t->total, -1);
			atomic_init(&t->write_rc, 0);
			cs_err err = busy;
			if (busy.code || task_begin(c, t, &err)) {
				if (err.code == CS_EBUSY)
					busy = err;
				fail_result(r, &err);
				if (o->entity_end)
					o->entity_end(e, tg[i].entity_ctx);
				continue;
			}
			nt++;
		}
	}
	return nt;
}

static void free_tasks(cs_sync_ctx *c)
{
	for (int i = 0; i < c->ntasks; i++) {
		cs_sync_task *t = &c->tasks[i];
		for (int k = 0; k < t->nwalks; k++) {
			cs_sync_walk_release(t->walks[k]);
			cs_http_call_free(t->walks[k]->listing.call);
			free(t->walks[k]);
		}
		free(t->walks);
		if (t->probe) {
			cs_sync_walk_release(t->probe);
			cs_http_call_free(t->probe->listing.call);
			free(t->probe);
		}
		cs_sync_frontier_release(&t->frontier);
	}
	free(c->tasks);
}

/* Runs the tasks: the strategy and the HTTP loop fetch, this thread
 * writes. A task the strategy could not end (the writer stopped) ends
 * here with the run's error. */
static int run_tasks(cs_sync_ctx *c, cs_err *err)
{
	int rc = cs_http_loop_share(c->concurrency, &c->loop, err);
	if (rc == 0) {
		pthread_mutex_init(&c->done_mu, NULL);
		pthread_cond_init(&c->done_cv, NULL);
		rc = cs_sync_pipeline_run(c, err);
		pthread_cond_destroy(&c->done_cv);
		pthread_mutex_destroy(&c->done_mu);
	}
	c->failed = rc != 0;
	for (int i = 0; i < c->ntasks; i++) {
		cs_sync_task *t = &c->tasks[i];
		/* a lost connection stopped the writer: what it cut short
		 * ended on the loss, not on "the writer stopped" */
		if (!t->ended && rc == CS_EDBCONN && t->rc == CS_EINTR)
			t->rc = 0;
		if (!t->ended && !t->rc && !atomic_load(&t->write_rc)) {
			t->rc = rc ? rc : CS_ERR;
			t->err = *err;
			if (!rc)
				cs_err_set(&t->err, CS_ERR, "the sync ended before this entity did");
		}
		cs_sync_writer_end(c, t);
	}
	cs_http_loop_unshare(c->loop);
	c->loop = NULL;
	return rc;
}

/* Waits for the database to come back after CS_EDBCONN: backoff from 1 s,
 * doubling up to 30 s, for at most CS_SYNC_DB_WAIT_MS (or until stopped). */
#define CS_SYNC_DB_WAIT_MS 180000
#define MAX_LOSSES 3 /* connections lost in one run before it gives up */

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

/* One pass: plans the tasks (all, or the ones in redo), runs them, and
 * notes in lost[i] the entities of target i that lost the database
 * connection (they still hold their leases when keep_lost). */
static int run_pass(cs_sync_ctx *c, const cs_sync_target *tg, size_t n, const cs_entity *only,
		    cs_sync_org_result *res, const unsigned *redo, unsigned *lost, cs_err *err)
{
	memset(lost, 0, n * sizeof(*lost));
	/* what the last pass left behind refers to its freed tasks */
	c->done_head = c->done_tail = NULL;
	c->batch.task = NULL;
	c->batch.records = c->batch.pages = 0;
	c->tasks = calloc(n * CS_ENT_COUNT + 1, sizeof(*c->tasks));
	if (!c->tasks)
		return cs_err_set(err, CS_ERR, "cannot start the sync: out of memory");
	c->ntasks = plan_tasks(c, tg, n, only, res, redo);
	int rc = c->ntasks ? run_tasks(c, err) : 0;
	for (int i = 0; i < c->ntasks; i++)
		if (c->tasks[i].lost)
			lost[c->tasks[i].ores - res] |= 1u << (c->tasks[i].e - cs_entities);
	free_tasks(c);
	c->tasks = NULL;
	c->ntasks = 0;
	return rc;
}

static void add_counts(cs_sync_entity_result *to, const cs_sync_entity_result *r)
{
	to->records += r->records;
	to->pages += r->pages;
	to->requests += r->requests;
	to->retries += r->retries;
	to->marked_deleted += r->marked_deleted;
	to->rejected += r->rejected;
}

/* The sync_runs row of a run that lost its connection (the writer left
 * it open, see cs_sync_writer_end). */
static void finish_lost(cs_sync_ctx *c, const cs_sync_org_result *o,
			const cs_sync_entity_result *r, int status, const char *why)
{
	cs_run run = {.id = r->run_id, .org_id = o->org_id, .entity = r->entity->id,
		      .full = c->opts->full, .status = status, .records = r->records,
		      .pages = r->pages, .requests = r->requests, .retries = r->retries};
	cs_time_format(cs_time_now_ms(), 1, run.finished_at);
	snprintf(run.error, sizeof(run.error), "%s", why);
	cs_err ferr = {0};
	if (r->run_id && c->st->run_finish(c->st, &run, &ferr))
		cs_warn("cannot record the end of run %lld: %s", r->run_id, ferr.msg);
}

/* After a reconnect: the runs that lost their connection are closed as
 * interrupted (their last committed page stays, and the next pass resumes
 * from it), their counters kept in acc; an org whose recompute alone lost
 * it is recomputed now. */
static void close_lost(cs_sync_ctx *c, size_t n, cs_sync_org_result *res, const unsigned *lost,
		       cs_sync_entity_result *acc)
{
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < res[i].nents; k++) {
			cs_sync_entity_result *r = &res[i].ents[k];
			int ek = (int)(r->entity - cs_entities);
			if (!(lost[i] & 1u << ek))
				continue;
			add_counts(&acc[i * CS_ENT_COUNT + ek], r);
			char why[sizeof(r->error)];
			snprintf(why, sizeof(why),
				 "the connection to the database was lost (%.600s); reconnected, and "
				 "the next run resumed from the last committed page", r->error);
			finish_lost(c, &res[i], r, CS_RUN_INTERRUPTED, why);
			cs_info("%s of organization %lld: database back; resuming from the last "
				"committed page", r->entity->name, res[i].org_id);
		}
		if (!lost[i] && res[i].aggregates_rc == CS_EDBCONN) {
			res[i].aggregates_rc = 0;
			res[i].aggregates_error[0] = '\0';
			cs_sync_writer_aggregates(c, &res[i]);
		}
	}
}

/* Passes until no connection is lost: a server restart or a network drop
 * is not the end of a run. The database comes back (reconnect), the runs
 * it cut are closed as interrupted, and their entities run again from
 * their last committed checkpoint in new runs: what was not committed is
 * fetched again, so nothing is lost or doubled. A simple bound: the whole
 * pass ends at the first loss (every task shares the one connection). */
static int run_all(cs_sync_ctx *c, const cs_sync_target *tg, size_t n, const cs_entity *only,
		   cs_sync_org_result *res, cs_err *err)
{
	unsigned *lost = calloc(2 * n, sizeof(*lost)), *redo = lost ? lost + n : NULL;
	cs_sync_entity_result *acc = calloc(n * CS_ENT_COUNT, sizeof(*acc));
	int rc = lost && acc ? 0 : cs_err_set(err, CS_ERR, "cannot start the sync: out of memory");
	for (int pass = 0; rc == 0; pass++) {
		c->keep_lost = pass < MAX_LOSSES;
		c->failed = 0;
		rc = run_pass(c, tg, n, only, res, pass ? redo : NULL, lost, err);
		int any = 0;
		for (size_t i = 0; i < n; i++)
			any |= lost[i] || res[i].aggregates_rc == CS_EDBCONN;
		if (!any || !c->keep_lost)
			break;
		cs_warn("%s; reconnecting", err->code ? err->msg : "the database connection was lost");
		cs_err rerr = {0};
		if (reconnect(c->st, c->opts, &rerr)) {
			for (size_t i = 0; i < n; i++)
				for (int k = 0; k < res[i].nents; k++) {
					cs_sync_entity_result *r = &res[i].ents[k];
					if (!(lost[i] & 1u << (r->entity - cs_entities)))
						continue;
					char was[sizeof(r->error)];
					memcpy(was, r->error, sizeof(was));
					snprintf(r->error, sizeof(r->error), "%.500s; %.500s", rerr.msg,
						 was);
					finish_lost(c, &res[i], r, r->status, r->error);
					if (c->opts->entity_end)
						c->opts->entity_end(r->entity, tg[i].entity_ctx);
				}
			*err = rerr;
			rc = rerr.code ? rerr.code : CS_EDBCONN;
			break;
		}
		close_lost(c, n, res, lost, acc);
		memcpy(redo, lost, n * sizeof(*lost));
		rc = 0;
		memset(err, 0, sizeof(*err));
	}
	for (size_t i = 0; acc && i < n; i++)
		for (int k = 0; k < res[i].nents; k++)
			add_counts(&res[i].ents[k], &acc[i * CS_ENT_COUNT +
							 (res[i].ents[k].entity - cs_entities)]);
	free(lost);
	free(acc);
	return rc;
}

int cs_sync_orgs(cs_store *st, const cs_sync_target *targets, size_t n, const cs_entity *only,
		 const cs_sync_opts *opts, cs_sync_org_result *res, cs_err *err)
{
	int64_t t0 = cs_time_mono_ms();
	cs_sync_ctx c = {.st = st, .opts = opts, .t0 = t0,
			 .concurrency = opts->concurrency > 0 ? opts->concurrency
							      : DEFAULT_CONCURRENCY};
	cs_err rerr = {0};
	int rc = run_all(&c, targets, n, only, res, &rerr);
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < res[i].nents; k++) {
			const cs_sync_entity_result *r = &res[i].ents[k];
			if (r->status == CS_RUN_SUCCESS)
				continue;
			failed++;
			cs_err_set(err, r->status == CS_RUN_INTERRUPTED ? CS_EINTR : CS_ERR, "%s",
				   r->error);
		}
		if (res[i].aggregates_rc) { /* the writer recomputed each org as it ended */
			failed++;
			cs_err_set(err, res[i].aggregates_rc, "%s", res[i].aggregates_error);
		}
		res[i].elapsed_ms = cs_time_mono_ms() - t0;
	}
	if (rc) {
		*err = rerr;
		return rc;
	}
	return failed ? (err->code ? err->code : CS_ERR) : 0;
}

int cs_sync_org(cs_store *st, cs_classy *api, long long org, const cs_entity *only,
		const cs_sync_opts *opts, cs_sync_org_result *res, cs_err *err)
{
	cs_sync_target t = {org, api, opts->entity_ctx};
	return cs_sync_orgs(st, &t, 1, only, opts, res, err);
}

int cs_sync_entity(cs_store *st, cs_classy *api, long long org, const cs_entity *e,
		   const cs_sync_opts *opts, cs_sync_entity_result *res, cs_err *err)
{
	cs_sync_org_result r;
	cs_sync_opts o = *opts;
	o.entity_begin = NULL;
	o.entity_end = NULL;
	int rc = cs_sync_org(st, api, org, e, &o, &r, err);
	if (r.nents)
		*res = r.ents[0];
	return rc;
}

/* A request of an org's client will be tried again: said at info level,
 * with the org (carried in ud) and entity as fields, on the thread that
 * sent it (the event loop's). The CLI's progress line shows the same from
 * the loop's info. */
static void log_wait(const cs_http_wait *w, void *ud)
{
	char text[512];
	cs_http_wait_text(w, "Classy", text, sizeof(text));
	cs_logc(CS_LOG_INFO, NULL,
		(cs_log_field[]){CS_LOG_NUM("org", (long long)(intptr_t)ud),
				 CS_LOG_STR("entity", w->label ? w->label : ""),
				 CS_LOG_NUM("status", w->status), CS_LOG_NUM("retry", w->retry),
				 CS_LOG_NUM("max_retries", w->max_retries),
				 CS_LOG_NUM("wait_ms", w->wait_ms), CS_LOG_END},
		"%s (%s %s)", text, w->method, w->url);
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
	cs_http_opts hopts = {.budget = cs_http_budget_get(org->client_id, cfg->rate_limit),
			      .should_stop = should_stop, .on_wait = log_wait,
			      .wait_ud = (void *)(intptr_t)org->id};
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
