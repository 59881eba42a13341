#ifndef CS_ENGINE_INT_H
#define CS_ENGINE_INT_H
/* State of one entity run, shared by the engine's files. The paging
 * strategies (engine.c) produce pages; the writer (writer.c) stores them,
 * on another thread when pipelining, so parsing overlaps SQLite work. */
#include "sync/sync.h"
#include "util/idset.h"

#include <pthread.h>

/* A unit of work handed from the strategy to the writer. */
typedef struct cs_job {
	int finish_full;           /* 0: store page; 1: end a complete full scan */
	cs_page page;              /* owned by the job */
	unsigned char *skip;       /* per record: already stored, do not upsert */
	cs_sync_state state;       /* checkpoint committed with the page */
	long total;                /* the API's total, for progress */
	char started[32];          /* finish_full: when the scan started */
} cs_job;

typedef struct cs_run_ctx cs_run_ctx;
struct cs_run_ctx {
	cs_store *st;
	cs_classy *api;
	long long org;
	const cs_entity *e;
	const cs_sync_opts *opts;
	cs_entity_result *res;
	cs_sync_state state; /* the strategy's view; copied into each job */
	cs_page page;        /* the page being fetched */
	cs_idset seen;       /* ids at the current lower-bound second */
	cs_idset next_seen;
	int lookback_s;
	int restart_full;
	long total;
	int64_t t0;
	/* Hands a job to the writer; takes ownership of *job either way. */
	int (*emit)(cs_run_ctx *c, cs_job *job, cs_err *err);
	struct cs_pipe *pipe; /* non-NULL when pipelining */
	cs_job *spare;        /* stored jobs back for reuse (direct mode) */
	struct {              /* the writer's open transaction */
		int open;
		long long records, pages;
		long total;
		cs_sync_state state; /* checkpoint of the newest job in it */
	} batch;
};

/* engine.c: the strategies, producing jobs through c->emit */
int cs_engine_strategy(cs_run_ctx *c, cs_err *err);
/* The record's Classy id (page parsing guarantees a numeric one). */
long long cs_engine_record_id(const cs_record *r);
/* writer.c */
int cs_engine_run(cs_run_ctx *c, cs_err *err);
int cs_engine_store(cs_run_ctx *c, cs_job *job, cs_err *err);
void cs_job_free(cs_job *job);
/* A job to fill: a stored one handed back by the writer when there is one,
 * so its buffers are reused and its cJSON trees are freed on the thread that
 * allocated them (glibc frees across threads are slow), or a new one. */
cs_job *cs_engine_job_get(cs_run_ctx *c);

#endif
