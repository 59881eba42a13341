#ifndef CS_SYNC_H
#define CS_SYNC_H
/* The sync engine: pages records from the Classy client into the store with
 * transactional checkpoints, and recomputes supporter aggregates. It never
 * calls a push destination; commands and the daemon decide when plugins run. */
#include "classy/classy.h"
#include "store/store.h"
#include "util/config.h"

#include <stdint.h>

typedef struct cs_sync_progress {
	long long org_id;
	const cs_entity *entity;
	int full;
	long long records; /* upserted so far in this run */
	long long pages;
	long total;        /* the API's `total` for the current query, -1 unknown */
	int64_t elapsed_ms;
} cs_sync_progress;

typedef struct cs_sync_opts {
	int full;        /* full re-read with soft-delete of absent rows */
	int lookback_s;  /* -1: use the stored per-entity lookback */
	void (*progress)(const cs_sync_progress *p, void *ctx); /* per committed page, or NULL */
	void *progress_ctx;
	int (*should_stop)(void); /* SIGTERM: finish the page in flight, then stop */
	/* cs_sync_org: called around each entity, or NULL. A non-zero return
	 * from entity_begin skips that entity (another process holds its
	 * lease); entity_end follows every entity that began. */
	int (*entity_begin)(const cs_entity *e, void *ctx);
	void (*entity_end)(const cs_entity *e, void *ctx);
	void *entity_ctx;
} cs_sync_opts;

typedef struct cs_sync_entity_result {
	const cs_entity *entity;
	long long run_id;
	int status; /* enum cs_run_status */
	long long records, pages, requests, retries, marked_deleted;
	long long rejected; /* records without a valid id: reported, never stored */
	int64_t elapsed_ms;
	char error[1024];
} cs_sync_entity_result;

typedef struct cs_sync_org_result {
	long long org_id;
	cs_sync_entity_result ents[CS_ENT_COUNT];
	int nents;
	long long aggregates_updated;
	int aggregates_failed;       /* the recompute failed: totals are stale */
	char aggregates_error[1024]; /* why, when it failed */
	int64_t elapsed_ms;
} cs_sync_org_result;

/* Syncs one entity of one org and records a sync_runs row. Returns 0 when
 * the run succeeded; otherwise the result carries the status (failed,
 * partial, interrupted) and the error, and err says the same. */
int cs_sync_entity(cs_store *st, cs_classy *api, long long org, const cs_entity *e,
		   const cs_sync_opts *opts, cs_sync_entity_result *res, cs_err *err);

/* Syncs `only` (or every entity in order campaigns, supporters,
 * transactions, recurring plans when only is NULL), then recomputes the
 * aggregates of the supporters those runs touched. One entity failing does
 * not stop the others. Returns 0 when all succeeded, the aggregates
 * included: a failed recompute is in res (aggregates_failed, _error) and
 * in the return code, since stale totals must never look current. */
int cs_sync_org(cs_store *st, cs_classy *api, long long org, const cs_entity *only,
		const cs_sync_opts *opts, cs_sync_org_result *res, cs_err *err);

/* Opens an HTTP client and a Classy client for org, decrypting its secret
 * with the master key. The budget is shared per client id. */
int cs_sync_connect(const cs_config *cfg, const cs_org *org, const unsigned char *key,
		    int (*should_stop)(void), cs_http **http, cs_classy **api, cs_err *err);

#endif
