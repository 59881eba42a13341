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
	long total;        /* the API's `total` for the first query, -1 unknown */
	int64_t elapsed_ms;
	long long requests; /* answered so far for this org and entity */
	int done;           /* it ended (see the result for how) */
	int index, count;   /* its place among the run's orgs and entities */
	/* What every request of the run is waiting on, and its application's
	 * budget; NULL when not known. */
	const cs_http_loop_info *net;
	const cs_http_budget_info *budget;
} cs_sync_progress;

typedef struct cs_sync_opts {
	int full;        /* full re-read with soft-delete of absent rows */
	int lookback_s;  /* -1: use the stored per-entity lookback */
	/* Per org and entity, after each commit and about twice a second
	 * while waiting; each round ends with the last (index == count - 1).
	 * Called on the caller's thread. NULL: none. */
	void (*progress)(const cs_sync_progress *p, void *ctx);
	void *progress_ctx;
	int (*should_stop)(void); /* SIGTERM: finish the page in flight, then stop */
	int concurrency;          /* requests in flight at once; 0: 8 (CLASSY_CONCURRENCY) */
	const char *fields;       /* CLASSY_FIELDS, "ENTITY=f1,f2 ..."; NULL or "": all */
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
	int aggregates_rc;           /* the recompute failed (totals are stale): its code */
	char aggregates_error[1024]; /* why, when it failed */
	int64_t elapsed_ms;
} cs_sync_org_result;

/* Syncs one entity of one org and records a sync_runs row. Returns 0 when
 * the run succeeded; otherwise the result carries the status (failed,
 * partial, interrupted) and the error, and err says the same. */
int cs_sync_entity(cs_store *st, cs_classy *api, long long org, const cs_entity *e,
		   const cs_sync_opts *opts, cs_sync_entity_result *res, cs_err *err);

/* Syncs `only` (or every entity: campaigns, supporters, transactions,
 * recurring plans, all at once, their pages fetched concurrently when
 * large) and then recomputes the aggregates of the supporters those runs
 * touched. One entity failing does not stop the others. Returns 0 when all
 * succeeded, the aggregates included: a failed recompute is in res
 * (aggregates_rc, _error) and in the return code, since stale totals must
 * never look current. */
int cs_sync_org(cs_store *st, cs_classy *api, long long org, const cs_entity *only,
		const cs_sync_opts *opts, cs_sync_org_result *res, cs_err *err);

/* The same for several organizations at once, sharing the process's HTTP
 * event loop (CLASSY_CONCURRENCY requests in flight) and each
 * application's request budget: every org and entity is one task of one
 * run, written by this thread. entity_ctx is passed to opts->entity_begin
 * and entity_end for that org instead of opts->entity_ctx. Results go to
 * res[i] for target i. Returns 0 when all succeeded. */
typedef struct cs_sync_target {
	long long org_id;
	cs_classy *api;
	void *entity_ctx;
} cs_sync_target;
int cs_sync_orgs(cs_store *st, const cs_sync_target *targets, size_t n, const cs_entity *only,
		 const cs_sync_opts *opts, cs_sync_org_result *res, cs_err *err);

/* The fields= of an entity's queries from a CLASSY_FIELDS spec
 * ("supporters=id,email_address transactions=..."): the listed fields plus
 * what the engine and the aggregates need (id, updated_at, and for
 * transactions and plans their supporter, status, amount and date or
 * frequency), or "" when the spec does not name the entity. A spec naming
 * an unknown entity fails with CS_EUSAGE. */
int cs_sync_fields(const char *spec, const cs_entity *e, char *out, size_t n, cs_err *err);

/* Opens an HTTP client and a Classy client for org, decrypting its secret
 * with the master key. The budget is shared per client id, with the
 * allowance of cfg->rate_limit. */
int cs_sync_connect(const cs_config *cfg, const cs_org *org, const unsigned char *key,
		    int (*should_stop)(void), cs_http **http, cs_classy **api, cs_err *err);

#endif
