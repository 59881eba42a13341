/* The writer side of a run: stores each job's rows (or a full scan's
 * soft-deletes) in a transaction with the checkpoint that accounts for
 * them, records each task's run when it ends, and reports progress. Rows
 * and cursor are only ever committed together: this file must never commit
 * a checkpoint without its rows, nor rows without their checkpoint, and a
 * transaction holds the pages of one task only. The checkpoint is the
 * task's frontier (frontier.c), so pages that arrive out of order never
 * move it past a range not yet stored. It neither fetches nor decides what
 * to fetch (engine.c, fetcher.c), and knows nothing of threads
 * (pipeline.c calls it from whichever thread writes). */
#include "sync/engine_int.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_MS 250 /* at most this often after commits */

/* Fault injection for the crash-safety tests: CLASSY_SYNC_TEST_KILL_AT=N
 * sends SIGKILL to this process halfway through storing the Nth page of the
 * process, i.e. with rows written but neither committed nor checkpointed. */
static void maybe_kill(size_t i, size_t n)
{
	static long kill_at = -1, pages;
	if (kill_at < 0) {
		const char *v = getenv("CLASSY_SYNC_TEST_KILL_AT");
		kill_at = v ? atol(v) : 0;
	}
	if (kill_at > 0 && i == n / 2 && ++pages == kill_at)
		raise(SIGKILL);
}

/* Fault injection for the database-restart tests: CLASSY_SYNC_TEST_PAGE_HOOK
 * "N:command" runs the command (a server restart) before the Nth page of
 * the process is stored, so the fault lands at a known point, no timing. */
static void page_hook(void)
{
	static long at = -1, pages;
	static const char *cmd;
	if (at < 0) {
		const char *v = getenv("CLASSY_SYNC_TEST_PAGE_HOOK");
		char *end = NULL;
		at = v ? strtol(v, &end, 10) : 0;
		cmd = end && *end == ':' ? end + 1 : NULL;
	}
	if (at > 0 && cmd && ++pages == at && system(cmd) != 0)
		cs_warn("CLASSY_SYNC_TEST_PAGE_HOOK: '%s' failed", cmd);
}

void cs_sync_writer_report(cs_sync_ctx *c, int force)
{
	if (!c->opts->progress)
		return;
	int64_t now = cs_time_mono_ms();
	if (!force && now - c->last_report < REPORT_MS)
		return;
	c->last_report = now;
	cs_http_loop_info net;
	if (c->loop)
		cs_http_loop_get_info(c->loop, &net);
	for (int i = 0; i < c->ntasks; i++) {
		cs_sync_task *t = &c->tasks[i];
		cs_http_budget_info bi;
		cs_http_budget *b = cs_http_get_budget(cs_classy_http(t->api));
		cs_http_budget_get_info(b, &bi);
		cs_sync_progress p = {t->org, t->e, t->full, t->res->records, t->res->pages,
				      atomic_load(&t->total),
				      (t->ended ? t->res->elapsed_ms : now - t->t0),
				      atomic_load(&t->requests), t->ended, i, c->ntasks,
				      c->loop ? &net : NULL, b ? &bi : NULL};
		c->opts->progress(&p, c->opts->progress_ctx);
	}
}

static int store_rows(cs_sync_ctx *c, cs_sync_job *job, long long *stored, cs_err *err)
{
	page_hook();
	cs_sync_task *t = job->task;
	for (size_t i = 0; i < job->page.nrecords; i++) {
		if (job->skip && job->skip[i])
			continue;
		const cs_record *r = &job->page.records[i];
		if (c->st->page_upsert(c->st, t->e, t->org, r, err))
			return cs_err_wrap(err, "cannot store %s record %lld of organization %lld",
					   t->e->name, cs_classy_record_id(r), t->org);
		(*stored)++;
		maybe_kill(i, job->page.nrecords);
	}
	return 0;
}

/* Ends a complete full scan inside the open transaction: soft-deletes what
 * the scan did not see and hands over to incremental, so changes made during
 * the scan are re-read. */
static int end_full_scan(cs_sync_ctx *c, cs_sync_task *t, int keep_absent, const char *now,
			 cs_err *err)
{
	cs_sync_state *s = &t->state;
	int rc = 0;
	if (t->fresh_scan) /* started on no row: every row is this scan's */
		cs_debug("%s org %lld: first full scan, nothing can be absent", t->e->name, t->org);
	else if (!keep_absent)
		rc = c->st->mark_absent(c->st, t->e, t->org, s->full_started_at,
					&t->res->marked_deleted, err);
	int64_t start_ms, cur_ms;
	cs_time_parse(s->full_started_at, &start_ms, NULL);
	if (!s->cursor[0] || cs_time_parse(s->cursor, &cur_ms, NULL) < 0 || cur_ms < start_ms)
		cs_time_format(start_ms - start_ms % 1000, 0, s->cursor);
	s->full_started_at[0] = '\0';
	s->full_last_id = 0;
	memcpy(s->last_full_at, now, CS_TIME_BUFSZ);
	return rc;
}

/* The page's range advanced: the checkpoint is the task's frontier. */
static void checkpoint(cs_sync_task *t, const cs_sync_job *job)
{
	cs_sync_frontier_advance(&t->frontier, job->slot, job->pos, job->range_done);
	int64_t v = cs_sync_frontier_value(&t->frontier);
	if (t->full)
		t->state.full_last_id = v;
	else if (v != INT64_MIN)
		cs_time_format(v, 0, t->state.cursor);
}

/* Adds a job to the open transaction of its task (committing another
 * task's first). Several pages of a task may share a transaction: the
 * checkpoint after the newest accounts for every page before it, so
 * committing it with all their rows keeps rows and cursor together, and
 * random index pages are written once per batch. */
int cs_sync_writer_add(cs_sync_ctx *c, cs_sync_job *job, cs_err *err)
{
	cs_sync_task *t = job->task;
	int rc;
	if (c->batch.task && c->batch.task != t && (rc = cs_sync_writer_commit(c, err)))
		return rc;
	char now[CS_TIME_BUFSZ];
	cs_time_format(cs_time_now_ms(), 1, now);
	if (!c->batch.task) {
		if (c->st->page_begin(c->st, now, err))
			return err->code;
		c->batch.task = t;
	}
	long long stored = 0;
	rc = job->kind == CS_JOB_FINISH_FULL ? end_full_scan(c, t, job->keep_absent, now, err)
					     : store_rows(c, job, &stored, err);
	if (rc) {
		c->st->page_abort(c->st);
		c->batch.task = NULL;
		c->batch.records = c->batch.pages = 0;
		return rc;
	}
	if (job->kind == CS_JOB_PAGE)
		checkpoint(t, job);
	c->batch.records += stored;
	c->batch.pages += job->kind == CS_JOB_PAGE;
	return 0;
}

int cs_sync_writer_commit(cs_sync_ctx *c, cs_err *err)
{
	cs_sync_task *t = c->batch.task;
	if (!t)
		return 0;
	int rc = c->st->page_commit(c->st, &t->state, err);
	if (rc)
		c->st->page_abort(c->st);
	else {
		t->res->records += c->batch.records;
		t->res->pages += c->batch.pages;
		if (t->e->supporter_ref)
			t->since_chunk += c->batch.records;
	}
	if (!rc)
		cs_logc(CS_LOG_DEBUG, &t->log,
			(cs_log_field[]){CS_LOG_NUM("batch_records", c->batch.records),
					 CS_LOG_NUM("records", t->res->records),
					 CS_LOG_NUM("pages", t->res->pages),
					 CS_LOG_NUM("duration_ms", cs_time_mono_ms() - t->t0),
					 CS_LOG_END},
			"%s org %lld: committed %lld records (%lld in %lld pages so far)", t->e->name,
			t->org, c->batch.records, t->res->records, t->res->pages);
	c->batch.task = NULL;
	c->batch.records = c->batch.pages = 0;
	if (!rc)
		cs_sync_writer_report(c, 0);
	return rc;
}

/* One transaction: the page's rows (or a full scan's soft-deletes) and the
 * checkpoint that accounts for them. */
int cs_sync_writer_store(cs_sync_ctx *c, cs_sync_job *job, cs_err *err)
{
	int rc = cs_sync_writer_add(c, job, err);
	return rc ? rc : cs_sync_writer_commit(c, err);
}

static int finish_status(const cs_sync_task *t, int rc)
{
	if (rc == 0)
		return CS_RUN_SUCCESS;
	if (rc == CS_EINTR)
		return CS_RUN_INTERRUPTED;
	/* partial says "run it again to finish"; a broken paging contract
	 * would fail the same way again */
	return t->res->pages > 0 && !t->broken ? CS_RUN_PARTIAL : CS_RUN_FAILED;
}

/* A chunk of an org's aggregates while the writer would otherwise wait:
 * at the rate limit it waits most of the time, and the recompute after
 * the last page then finds only what was queued since the last chunk.
 * Only idle time pays for it (twice what the last chunk took must have
 * been spent waiting), so a writer that is the bottleneck never runs one.
 * Exact whatever the timing: every upsert queues its supporter again, and
 * the recompute at the end does whatever is still queued. */
#define CHUNK_SUPPORTERS 5000
#define CHUNK_AFTER_ROWS 2000 /* stored rows of an org that call for a chunk */

/* Tests make chunks small (CLASSY_SYNC_TEST_CHUNK=N: N supporters after
 * N rows), so a small data set is done in several chunks. */
static long long chunk_size(long long dflt)
{
	const char *v = getenv("CLASSY_SYNC_TEST_CHUNK");
	long long n = v ? atoll(v) : 0;
	return n > 0 ? n : dflt;
}

void cs_sync_writer_idle(cs_sync_ctx *c)
{
	if (c->no_chunks || c->batch.task || c->idle_ms < 2 * c->chunk_ms + 20)
		return;
	cs_sync_task *best = NULL;
	long long most = chunk_size(CHUNK_AFTER_ROWS) - 1;
	for (int i = 0; i < c->ntasks; i++) {
		cs_sync_task *t = &c->tasks[i];
		long long rows = 0;
		for (int k = 0; k < c->ntasks; k++)
			if (c->tasks[k].ores == t->ores)
				rows += c->tasks[k].since_chunk;
		if (rows > most) {
			most = rows;
			best = t;
		}
	}
	if (!best)
		return;
	for (int k = 0; k < c->ntasks; k++)
		if (c->tasks[k].ores == best->ores)
			c->tasks[k].since_chunk = 0;
	int64_t t0 = cs_time_mono_ms();
	cs_recompute_some r = {.org_id = best->org, .limit = chunk_size(CHUNK_SUPPORTERS)};
	cs_err err = {0};
	if (c->st->ctrl(c->st, CS_CTRL_RECOMPUTE_SOME, &r, &err)) {
		/* not a failure: the recompute at the end does it all */
		cs_debug("aggregates chunk of org %lld: %s; no more chunks", best->org, err.msg);
		c->no_chunks = 1;
	}
	c->chunk_ms = cs_time_mono_ms() - t0;
	c->idle_ms = 0;
	cs_debug("aggregates chunk of org %lld: %lld supporters in %lld ms", best->org, r.updated,
		 (long long)c->chunk_ms);
}

void cs_sync_writer_aggregates(cs_sync_ctx *c, cs_sync_org_result *o)
{
	cs_err err = {0};
	if (c->st->recompute_aggregates(c->st, o->org_id, &o->aggregates_updated, &err)) {
		o->aggregates_rc = err.code ? err.code : CS_ERR;
		cs_err_wrap(&err, "cannot recompute supporter aggregates of organization %lld",
			    o->org_id);
		memcpy(o->aggregates_error, err.msg, sizeof(o->aggregates_error));
	}
}

/* Every task of t's org ended: the aggregates of the supporters they
 * touched, now, between transactions, while other orgs of the run may
 * still be fetching (at the rate limit the writer is mostly idle, so this
 * overlaps their pages instead of following them all). */
static void org_aggregates(cs_sync_ctx *c, const cs_sync_task *t)
{
	cs_sync_org_result *o = t->ores;
	int touched = 0;
	for (int i = 0; i < c->ntasks; i++) {
		const cs_sync_task *u = &c->tasks[i];
		if (u->ores != o)
			continue;
		if (!u->ended)
			return;
		/* even with nothing new: a recompute that failed before left its
		 * queue behind, and this is its next chance */
		touched |= u->e->supporter_ref != NULL || u->agg_due;
	}
	if (touched && !c->failed)
		cs_sync_writer_aggregates(c, o);
}

/* The task ended (every page of it is stored, or it failed): its
 * sync_runs row gets the outcome and counters, and the entity_end hook
 * runs. A write failure is the outcome when there was one. */
void cs_sync_writer_end(cs_sync_ctx *c, cs_sync_task *t)
{
	if (t->ended)
		return;
	cs_err cerr = {0};
	if (c->batch.task == t && cs_sync_writer_commit(c, &cerr) && !atomic_load(&t->write_rc)) {
		t->write_err = cerr;
		atomic_store(&t->write_rc, cerr.code ? cerr.code : CS_ERR);
	}
	int wrc = atomic_load(&t->write_rc);
	int rc = wrc ? wrc : t->rc;
	cs_sync_entity_result *res = t->res;
	res->rejected = t->rejected;
	cs_err rerr = {0};
	if (rc == 0 && t->rejected)
		/* every other record is stored, and the rejected ones said why
		 * (engine.c): the run is partial, its error names the first */
		rc = cs_err_set(&rerr, CS_EPROTO,
				"%lld %s record(s) not stored because their id is not valid "
				"(first: %s); every other record was stored",
				t->rejected, t->e->name, t->first_reject);
	res->status = finish_status(t, rc);
	if (rc)
		snprintf(res->error, sizeof(res->error), "%s",
			 wrc ? t->write_err.msg : rerr.code ? rerr.msg : t->err.msg);
	res->requests = atomic_load(&t->requests);
	res->retries = atomic_load(&t->retries);
	res->elapsed_ms = cs_time_mono_ms() - t->t0;
	cs_run *run = &t->run_row;
	run->status = res->status;
	run->records = res->records;
	run->pages = res->pages;
	run->requests = res->requests;
	run->retries = res->retries;
	snprintf(run->error, sizeof(run->error), "%s", res->error);
	cs_time_format(cs_time_now_ms(), 1, run->finished_at);
	/* a lost connection: run.c reconnects, closes the run as interrupted
	 * and runs the entity again, still under its lease */
	t->lost = rc == CS_EDBCONN;
	cs_err ferr = {0};
	if (!(t->lost && c->keep_lost) && c->st->run_finish(c->st, run, &ferr))
		cs_warn("cannot record the end of run %lld: %s", run->id, ferr.msg);
	/* The caller reports outcomes (the CLI's summary and errors); this is
	 * the log's record of it, with its numbers as fields. */
	cs_logc(res->status == CS_RUN_SUCCESS ? CS_LOG_INFO : CS_LOG_WARN, &t->log,
		(cs_log_field[]){CS_LOG_STR("status", cs_run_status_name(res->status)),
				 CS_LOG_NUM("records", res->records), CS_LOG_NUM("pages", res->pages),
				 CS_LOG_NUM("requests", res->requests),
				 CS_LOG_NUM("retries", res->retries),
				 CS_LOG_NUM("duration_ms", res->elapsed_ms),
				 res->error[0] ? (cs_log_field)CS_LOG_STR("error", res->error)
					       : (cs_log_field)CS_LOG_END,
				 CS_LOG_END},
		"%s of organization %lld: %s, %lld records in %lld pages, %lld requests%s%s",
		t->e->name, t->org, cs_run_status_name(res->status), res->records, res->pages,
		res->requests, res->error[0] ? ": " : "", res->error);
	t->ended = 1;
	if (c->opts->entity_end && !(t->lost && c->keep_lost))
		c->opts->entity_end(t->e, t->entity_ctx);
	cs_sync_writer_report(c, 1);
	org_aggregates(c, t);
}
