/* The strategy thread of a run: every task's walks have their next page in
 * the HTTP event loop at once, and this thread takes the answers as they
 * come, parses them, lets the walk decide (engine.c), sends the walk's next
 * request and only then hands the page to the writer, so parsing and
 * writing never keep a request from going out.
 *
 * Ranges: a task starts with one walk over its whole key space. Once its
 * first answers tell how much is left, a walk with enough left is split in
 * two at the middle of its remaining keys (a full scan's ids up to the
 * newest, found by one probe; an incremental's seconds up to the run's
 * start), as long as the run has fewer open walks than requests it may
 * have in flight. Every split is a new range of the task's frontier, so
 * pages finishing out of order never move the checkpoint past a range
 * that is not done. Why each split stays exact: docs/ARCHITECTURE.md,
 * "Concurrent fetching".
 *
 * It must never write to the store (the writer does), never parse on the
 * loop's thread (the loop only queues the walk here), and never free a
 * walk whose request is still in the loop. */
#include "sync/engine_int.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MALFORMED_RETRIES 3
/* A walk is split only when both halves keep at least this many records
 * (20 pages): a split costs about half a page (the page that crosses into
 * the next range), under 2.5 % of the smallest range; large entities get
 * large ranges anyway, since splitting stops once every request in flight
 * has a walk. */
#define RANGE_MIN_RECORDS 2000

static long range_min_records(void)
{
	/* tests split small data sets to exercise the ranges */
	const char *v = getenv("CLASSY_SYNC_TEST_RANGE_RECORDS");
	long n = v ? atol(v) : 0;
	return n > 0 ? n : RANGE_MIN_RECORDS;
}

/* CLASSY_SYNC_TEST_TERM_AT=N sends SIGTERM to this process when the Nth
 * page answer is taken, before the walk asks for its next page: the scan is
 * provably mid-way whatever the machine's load (a stop after a commit could
 * land once every page had been fetched), and no new request goes out.
 * CLASSY_SYNC_TEST_INT_AT=N does the same with SIGINT (Ctrl-C). */
static void maybe_signal(void)
{
	static const struct {
		const char *env;
		int sig;
	} hooks[] = {{"CLASSY_SYNC_TEST_TERM_AT", SIGTERM}, {"CLASSY_SYNC_TEST_INT_AT", SIGINT}};
	static long at[2] = {-1, -1}, pages;
	pages++;
	for (int i = 0; i < 2; i++) {
		if (at[i] < 0) {
			const char *v = getenv(hooks[i].env);
			at[i] = v ? atol(v) : 0;
		}
		if (at[i] > 0 && pages == at[i])
			raise(hooks[i].sig);
	}
}

/* ---- the completion queue: filled on the loop's thread ------------------ */

static void on_done(cs_http_call *call, void *ud)
{
	(void)call;
	cs_sync_walk *w = ud;
	cs_sync_ctx *c = w->task->run;
	pthread_mutex_lock(&c->done_mu);
	w->next_done = NULL;
	if (c->done_tail)
		c->done_tail->next_done = w;
	else
		c->done_head = w;
	c->done_tail = w;
	pthread_cond_signal(&c->done_cv);
	pthread_mutex_unlock(&c->done_mu);
}

static cs_sync_walk *next_answer(cs_sync_ctx *c)
{
	pthread_mutex_lock(&c->done_mu);
	while (!c->done_head)
		pthread_cond_wait(&c->done_cv, &c->done_mu);
	cs_sync_walk *w = c->done_head;
	c->done_head = w->next_done;
	if (!c->done_head)
		c->done_tail = NULL;
	pthread_mutex_unlock(&c->done_mu);
	return w;
}

/* ---- tasks and walks ---------------------------------------------------- */

static void task_fail(cs_sync_task *t, int rc, const cs_err *err)
{
	if (t->rc)
		return; /* the first failure is the one to report */
	t->rc = rc;
	t->err = *err;
	if (!t->err.code)
		t->err.code = rc;
}

static int stop_requested(const cs_sync_ctx *c)
{
	return c->opts->should_stop && c->opts->should_stop();
}

/* Puts w's query in the loop; on failure the caller decides what it
 * means (a walk's failure ends its task, a probe's only means no split). */
static int try_submit(cs_sync_ctx *c, cs_sync_walk *w, cs_err *err)
{
	cs_sync_task *t = w->task;
	if (stop_requested(c))
		return cs_err_set(err, CS_EINTR, "stopped by a signal");
	if (!w->listing.call && !(w->listing.call = cs_http_call_new()))
		return cs_err_set(err, CS_ERR, "out of memory");
	int rc = cs_classy_list_start(t->api, c->loop, &w->q, &w->listing, &w->page, on_done, w,
				      err);
	if (rc)
		return rc;
	w->busy = 1;
	t->in_flight++;
	return 0;
}

static void submit(cs_sync_ctx *c, cs_sync_walk *w)
{
	cs_err err = {0};
	int rc = try_submit(c, w, &err);
	if (rc)
		task_fail(w->task, rc, &err);
}

static cs_sync_walk *walk_new(cs_sync_task *t, int slot, int64_t lo, int64_t hi)
{
	if (t->nwalks == t->cap_walks) {
		int cap = t->cap_walks ? t->cap_walks * 2 : 8;
		void *more = realloc(t->walks, (size_t)cap * sizeof(*t->walks));
		if (!more)
			return NULL;
		t->walks = more;
		t->cap_walks = cap;
	}
	cs_sync_walk *w = malloc(sizeof(*w));
	if (!w)
		return NULL;
	cs_sync_walk_init(w, t, slot, lo, hi);
	t->walks[t->nwalks++] = w;
	return w;
}

/* A walk whose range is done gives its buffers back: memory follows the
 * walks still open, not every walk there was. */
static void walk_retire(cs_sync_walk *w)
{
	cs_classy_page_release(&w->page);
	cs_classy_page_init(&w->page);
	cs_http_call_free(w->listing.call);
	w->listing.call = NULL;
	cs_idset_release(&w->seen);
	cs_idset_release(&w->next_seen);
	cs_idset_init(&w->seen);
	cs_idset_init(&w->next_seen);
}

/* The newest id of a full scan: one record, sorted by id descending. */
static void start_probe(cs_sync_ctx *c, cs_sync_task *t)
{
	cs_sync_walk *p = malloc(sizeof(*p));
	if (!p)
		return;
	cs_sync_walk_init(p, t, -1, 0, 0);
	snprintf(p->sort, sizeof(p->sort), "id:desc");
	p->q = (cs_classy_list_query){t->org, t->e, 1, 1, p->sort, NULL, "id"};
	t->probe = p;
	cs_err err = {0};
	if (try_submit(c, p, &err) == 0)
		t->probing = 1;
	else /* no probe, no split: not a failure */
		cs_debug("%s org %lld: no newest-id probe (%s)", t->e->name, t->org, err.msg);
}

static int start_task(cs_sync_ctx *c, cs_sync_task *t)
{
	int64_t lo = t->start_lo;
	cs_err err = {0};
	if (cs_sync_frontier_init(&t->frontier, lo)) {
		task_fail(t, cs_err_set(&err, CS_ERR, "out of memory"), &err);
		return CS_ERR;
	}
	cs_sync_walk *w = walk_new(t, 0, lo, CS_SYNC_KEY_MAX);
	if (!w) {
		task_fail(t, cs_err_set(&err, CS_ERR, "out of memory"), &err);
		return CS_ERR;
	}
	t->open_walks = 1;
	cs_sync_walk_query(w);
	submit(c, w);
	return t->rc;
}

/* ---- splitting ---------------------------------------------------------- */

/* The walk right after w in key order, or NULL for the last. */
static cs_sync_walk *successor(const cs_sync_task *t, const cs_sync_walk *w)
{
	cs_sync_walk *best = NULL;
	for (int i = 0; i < t->nwalks; i++) {
		cs_sync_walk *o = t->walks[i];
		if (o->lo > w->lo && (!best || o->lo < best->lo))
			best = o;
	}
	return best;
}

/* Records still ahead of w in its range, from the answers' totals: keys
 * from its position on, less those from the next range on; -1 unknown. */
static long long remaining(const cs_sync_task *t, const cs_sync_walk *w)
{
	if (w->total < 0 || w->done)
		return -1;
	long long left = w->left;
	if (w->hi == CS_SYNC_KEY_MAX)
		return left;
	const cs_sync_walk *next = successor(t, w);
	if (!next || next->first_total < 0)
		return -1;
	return left - next->first_total;
}

/* Where w's remaining keys would be cut in two, or 0 when they cannot. */
static int64_t split_point(const cs_sync_task *t, const cs_sync_walk *w)
{
	if (t->full) {
		int64_t end = w->hi != CS_SYNC_KEY_MAX ? w->hi : t->end_key;
		if (end <= w->last_id + 2)
			return 0;
		return w->last_id + (end - w->last_id) / 2;
	}
	if (w->lower == INT64_MIN)
		return 0;
	int64_t end = w->hi != CS_SYNC_KEY_MAX ? w->hi : t->started_ms;
	int64_t mid = w->lower + (end - w->lower) / 2;
	mid -= ((mid % 1000) + 1000) % 1000; /* whole seconds, as the filter has them */
	return mid > w->lower ? mid : 0;
}

static int open_walks(const cs_sync_ctx *c)
{
	int n = 0;
	for (int i = 0; i < c->ntasks; i++)
		if (!c->tasks[i].rc)
			n += c->tasks[i].open_walks;
	return n;
}

static void split(cs_sync_ctx *c, cs_sync_task *t, cs_sync_walk *w, int64_t mid)
{
	int slot = cs_sync_frontier_split(&t->frontier, mid);
	if (slot < 0)
		return;
	cs_sync_walk *n = walk_new(t, slot, mid, w->hi);
	if (!n) {
		/* the range exists in the frontier but nobody walks it: the
		 * checkpoint would stop there, so the task must not go on */
		cs_err err = {0};
		task_fail(t, cs_err_set(&err, CS_ERR, "out of memory"), &err);
		return;
	}
	cs_debug("%s org %lld: range split at %lld (%d walks)", t->e->name, t->org, (long long)mid,
		 t->nwalks);
	w->hi = mid;
	t->open_walks++;
	cs_sync_walk_query(n);
	submit(c, n);
}

/* While the run has fewer open walks than requests it may have in
 * flight, split the walk with the most records left. */
static void maybe_split(cs_sync_ctx *c)
{
	long long min = range_min_records();
	while (open_walks(c) <= c->concurrency) {
		cs_sync_task *bt = NULL;
		cs_sync_walk *bw = NULL;
		long long best = 2 * min - 1;
		int64_t bmid = 0;
		for (int i = 0; i < c->ntasks; i++) {
			cs_sync_task *t = &c->tasks[i];
			if (t->rc || t->finished)
				continue;
			for (int k = 0; k < t->nwalks; k++) {
				cs_sync_walk *w = t->walks[k];
				long long left = remaining(t, w);
				int64_t mid = left > best ? split_point(t, w) : 0;
				if (mid) {
					best = left;
					bt = t;
					bw = w;
					bmid = mid;
				}
			}
		}
		if (!bw)
			return;
		split(c, bt, bw, bmid);
	}
}

/* ---- answers ------------------------------------------------------------ */

static int emit_job(cs_sync_ctx *c, cs_sync_task *t, int kind, cs_err *err)
{
	cs_sync_job *job = c->job_get(c);
	if (!job)
		return cs_err_set(err, CS_ERR, "out of memory");
	job->kind = kind;
	job->task = t;
	return c->emit(c, job, err);
}

/* A task whose walks are all done, or that failed, ends once none of its
 * requests is in the loop: a complete full scan first soft-deletes. */
static int maybe_finish(cs_sync_ctx *c, cs_sync_task *t, cs_err *err)
{
	if (t->finished || t->in_flight > 0 || (t->open_walks > 0 && !t->rc))
		return 0;
	t->finished = 1;
	int rc = 0;
	if (!t->rc && t->full) {
		cs_sync_job *job = c->job_get(c);
		if (!job)
			return cs_err_set(err, CS_ERR, "out of memory");
		job->kind = CS_JOB_FINISH_FULL;
		job->task = t;
		/* A record rejected for its id (engine.c) may be a live row sent
		 * with a broken id: absence is then not proof of deletion, so
		 * this scan marks nothing (the next clean one will). */
		job->keep_absent = t->rejected > 0;
		if (job->keep_absent)
			cs_logc(CS_LOG_WARN, &t->log, NULL,
				"%s org %lld: the full scan rejected %lld record(s), so it marks no "
				"row deleted this time", t->e->name, t->org, t->rejected);
		rc = c->emit(c, job, err);
	}
	if (!rc)
		rc = emit_job(c, t, CS_JOB_TASK_END, err);
	return rc;
}

static void probe_answer(cs_sync_ctx *c, cs_sync_task *t, cs_sync_walk *p)
{
	cs_err err = {0};
	int rc = cs_classy_list_end(t->api, &p->listing, &p->page, &err);
	if (rc == 1 && try_submit(c, p, &err) == 0) {
		t->probing = 1;
		return;
	}
	if (rc == 0 && p->page.nrecords > 0)
		t->end_key = cs_classy_record_id(&p->page.records[0]);
	else if (rc)
		cs_debug("%s org %lld: no newest id (%s); the scan is not split", t->e->name,
			 t->org, err.msg);
	walk_retire(p);
}

/* The page of walk w arrived: decide, send w's next request, then hand the
 * page on. Returns non-zero only when the writer stopped (nothing more can
 * be stored); a task's own failure ends that task alone. */
static int answer(cs_sync_ctx *c, cs_sync_walk *w, cs_err *err)
{
	cs_sync_task *t = w->task;
	w->busy = 0;
	t->in_flight--;
	const cs_http_stats *s = cs_http_call_stats(w->listing.call);
	atomic_fetch_add(&t->requests, s->requests);
	atomic_fetch_add(&t->retries, s->retries);
	if (w == t->probe) {
		t->probing = 0;
		probe_answer(c, t, w);
		if (t->probing == 0)
			maybe_split(c);
		return maybe_finish(c, t, err);
	}
	cs_err werr = {0};
	int wrc = atomic_load(&t->write_rc);
	if (wrc) /* the writer said why; fetching more of it is pointless */
		task_fail(t, wrc, &(cs_err){.code = wrc, .msg = "stopped: a write failed"});
	int rc = cs_classy_list_end(t->api, &w->listing, &w->page, &werr);
	if (t->rc) {
		/* the task failed while this was in flight: drop the answer */
	} else if (rc == 1 || (rc == CS_EPROTO && ++w->malformed < MAX_MALFORMED_RETRIES)) {
		/* A 200 whose body does not parse is usually a proxy cutting the
		 * answer; asking again is cheap and nothing was stored. */
		if (rc == CS_EPROTO)
			cs_logc(CS_LOG_WARN, &t->log, NULL, "%s org %lld page %d: %s; asking again",
				t->e->name, t->org, w->q.page, werr.msg);
		submit(c, w);
		return maybe_finish(c, t, err);
	} else if (rc) {
		task_fail(t, rc, &werr);
	}
	if (t->rc) {
		walk_retire(w);
		return maybe_finish(c, t, err);
	}
	w->malformed = 0;
	w->listing.refreshed = 0;
	cs_sync_job *job = c->job_get(c);
	if (!job || (rc = cs_sync_walk_take(w, job, &werr))) {
		/* out of memory, or the progress guard: the page is not the
		 * one asked for, so nothing of it is stored */
		if (!job)
			cs_err_set(&werr, CS_ERR, "out of memory");
		task_fail(t, werr.code ? werr.code : CS_ERR, &werr);
		walk_retire(w);
		if (job && (rc = c->emit(c, job, err))) /* CS_JOB_NONE: back to the pool */
			return rc;
		return maybe_finish(c, t, err);
	}
	long total = atomic_load(&t->total);
	if (total < 0)
		atomic_store(&t->total, total = w->page.total);
	/* the walk keeps the job's old page buffers for its next answer */
	cs_classy_page spare = job->page;
	job->page = w->page;
	w->page = spare;
	job->kind = CS_JOB_PAGE;
	job->task = t;
	job->total = total;
	maybe_signal();
	if (w->done) {
		t->open_walks--;
		walk_retire(w);
	} else {
		cs_sync_walk_query(w);
		submit(c, w);
	}
	if (t->full && !t->end_key && !t->probing && !t->probe && !w->done &&
	    w->total - (long)CS_CLASSY_PER_PAGE >= 2 * range_min_records())
		start_probe(c, t);
	maybe_split(c);
	if ((rc = c->emit(c, job, err)))
		return rc;
	return maybe_finish(c, t, err);
}

int cs_sync_fetch_all(cs_sync_ctx *c, cs_err *err)
{
	int rc = 0, left = 0;
	for (int i = 0; i < c->ntasks; i++) {
		cs_sync_task *t = &c->tasks[i];
		if (t->finished)
			continue;
		start_task(c, t);
		if ((rc = maybe_finish(c, t, err)))
			break;
	}
	for (int i = 0; i < c->ntasks; i++)
		left += c->tasks[i].in_flight;
	/* Until every request is back: after a writer failure nothing more is
	 * stored or sent, but a walk is only freed once the loop let go of it. */
	while (left > 0) {
		cs_sync_walk *w = next_answer(c);
		cs_sync_task *t = w->task;
		if (rc) {
			w->busy = 0;
			t->in_flight--;
			cs_err e = *err;
			task_fail(t, rc, &e);
		} else {
			rc = answer(c, w, err);
		}
		left = 0;
		for (int i = 0; i < c->ntasks; i++)
			left += c->tasks[i].in_flight;
	}
	return rc;
}
