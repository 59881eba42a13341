/* How a run is driven: the strategy (fetcher.c) produces jobs and the
 * writer (writer.c) stores them, either on one thread, or pipelined on two
 * so the strategy parses answers on one core while the writer works on the
 * database on the other (the HTTP event loop has its own thread). This
 * file owns the jobs (a pool, so page buffers are reused) and the bounded
 * queue between the two threads.
 *
 * It must never reorder the jobs of one task (their checkpoints build on
 * each other), and never let more than PIPE_DEPTH pages wait (memory stays
 * flat). Jobs of different tasks may be taken out of order: the writer
 * takes the next job of the task whose transaction is open when there is
 * one, so a transaction holds as many pages of one task as are waiting.
 * The strategy reaches it only through c->emit and c->job_get, so
 * fetcher.c never calls back into this file. */
#include "sync/engine_int.h"

#include "util/timeutil.h"

#include <stdlib.h>
#include <string.h>

#define PIPE_DEPTH 16 /* pages waiting for the writer: bounded, so memory stays flat */
/* Rows per transaction when pages queue up. Every commit writes each
 * random index leaf (transactions' supporter_id) it touched once, so a
 * bigger batch writes fewer WAL frames per row: 1,000 -> 5,000 took CPU
 * per record at 300k from about 62 to 58 us; 20,000 gained nothing more.
 * A crash redoes at most one batch (upserts make that harmless). */
#define BATCH_RECORDS 5000
#define TICK_MS 500 /* progress while nothing is committed */

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

/* A write of task t failed: its later pages are dropped and the strategy
 * stops fetching it. A disk, a lock or a lost connection fails every task
 * the same way, so that stops the whole run (returned). */
static int write_failed(cs_sync_task *t, int rc, const cs_err *terr, cs_err *err)
{
	t->write_err = *terr;
	atomic_store(&t->write_rc, rc);
	if (rc == CS_EIO || rc == CS_EBUSY || rc == CS_EDBCONN) {
		*err = *terr;
		return rc;
	}
	return 0;
}

/* One job, whatever its kind; a writer failure fails its task (or, for the
 * database itself, the whole run: returned). */
static int write_job(cs_sync_ctx *c, cs_sync_job *job, int more, cs_err *err)
{
	if (job->kind == CS_JOB_NONE)
		return 0;
	if (job->kind == CS_JOB_TASK_END) {
		cs_sync_writer_end(c, job->task);
		return 0;
	}
	cs_sync_task *t = job->task;
	if (t->ended || atomic_load(&t->write_rc))
		return 0; /* its pages after a failed write are dropped */
	cs_err terr = {0};
	int rc = 0;
	cs_sync_task *open = c->batch.task;
	if (open && open != t && (rc = cs_sync_writer_commit(c, &terr)))
		return write_failed(open, rc, &terr, err);
	rc = cs_sync_writer_add(c, job, &terr);
	if (!rc && (job->kind == CS_JOB_FINISH_FULL || !more || c->batch.records >= BATCH_RECORDS))
		rc = cs_sync_writer_commit(c, &terr);
	return rc ? write_failed(t, rc, &terr, err) : 0;
}

static int emit_direct(cs_sync_ctx *c, cs_sync_job *job, cs_err *err)
{
	int rc = write_job(c, job, 0, err);
	job_free(c->spare);
	c->spare = job;
	cs_sync_writer_report(c, 0);
	return rc;
}

/* A bounded queue between the strategy thread and the writer. */
typedef struct cs_sync_pipe {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	cs_sync_job *head, *tail;
	int len;
	cs_sync_job *done[PIPE_DEPTH + 2]; /* stored jobs handed back for reuse */
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
	while (p->len >= PIPE_DEPTH && !p->closed)
		pthread_cond_wait(&p->changed, &p->lock);
	int closed = p->closed;
	if (!closed) {
		job->next = NULL;
		if (p->tail)
			p->tail->next = job;
		else
			p->head = job;
		p->tail = job;
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
	int rc = cs_sync_fetch_all(c, &err);
	pthread_mutex_lock(&p->lock);
	p->eof = 1;
	p->rc = rc;
	p->err = err;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Pops the next job of task `pref` when one waits, else the oldest; *more
 * says whether another job of the same task waits behind it, *left how many
 * jobs wait in all, and *waited_ms is added the time spent waiting for one.
 * Waits at most TICK_MS; NULL with *idle set on a timeout, NULL alone when
 * the strategy has finished and the queue is empty. */
static cs_sync_job *pop(cs_sync_pipe *p, const cs_sync_task *pref, int *more, int *idle,
			int *left, int64_t *waited_ms)
{
	*idle = 0;
	pthread_mutex_lock(&p->lock);
	if (p->len == 0 && !p->eof) {
		int64_t t0 = cs_time_mono_ms();
		struct timespec until = cs_time_deadline_in(CLOCK_MONOTONIC, TICK_MS);
		while (p->len == 0 && !p->eof)
			if (pthread_cond_timedwait(&p->changed, &p->lock, &until)) {
				*idle = p->len == 0 && !p->eof;
				break;
			}
		*waited_ms += cs_time_mono_ms() - t0;
	}
	cs_sync_job *job = NULL, *prev = NULL;
	for (cs_sync_job *j = p->head, *b = NULL; pref && j; b = j, j = j->next)
		if (j->task == pref) {
			job = j;
			prev = b;
			break;
		}
	if (!job)
		job = p->head;
	if (job) {
		if (prev)
			prev->next = job->next;
		else
			p->head = job->next;
		if (p->tail == job)
			p->tail = prev;
		p->len--;
		pthread_cond_broadcast(&p->changed);
	}
	*more = 0;
	for (cs_sync_job *j = p->head; job && j; j = j->next)
		if (j->task == job->task) {
			*more = 1;
			break;
		}
	*left = p->len;
	pthread_mutex_unlock(&p->lock);
	return job;
}

static void hand_back(cs_sync_pipe *p, cs_sync_job *job, int failed)
{
	pthread_mutex_lock(&p->lock);
	if (failed)
		p->closed = 1;
	if (p->ndone < PIPE_DEPTH + 2 && !p->closed)
		p->done[p->ndone++] = job;
	else
		job_free(job); /* after a failure nothing more is fetched */
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

/* Writer loop: store jobs, committing a task's transaction when no more of
 * its pages wait (so a slow source still commits page by page) or when the
 * batch is big; progress at least every TICK_MS. After a database failure
 * the strategy is told to stop. */
static int drain(cs_sync_ctx *c, cs_sync_pipe *p, cs_err *err)
{
	int rc = 0, more, idle, left;
	cs_sync_job *job;
	for (;;) {
		job = pop(p, c->batch.task, &more, &idle, &left, &c->idle_ms);
		if (!job && !idle)
			break;
		if (job) {
			if (!rc)
				rc = write_job(c, job, more, err);
			hand_back(p, job, rc != 0);
		}
		cs_sync_writer_report(c, idle);
		if (!rc && left == 0)
			cs_sync_writer_idle(c);
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
	int rc = cs_sync_fetch_all(c, err);
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
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p.changed, &ca);
	pthread_condattr_destroy(&ca);
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
	for (cs_sync_job *j = p.head, *n; j; j = n) {
		n = j->next;
		job_free(j);
	}
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
