/* The writer side of a run: stores each job's rows (or a full scan's
 * soft-deletes) in a transaction with the checkpoint that accounts for
 * them, and reports progress after each commit. Rows and cursor are only
 * ever committed together: this file must never commit a checkpoint
 * without its rows, nor rows without their checkpoint. It neither fetches
 * nor decides what to fetch (engine.c), and knows nothing of threads
 * (pipeline.c calls it from whichever thread writes). */
#include "sync/engine_int.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

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

/* CLASSY_SYNC_TEST_TERM_AT=N sends SIGTERM to this process right after the
 * Nth commit of the process: a stop that lands between pages, with no
 * request in flight, so the tests reach the strategy's own stop check
 * deterministically (a stop mid-request is seen by the HTTP client). */
static void maybe_term(void)
{
	static long term_at = -1, commits;
	if (term_at < 0) {
		const char *v = getenv("CLASSY_SYNC_TEST_TERM_AT");
		term_at = v ? atol(v) : 0;
	}
	if (term_at > 0 && ++commits == term_at)
		raise(SIGTERM);
}

static void report(cs_sync_ctx *c, long total)
{
	if (!c->opts->progress)
		return;
	cs_sync_progress p = {c->org, c->e, c->opts->full, c->res->records, c->res->pages, total,
			 cs_time_mono_ms() - c->t0};
	c->opts->progress(&p, c->opts->progress_ctx);
}

static int store_rows(cs_sync_ctx *c, cs_sync_job *job, long long *stored, cs_err *err)
{
	page_hook();
	for (size_t i = 0; i < job->page.nrecords; i++) {
		if (job->skip && job->skip[i])
			continue;
		const cs_record *r = &job->page.records[i];
		if (c->st->page_upsert(c->st, c->e, c->org, r, err))
			return cs_err_wrap(err, "cannot store %s record %lld of organization %lld",
					   c->e->name, cs_classy_record_id(r), c->org);
		(*stored)++;
		maybe_kill(i, job->page.nrecords);
	}
	return 0;
}

/* Ends a complete full scan inside the open transaction: soft-deletes what
 * the scan did not see and hands over to incremental, so changes made during
 * the scan are re-read. */
static int end_full_scan(cs_sync_ctx *c, cs_sync_job *job, const char *now, cs_err *err)
{
	int rc = job->keep_absent ? 0
				  : c->st->mark_absent(c->st, c->e, c->org, job->started,
						       &c->res->marked_deleted, err);
	int64_t start_ms, cur_ms;
	cs_time_parse(job->started, &start_ms, NULL);
	if (!job->state.cursor[0] || cs_time_parse(job->state.cursor, &cur_ms, NULL) < 0 ||
	    cur_ms < start_ms)
		cs_time_format(start_ms - start_ms % 1000, 0, job->state.cursor);
	job->state.full_started_at[0] = '\0';
	job->state.full_last_id = 0;
	memcpy(job->state.last_full_at, now, CS_TIME_BUFSZ);
	return rc;
}

/* Adds a job to the open transaction (opening one if needed). Several pages
 * may share a transaction: each job's checkpoint includes every earlier
 * page, so committing the newest one with all their rows keeps rows and
 * cursor together, and random index pages are written once per batch. */
int cs_sync_writer_add(cs_sync_ctx *c, cs_sync_job *job, cs_err *err)
{
	char now[CS_TIME_BUFSZ];
	cs_time_format(cs_time_now_ms(), 1, now);
	if (!c->batch.open) {
		if (c->st->page_begin(c->st, now, err))
			return err->code;
		c->batch.open = 1;
	}
	long long stored = 0;
	int rc = job->finish_full ? end_full_scan(c, job, now, err) : store_rows(c, job, &stored, err);
	if (rc) {
		c->st->page_abort(c->st);
		c->batch.open = 0;
		c->batch.records = c->batch.pages = 0;
		return rc;
	}
	c->batch.state = job->state;
	c->batch.total = job->total;
	c->batch.records += stored;
	c->batch.pages += !job->finish_full;
	return 0;
}

int cs_sync_writer_commit(cs_sync_ctx *c, cs_err *err)
{
	if (!c->batch.open)
		return 0;
	int rc = c->st->page_commit(c->st, &c->batch.state, err);
	if (rc)
		c->st->page_abort(c->st);
	else {
		c->res->records += c->batch.records;
		c->res->pages += c->batch.pages;
	}
	c->batch.open = 0;
	c->batch.records = c->batch.pages = 0;
	if (!rc) {
		report(c, c->batch.total);
		maybe_term();
	}
	return rc;
}

/* One transaction: the page's rows (or a full scan's soft-deletes) and the
 * checkpoint that accounts for them. */
int cs_sync_writer_store(cs_sync_ctx *c, cs_sync_job *job, cs_err *err)
{
	int rc = cs_sync_writer_add(c, job, err);
	return rc ? rc : cs_sync_writer_commit(c, err);
}
