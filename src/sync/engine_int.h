#ifndef CS_ENGINE_INT_H
#define CS_ENGINE_INT_H
/* State of one entity run, shared by the engine's files. The paging
 * strategies (engine.c) produce pages; the writer (writer.c) stores them;
 * the pipeline (pipeline.c) runs the two, on two threads when pipelining,
 * so parsing overlaps SQLite work. Calls only point down:
 * run.c -> pipeline.c -> {engine.c, writer.c}; the strategy reaches the
 * pipeline through the callbacks in cs_sync_ctx. */
#include "sync/sync.h"
#include "util/idset.h"

#include <pthread.h>

/* A unit of work handed from the strategy to the writer. */
typedef struct cs_sync_job {
	int finish_full;      /* 0: store page; 1: end a complete full scan */
	int keep_absent;      /* finish_full: mark nothing deleted (records were rejected) */
	cs_classy_page page;  /* owned by the job */
	unsigned char *skip;  /* per record: already stored, do not upsert */
	cs_sync_state state;  /* checkpoint committed with the page */
	long total;           /* the API's total, for progress */
	char started[32];     /* finish_full: when the scan started */
} cs_sync_job;

typedef struct cs_sync_ctx cs_sync_ctx;
struct cs_sync_ctx {
	cs_store *st;
	cs_classy *api;
	long long org;
	const cs_entity *e;
	const cs_sync_opts *opts;
	cs_sync_entity_result *res;
	cs_sync_state state; /* the strategy's view; copied into each job */
	cs_classy_page page; /* the page being fetched */
	cs_idset seen;       /* ids at the current lower-bound second */
	cs_idset next_seen;
	int lookback_s;
	int restart_full;
	int broken; /* the progress guard failed: the run ends failed */
	int pageno; /* pages fetched, for messages */
	char first_reject[256]; /* the first rejected record, for the run's error */
	long total;
	int64_t t0;
	/* Set by the pipeline (pipeline.c), called by the strategy (engine.c),
	 * so the strategy never calls the pipeline by name. emit hands a job
	 * to the writer and takes ownership of it either way; job_get returns
	 * a job to fill (a reused one when there is one), or NULL when out of
	 * memory. */
	int (*emit)(cs_sync_ctx *c, cs_sync_job *job, cs_err *err);
	cs_sync_job *(*job_get)(cs_sync_ctx *c);
	struct cs_sync_pipe *pipe; /* non-NULL when pipelining (pipeline.c) */
	cs_sync_job *spare;        /* stored jobs back for reuse (direct mode) */
	struct {                   /* the writer's open transaction */
		int open;
		long long records, pages;
		long total;
		cs_sync_state state; /* checkpoint of the newest job in it */
	} batch;
};

/* engine.c: the strategies, producing jobs through c->job_get and c->emit */
int cs_sync_strategy(cs_sync_ctx *c, cs_err *err);

/* writer.c: cs_sync_writer_add puts a job's rows (or a full scan's end)
 * into the open transaction, opening one if needed; cs_sync_writer_commit
 * commits it with the newest job's checkpoint and reports progress;
 * cs_sync_writer_store is one job in one transaction. */
int cs_sync_writer_add(cs_sync_ctx *c, cs_sync_job *job, cs_err *err);
int cs_sync_writer_commit(cs_sync_ctx *c, cs_err *err);
int cs_sync_writer_store(cs_sync_ctx *c, cs_sync_job *job, cs_err *err);

/* pipeline.c: runs the strategy and the writer, pipelined on two threads
 * unless CLASSY_SYNC_PIPELINE=0. */
int cs_sync_pipeline_run(cs_sync_ctx *c, cs_err *err);

#endif
