/* The worker pool: up to `concurrency` threads, each owning one cs_http
 * handle (slot), take the next task index from an atomic counter. The
 * bound on requests in flight is the number of workers: a worker sends one
 * request at a time, retries included. A slot must never be used by two
 * workers at once (a cs_http is not thread-safe). */
#include "plugin/mailchimp/mc_transport.h"

#include "util/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct pool {
	mc_client *c;
	size_t n;
	mc_task_fn fn;
	void *ctx;
	atomic_size_t next;
	atomic_int stop;
	pthread_mutex_t mu;
	int rc; /* the first code that stopped the pool */
	cs_err err;
} pool;

typedef struct worker {
	pool *p;
	int slot;
} worker;

static void pool_fail(pool *p, int rc, const cs_err *e)
{
	pthread_mutex_lock(&p->mu);
	if (!p->rc) {
		p->rc = rc;
		p->err = *e;
		p->err.code = rc;
	}
	pthread_mutex_unlock(&p->mu);
	atomic_store(&p->stop, 1);
}

static void *work(void *arg)
{
	worker *w = arg;
	pool *p = w->p;
	for (;;) {
		if (atomic_load(&p->stop))
			break;
		if (p->c->should_stop && p->c->should_stop()) {
			cs_err e = {0};
			cs_err_set(&e, CS_EINTR, "mailchimp requests stopped");
			pool_fail(p, CS_EINTR, &e);
			break;
		}
		size_t i = atomic_fetch_add(&p->next, 1);
		if (i >= p->n)
			break;
		cs_err e = {0};
		int rc = p->fn(p->ctx, w->slot, i, &e);
		if (rc) {
			pool_fail(p, rc, &e);
			break;
		}
	}
	return NULL;
}

int mc_pool_run(mc_client *c, size_t n, mc_task_fn fn, void *ctx, size_t *claimed, cs_err *err)
{
	pool p = {.c = c, .n = n, .fn = fn, .ctx = ctx};
	atomic_init(&p.next, 0);
	atomic_init(&p.stop, 0);
	pthread_mutex_init(&p.mu, NULL);
	worker w[MC_MAX_CONCURRENCY];
	pthread_t th[MC_MAX_CONCURRENCY];
	int nw = c->concurrency;
	if ((size_t)nw > n)
		nw = n ? (int)n : 1;
	/* Slot 0 is the calling thread; a thread that cannot start only
	 * lowers the parallelism. */
	int started = 0;
	for (int s = 1; s < nw; s++) {
		w[s] = (worker){&p, s};
		if (pthread_create(&th[started + 1], NULL, work, &w[s]) != 0) {
			cs_warn("mailchimp: cannot start worker thread %d of %d; continuing with "
				"fewer", s + 1, nw);
			break;
		}
		started++;
	}
	w[0] = (worker){&p, 0};
	work(&w[0]);
	for (int t = 1; t <= started; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&p.mu);
	size_t next = atomic_load(&p.next);
	*claimed = next < n ? next : n;
	if (p.rc) {
		if (err)
			*err = p.err;
		return p.rc;
	}
	return 0;
}

/* ---- mc_run_parallel -------------------------------------------------- */

typedef struct par_ctx {
	mc_client *c;
	mc_op *ops;
} par_ctx;

/* Codes after which no further request makes sense: stopped, key
 * rejected, API unreachable from the start. */
static int is_fatal(int rc)
{
	return rc == CS_EINTR || rc == CS_EAUTH || rc == CS_ETRANSPORT;
}

static int run_op(void *ctx, int slot, size_t i, cs_err *err)
{
	par_ctx *pc = ctx;
	mc_op *op = &pc->ops[i];
	mc_result_release(&op->res);
	cs_err e = {0};
	int rc = mc_exec(pc->c, slot, op->method, op->path, op->body, &op->res, &e);
	if (rc == 0)
		return 0;
	if (is_fatal(rc)) {
		if (rc == CS_ETRANSPORT)
			mc_set_transient(&op->res, 0, "cannot reach mailchimp");
		*err = e;
		return rc;
	}
	/* A failure of this request alone (an answer too large, out of
	 * memory): the op fails, the run goes on. */
	mc_set_transient(&op->res, 0, "request failed");
	mc_copy(op->res.detail, sizeof(op->res.detail), e.msg);
	return 0;
}

/* Ops the pool never reached. */
void mc_mark_stopped(mc_op *ops, size_t from, size_t n)
{
	for (size_t i = from; i < n; i++) {
		mc_result_release(&ops[i].res);
		mc_set_transient(&ops[i].res, 0, "stopped");
	}
}

int mc_run_parallel(mc_client *c, mc_op *ops, size_t n, cs_err *err)
{
	par_ctx pc = {c, ops};
	size_t claimed = 0;
	cs_err e = {0};
	int rc = mc_pool_run(c, n, run_op, &pc, &claimed, &e);
	if (!rc)
		return 0;
	mc_mark_stopped(ops, claimed, n);
	if (rc == CS_EINTR) {
		size_t unsent = 0;
		for (size_t i = 0; i < n; i++)
			unsent += ops[i].res.transient && strcmp(ops[i].res.title, "stopped") == 0;
		return cs_err_set(err, CS_EINTR, "mailchimp requests stopped: %zu of %zu not sent",
				  unsent, n);
	}
	if (err) {
		*err = e;
		err->code = rc;
	}
	return rc;
}
