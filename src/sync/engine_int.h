#ifndef CS_ENGINE_INT_H
#define CS_ENGINE_INT_H
/* State of one sync run, shared by the engine's files. A run syncs tasks
 * (an org and an entity each); a task's key space is cut into walks (key
 * ranges) paged concurrently. Who does what:
 *   engine.c   the paging decisions of one walk: its next query, and what a
 *              fetched page means (records to skip, the walk's position,
 *              whether its range is done);
 *   fetcher.c  the strategy thread: walks' requests in the HTTP event loop,
 *              their answers, splitting ranges, tasks' ends; hands jobs on;
 *   frontier.c the checkpoint of a task: how far every key is committed;
 *   writer.c   stores jobs with their task's checkpoint, one transaction;
 *   pipeline.c the job pool, the bounded queue and the writer loop;
 *   run.c      tasks' sync_runs rows and results, orgs, aggregates.
 * Calls only point down: run.c -> pipeline.c -> {fetcher.c -> engine.c,
 * writer.c -> frontier.c}; fetcher.c reaches the pipeline through the
 * callbacks in cs_sync_ctx. */
#include "sync/guard.h"
#include "sync/sync.h"
#include "util/idset.h"
#include "util/log.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct cs_sync_task cs_sync_task;
typedef struct cs_sync_ctx cs_sync_ctx;

/* ---- frontier.c: a task's checkpoint over its key ranges ---- */

/* Ranges of keys (ids of a full scan, updated_at seconds in ms of an
 * incremental one) in key order, each with how far its pages are
 * committed. The checkpoint is the position of the first range not done:
 * every key before it is committed, whatever finished out of order after
 * it. Shared by the strategy (splits) and the writer (advances), under its
 * own lock. */
typedef struct cs_sync_frontier {
	pthread_mutex_t mu;
	struct cs_sync_range {
		int id;
		int done;
		int64_t lo, pos;
	} *r;
	int n, cap, next_id;
} cs_sync_frontier;

/* One range [lo, ...) with position lo; returns its id (0). */
int cs_sync_frontier_init(cs_sync_frontier *f, int64_t lo);
void cs_sync_frontier_release(cs_sync_frontier *f);
/* A new range from lo (inside a range that is not done, past its
 * position) up to where that one ended; returns its id, or -1 when out of
 * memory. */
int cs_sync_frontier_split(cs_sync_frontier *f, int64_t lo);
/* Range id's pages are committed up to pos (and all of it when done). */
void cs_sync_frontier_advance(cs_sync_frontier *f, int id, int64_t pos, int done);
/* The checkpoint: the position of the first range not done, or of the last
 * range when all are. */
int64_t cs_sync_frontier_value(cs_sync_frontier *f);

/* ---- engine.c: one walk ---- */

#define CS_SYNC_KEY_MAX INT64_MAX /* the last walk's open end */

/* A walk pages one key range of a task with keyset queries: a full scan
 * ids (lo, hi], an incremental one updated_at seconds [lo, hi). */
typedef struct cs_sync_walk {
	cs_sync_task *task;
	int slot;        /* its range in the task's frontier */
	int64_t lo, hi;  /* hi = CS_SYNC_KEY_MAX: open */
	int done;
	/* full: the newest id taken */
	long long last_id;
	/* incremental: the bound, page within a tie group, re-walks */
	int64_t lower;
	int page_no, walk_pages, walks;
	long long fresh;
	cs_idset seen, next_seen;
	cs_sync_pageprint print; /* the progress guard's last page of a walk by number */
	int pages;               /* pages taken, for messages */
	/* what the answers said, for splitting and progress */
	long total;       /* `total` of the last query: keys at or past its start */
	long first_total; /* `total` of the first query: keys at or past lo */
	long long taken;  /* records on its pages */
	long long left;   /* after its last page: keys still at or past its position */
	int malformed;    /* answers in a row that did not parse */
	/* the request in flight (fetcher.c) */
	int busy;
	char sort[32], filter[80];
	cs_classy_list_query q;
	cs_classy_listing listing;
	cs_classy_page page;
	int rc;
	cs_err err;
	struct cs_sync_walk *next_done; /* the fetcher's completion queue */
} cs_sync_walk;

/* A unit of work handed from the strategy to the writer. */
enum cs_sync_job_kind {
	CS_JOB_NONE = 0,    /* nothing: the job only goes back to the pool */
	CS_JOB_PAGE,        /* store the page's rows, advance the walk's range */
	CS_JOB_FINISH_FULL, /* a full scan completed: soft-delete what it did not see */
	CS_JOB_TASK_END     /* the task ended: record its run */
};

typedef struct cs_sync_job {
	int kind;
	cs_sync_task *task;
	int keep_absent;      /* CS_JOB_FINISH_FULL: mark nothing deleted (records were rejected) */
	cs_classy_page page;  /* owned by the job */
	unsigned char *skip;  /* per record: already stored or not this walk's */
	int slot;             /* CS_JOB_PAGE: the walk's frontier range */
	int64_t pos;          /* ... its position after this page */
	int range_done;       /* ... and whether its range is complete */
	long total;           /* the task's total, for progress */
	int rc;               /* CS_JOB_TASK_END: the outcome */
	long long requests, retries;
	char error[1024];
	struct cs_sync_job *next; /* pipeline.c's queue */
} cs_sync_job;

/* The next query of walk w into w->q (strings in w). */
void cs_sync_walk_query(cs_sync_walk *w);
/* Decides what the page just fetched into w->page means: fills job (skip,
 * position, range_done) and moves w on (w->done when its range is
 * complete). First the progress guard (guard.h) proves the page is the
 * one asked for; records the page parser rejected are skipped, named and
 * counted in the task. Returns 0, CS_ERR when out of memory, or the
 * guard's CS_EPROTO with err filled and the task marked broken. */
int cs_sync_walk_take(cs_sync_walk *w, cs_sync_job *job, cs_err *err);
void cs_sync_walk_init(cs_sync_walk *w, cs_sync_task *t, int slot, int64_t lo, int64_t hi);
void cs_sync_walk_release(cs_sync_walk *w);

/* ---- a task: one org and entity of the run ---- */

struct cs_sync_task {
	cs_sync_ctx *run;
	long long org;
	const cs_entity *e;
	cs_classy *api;
	void *entity_ctx;            /* opts->entity_begin/end's argument */
	cs_sync_entity_result *res;  /* records, pages: the writer's */
	cs_sync_org_result *ores;    /* its org's: the aggregates once all its tasks ended */
	cs_run run_row;
	/* what its log lines carry as fields: org, entity, mode, run_id
	 * (util/log.h); set by run.c as the task begins */
	cs_log_ctx log;
	int full;
	int lookback_s;
	char fields[512];            /* fields= of its queries, "" for all */
	int64_t started_ms;          /* wall clock: an incremental range's end */
	int64_t t0;                  /* monotonic */
	cs_sync_frontier frontier;
	int64_t start_lo;            /* the first walk's start (set before the threads) */
	int fresh_scan;              /* a full scan from nothing on no rows: none can be absent */
	long long since_chunk;       /* rows stored since its org's last aggregates chunk */
	int agg_due;                 /* a resumed task of an org whose aggregates are due */
	int lost;                    /* it ended on a lost database connection */
	/* the writer's side */
	cs_sync_state state;         /* committed with each batch */
	int ended;
	atomic_int write_rc;         /* a write of this task failed: its pages are dropped */
	cs_err write_err;            /* set before write_rc */
	/* the strategy's side */
	cs_sync_walk **walks;
	int nwalks, cap_walks, open_walks, in_flight;
	int64_t end_key;             /* full: the newest id (probe); 0 unknown */
	int probing;                 /* the newest-id probe is in flight */
	cs_sync_walk *probe;
	int finished;                /* no more jobs will come from it */
	int rc;
	cs_err err;
	int broken;                  /* the progress guard failed: the run ends failed */
	long long rejected;          /* records without a valid id: named, never stored */
	char first_reject[256];      /* the first of them, for the run's error */
	/* read by progress on the writer's thread */
	atomic_llong requests, retries;
	atomic_long total;
};

/* ---- the run ---- */

struct cs_sync_ctx {
	cs_store *st;
	const cs_sync_opts *opts;
	cs_sync_task *tasks;
	int ntasks;
	cs_http_loop *loop;
	int concurrency;
	int64_t t0;
	/* Set by the pipeline (pipeline.c), called by the strategy (fetcher.c),
	 * so the strategy never calls the pipeline by name. emit hands a job
	 * to the writer and takes ownership of it either way; job_get returns
	 * a job to fill (a reused one when there is one), or NULL when out of
	 * memory. */
	int (*emit)(cs_sync_ctx *c, cs_sync_job *job, cs_err *err);
	cs_sync_job *(*job_get)(cs_sync_ctx *c);
	struct cs_sync_pipe *pipe; /* non-NULL when pipelining (pipeline.c) */
	cs_sync_job *spare;        /* stored jobs back for reuse (direct mode) */
	/* the fetcher's completion queue, filled on the loop's thread */
	pthread_mutex_t done_mu;
	pthread_cond_t done_cv;
	cs_sync_walk *done_head, *done_tail;
	struct {                   /* the writer's open transaction */
		cs_sync_task *task;    /* one task per transaction */
		long long records, pages;
	} batch;
	int64_t last_report;       /* the writer's last progress call */
	int failed;                /* the run itself failed: no aggregates */
	int64_t idle_ms;           /* the writer's waiting since its last aggregates chunk */
	int64_t chunk_ms;          /* what the last chunk took */
	int no_chunks;             /* the store cannot do chunks */
	int keep_lost;             /* a task ending on a lost connection keeps its lease:
				    * run.c runs it again after reconnecting */
};

/* fetcher.c: the strategy, producing jobs through c->job_get and c->emit
 * until every task ended. */
int cs_sync_fetch_all(cs_sync_ctx *c, cs_err *err);

/* writer.c: cs_sync_writer_add puts a job's rows (or a full scan's end)
 * into the open transaction of its task, opening one if needed;
 * cs_sync_writer_commit commits it with the task's checkpoint;
 * cs_sync_writer_store is one job in one transaction; cs_sync_writer_end
 * records a task's run (CS_JOB_TASK_END); cs_sync_writer_report calls the
 * progress callback for every task (also while nothing is committed). */
int cs_sync_writer_add(cs_sync_ctx *c, cs_sync_job *job, cs_err *err);
int cs_sync_writer_commit(cs_sync_ctx *c, cs_err *err);
int cs_sync_writer_store(cs_sync_ctx *c, cs_sync_job *job, cs_err *err);
void cs_sync_writer_end(cs_sync_ctx *c, cs_sync_task *t);
void cs_sync_writer_report(cs_sync_ctx *c, int force);
/* Recomputes org o's supporter aggregates; a failure goes into o. */
void cs_sync_writer_aggregates(cs_sync_ctx *c, cs_sync_org_result *o);
/* Nothing waits for the writer and it waited idle_ms since its last
 * call: it may use the time for a chunk of an org's aggregates. */
void cs_sync_writer_idle(cs_sync_ctx *c);

/* pipeline.c: runs the strategy and the writer, pipelined on two threads
 * unless CLASSY_SYNC_PIPELINE=0. */
int cs_sync_pipeline_run(cs_sync_ctx *c, cs_err *err);

#endif
