/* How a run is driven: the strategy (engine.c) produces jobs and the
 * writer (writer.c) stores them, either on one thread, or pipelined on two
 * so the strategy fetches and parses the next page on one core while the
 * writer works on SQLite on the other. This file owns the jobs (a small
 * pool, so page buffers are reused) and the bounded queue between the two
 * threads. It must never reorder jobs, and never let more than PIPE_DEPTH
 * pages wait (memory stays flat). The strategy reaches it only through
 * c->emit and c->job_get, so engine.c never calls back into this file. */
#include "sync/engine_int.h"

#include <stdlib.h>
#include <string.h>

#define PIPE_DEPTH 2 /* pages in flight: bounded, so memory stays flat */
#define BATCH_RECORDS 1000 /* rows per transaction when pages queue up */

static void job_free(cs_sync_job *job)
{
	if (!job)
		return;
	cs_classy_page_release(&job->page);
	free(job->skip);
	free(job);
}

static void job_reuse(cs_sync_job *job)
{
	cs_classy_page_reset(&job->page);
	free(job->skip);
	cs_classy_page page = job->page;
	memset(job, 0, sizeof(*job));
	job->page = page;
}

static int emit_direct(cs_sync_ctx *c, cs_sync_job *job, cs_err *err)
{
	int rc = cs_sync_writer_store(c, job, err);
	job_free(c->spare);
	c->spare = job;
	return rc;
}

/* A bounded queue between the strategy thread and the writer. */
typedef struct cs_sync_pipe {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	cs_sync_job *q[PIPE_DEPTH];
	int head, len;
	cs_sync_job *done[PIPE_DEPTH + 1]; /* stored jobs handed back for reuse */
	int ndone;
	int eof;    /* the strategy finished (rc below) */
	int closed; /* the writer failed: the strategy must stop */
	int rc;
	cs_err err;
} cs_sync_pipe;

/* A job to fill: a stored one handed back by the writer when there is one,
 * so its buffers are reused and its cJSON trees are freed on the thread that
 * allocated them (glibc frees across threads are slow), or a new one. */
static cs_sync_job *job_get(cs_sync_ctx *c)
{
	cs_sync_job *job = NULL;
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
		cs_classy_page_init(&job->page);
	return job;
}

static int emit_queued(cs_sync_ctx *c, cs_sync_job *job, cs_err *err)
{
	cs_sync_pipe *p = c->pipe;
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
		job_free(job);
		return cs_err_set(err, CS_EINTR, "the writer stopped");
	}
	return 0;
}

static void *strategy_thread(void *arg)
{
	cs_sync_ctx *c = arg;
	cs_sync_pipe *p = c->pipe;
	cs_err err = {0};
	int rc = cs_sync_strategy(c, &err);
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
static cs_sync_job *pop(cs_sync_pipe *p, int *more)
{
	pthread_mutex_lock(&p->lock);
	while (p->len == 0 && !p->eof)
		pthread_cond_wait(&p->changed, &p->lock);
	cs_sync_job *job = NULL;
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

static void hand_back(cs_sync_pipe *p, cs_sync_job *job, int failed)
{
	pthread_mutex_lock(&p->lock);
	if (failed)
		p->closed = 1;
	if (p->ndone < PIPE_DEPTH + 1 && !p->closed)
		p->done[p->ndone++] = job;
	else
		job_free(job); /* after a failure nothing more is fetched */
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

/* Writer loop: store jobs in order, committing when nothing else is waiting
 * (so a slow source still commits page by page) or when the batch is big;
 * after a failure the strategy is told to stop. */
static int drain(cs_sync_ctx *c, cs_sync_pipe *p, cs_err *err)
{
	int rc = 0, more;
	cs_sync_job *job;
	while ((job = pop(p, &more))) {
		int failed = 0;
		if (!rc) {
			rc = cs_sync_writer_add(c, job, err);
			if (!rc && (job->finish_full || !more || c->batch.records >= BATCH_RECORDS))
				rc = cs_sync_writer_commit(c, err);
			failed = rc != 0;
		}
		hand_back(p, job, failed);
	}
	if (!rc)
		rc = cs_sync_writer_commit(c, err);
	return rc;
}

static int pipelining(void)
{
	const char *v = getenv("CLASSY_SYNC_PIPELINE");
	return !v || strcmp(v, "0") != 0;
}

/* Strategy and writer on this thread, one page per transaction. */
static int run_direct(cs_sync_ctx *c, cs_err *err)
{
	c->pipe = NULL;
	c->emit = emit_direct;
	int rc = cs_sync_strategy(c, err);
	job_free(c->spare);
	c->spare = NULL;
	return rc;
}

int cs_sync_pipeline_run(cs_sync_ctx *c, cs_err *err)
{
	c->job_get = job_get;
	if (!pipelining())
		return run_direct(c, err);
	cs_sync_pipe p;
	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.changed, NULL);
	c->pipe = &p;
	c->emit = emit_queued;
	pthread_t tid;
	int rc;
	if (pthread_create(&tid, NULL, strategy_thread, c)) {
		rc = run_direct(c, err);
		goto out;
	}
	rc = drain(c, &p, err);
	pthread_join(tid, NULL);
	while (p.ndone)
		job_free(p.done[--p.ndone]);
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
