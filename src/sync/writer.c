/* The writer side of a run: stores each job in one transaction with its
 * checkpoint, and the pipeline that lets the strategy fetch and parse the
 * next page on one core while this thread writes to SQLite on the other. */
#include "sync/engine_int.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define PIPE_DEPTH 2 /* pages in flight: bounded, so memory stays flat */
#define BATCH_RECORDS 1000 /* rows per transaction when pages queue up */

void cs_job_free(cs_job *job)
{
	if (!job)
		return;
	cs_page_release(&job->page);
	free(job->skip);
	free(job);
}

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

static void report(cs_run_ctx *c, long total)
{
	if (!c->opts->progress)
		return;
	cs_progress p = {c->org, c->e, c->opts->full, c->res->records, c->res->pages, total,
			 cs_mono_ms() - c->t0};
	c->opts->progress(&p, c->opts->progress_ctx);
}

static int store_rows(cs_run_ctx *c, cs_job *job, long long *stored, cs_err *err)
{
	for (size_t i = 0; i < job->page.nrecords; i++) {
		if (job->skip && job->skip[i])
			continue;
		const cs_record *r = &job->page.records[i];
		if (c->st->page_upsert(c->st, c->e, c->org, r, err))
			return cs_err_wrap(err, "cannot store %s record %lld of organization %lld",
					   c->e->name, cs_engine_record_id(r), c->org);
		(*stored)++;
		maybe_kill(i, job->page.nrecords);
	}
	return 0;
}

/* Ends a complete full scan inside the open transaction: soft-deletes what
 * the scan did not see and hands over to incremental, so changes made during
 * the scan are re-read. */
static int finish_full(cs_run_ctx *c, cs_job *job, const char *now, cs_err *err)
{
	int rc = c->st->mark_absent(c->st, c->e, c->org, job->started, &c->res->marked_deleted,
				    err);
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
static int batch_add(cs_run_ctx *c, cs_job *job, cs_err *err)
{
	char now[CS_TIME_BUFSZ];
	cs_time_format(cs_now_ms(), 1, now);
	if (!c->batch.open) {
		if (c->st->page_begin(c->st, now, err))
			return err->code;
		c->batch.open = 1;
	}
	long long stored = 0;
	int rc = job->finish_full ? finish_full(c, job, now, err) : store_rows(c, job, &stored, err);
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

static int batch_commit(cs_run_ctx *c, cs_err *err)
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
	if (!rc)
		report(c, c->batch.total);
	return rc;
}

/* One transaction: the page's rows (or a full scan's soft-deletes) and the
 * checkpoint that accounts for them. */
int cs_engine_store(cs_run_ctx *c, cs_job *job, cs_err *err)
{
	int rc = batch_add(c, job, err);
	return rc ? rc : batch_commit(c, err);
}

static void job_reuse(cs_job *job)
{
	cs_page_reset(&job->page);
	free(job->skip);
	cs_page page = job->page;
	memset(job, 0, sizeof(*job));
	job->page = page;
}

static int emit_direct(cs_run_ctx *c, cs_job *job, cs_err *err)
{
	int rc = cs_engine_store(c, job, err);
	cs_job_free(c->spare);
	c->spare = job;
	return rc;
}

/* A bounded queue between the strategy thread and the writer. */
typedef struct cs_pipe {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	cs_job *q[PIPE_DEPTH];
	int head, len;
	cs_job *done[PIPE_DEPTH + 1]; /* stored jobs handed back for reuse */
	int ndone;
	int eof;    /* the strategy finished (rc below) */
	int closed; /* the writer failed: the strategy must stop */
	int rc;
	cs_err err;
} cs_pipe;

cs_job *cs_engine_job_get(cs_run_ctx *c)
{
	cs_job *job = NULL;
	if (c->pipe) {
		pthread_mutex_lock(&c->pipe->lock);
		if (c->pipe->ndone)
			job = c->pipe->done[--c->pipe->ndone];
		pthread_mutex_unlock(&c->pipe->lock);
	} else {
		job = c->spare;
		c->spare = NULL;
	}
	if (job) {
		job_reuse(job);
		return job;
	}
	job = calloc(1, sizeof(*job));
	if (job)
		cs_page_init(&job->page);
	return job;
}

static int emit_queued(cs_run_ctx *c, cs_job *job, cs_err *err)
{
	cs_pipe *p = c->pipe;
	pthread_mutex_lock(&p->lock);
	while (p->len == PIPE_DEPTH && !p->closed)
		pthread_cond_wait(&p->changed, &p->lock);
	int closed = p->closed;
	if (!closed) {
		p->q[(p->head + p->len) % PIPE_DEPTH] = job;
		p->len++;
		pthread_cond_broadcast(&p->changed);
	}
	pthread_mutex_unlock(&p->lock);
	if (closed) {
		cs_job_free(job);
		return cs_err_set(err, CS_EINTR, "the writer stopped");
	}
	return 0;
}

static void *strategy_thread(void *arg)
{
	cs_run_ctx *c = arg;
	cs_pipe *p = c->pipe;
	cs_err err = {0};
	int rc = cs_engine_strategy(c, &err);
	pthread_mutex_lock(&p->lock);
	p->eof = 1;
	p->rc = rc;
	p->err = err;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Pops the next job; *more says whether another one is already waiting.
 * Returns NULL when the strategy has finished and the queue is empty. */
static cs_job *pop(cs_pipe *p, int *more)
{
	pthread_mutex_lock(&p->lock);
	while (p->len == 0 && !p->eof)
		pthread_cond_wait(&p->changed, &p->lock);
	cs_job *job = NULL;
	if (p->len) {
		job = p->q[p->head];
		p->head = (p->head + 1) % PIPE_DEPTH;
		p->len--;
		pthread_cond_broadcast(&p->changed);
	}
	*more = p->len > 0;
	pthread_mutex_unlock(&p->lock);
	return job;
}

static void hand_back(cs_pipe *p, cs_job *job, int failed)
{
	pthread_mutex_lock(&p->lock);
	if (failed)
		p->closed = 1;
	if (p->ndone < PIPE_DEPTH + 1 && !p->closed)
		p->done[p->ndone++] = job;
	else
		cs_job_free(job); /* after a failure nothing more is fetched */
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

/* Writer loop: store jobs in order, committing when nothing else is waiting
 * (so a slow source still commits page by page) or when the batch is big;
 * after a failure the strategy is told to stop. */
static int drain(cs_run_ctx *c, cs_pipe *p, cs_err *err)
{
	int rc = 0, more;
	cs_job *job;
	while ((job = pop(p, &more))) {
		int failed = 0;
		if (!rc) {
			rc = batch_add(c, job, err);
			if (!rc && (job->finish_full || !more || c->batch.records >= BATCH_RECORDS))
				rc = batch_commit(c, err);
			failed = rc != 0;
		}
		hand_back(p, job, failed);
	}
	if (!rc)
		rc = batch_commit(c, err);
	return rc;
}

static int pipelining(void)
{
	const char *v = getenv("CLASSY_SYNC_PIPELINE");
	return !v || strcmp(v, "0") != 0;
}

int cs_engine_run(cs_run_ctx *c, cs_err *err)
{
	if (!pipelining()) {
		c->emit = emit_direct;
		int rc = cs_engine_strategy(c, err);
		cs_job_free(c->spare);
		c->spare = NULL;
		return rc;
	}
	cs_pipe p;
	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.changed, NULL);
	c->pipe = &p;
	c->emit = emit_queued;
	pthread_t tid;
	int rc;
	if (pthread_create(&tid, NULL, strategy_thread, c)) {
		c->pipe = NULL;
		c->emit = emit_direct;
		rc = cs_engine_strategy(c, err);
		cs_job_free(c->spare);
		c->spare = NULL;
		goto out;
	}
	rc = drain(c, &p, err);
	pthread_join(tid, NULL);
	while (p.ndone)
		cs_job_free(p.done[--p.ndone]);
	if (!rc && p.rc) {
		rc = p.rc;
		*err = p.err;
	}
out:
	pthread_cond_destroy(&p.changed);
	pthread_mutex_destroy(&p.lock);
	c->pipe = NULL;
	return rc;
}
