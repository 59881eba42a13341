#ifndef CS_STORE_H
#define CS_STORE_H
/* Storage backend interface. A backend is a versioned struct of function
 * pointers that each implementation embeds as its first member; backends are
 * registered by name (store.c). store/ knows nothing of the API or the
 * network: it stores cs_records described by the entity tables. */
#include "model/entity.h"
#include "util/config.h"
#include "util/err.h"

#include <cjson/cJSON.h>
#include <stdint.h>

#define CS_STORE_ABI 1

typedef struct cs_org {
	long long id;
	char name[256];
	char client_id[256];
	char *secret_enc; /* base64 secretbox; owned, free() it */
	char created_at[32];
} cs_org;

/* Per org and entity paging state. Written in the same transaction as the
 * page it describes, so a crash never separates rows from their cursor. */
typedef struct cs_sync_state {
	long long org_id;
	int entity;                /* enum cs_entity_id */
	char cursor[32];           /* incremental lower bound (stored time form) or "" */
	int lookback_s;            /* re-read window before the cursor */
	long long full_last_id;    /* resumable full scan: last id committed, 0 none */
	char full_started_at[32];  /* "" when no full scan is in progress */
	char last_full_at[32];     /* when the last complete full scan finished */
} cs_sync_state;

enum cs_run_status {
	CS_RUN_RUNNING = 0,
	CS_RUN_SUCCESS,
	CS_RUN_PARTIAL,
	CS_RUN_FAILED,
	CS_RUN_INTERRUPTED
};

typedef struct cs_run {
	long long id;
	long long org_id;
	int entity;
	int full;
	char started_at[32];
	char finished_at[32];
	int status; /* enum cs_run_status */
	long long records, pages, requests, retries;
	char error[1024];
} cs_run;

typedef struct cs_migration_info {
	int version;
	const char *name;
	int applied;
	char applied_at[32];
} cs_migration_info;

/* Walk callbacks: the argument is valid only during the call (copy what you
 * keep, secret_enc included); a non-zero return stops the walk and is
 * returned by it. */
typedef int (*cs_org_cb)(const cs_org *org, void *ctx);
typedef int (*cs_migration_cb)(const cs_migration_info *m, void *ctx);

enum cs_store_ctrl_op {
	CS_CTRL_NONE = 0
	/* later features add ops here; unknown ops return CS_ENOTFOUND */
};

typedef struct cs_store cs_store;
struct cs_store {
	int abi; /* CS_STORE_ABI */
	const char *name;

	void (*close)(cs_store *s);

	/* schema */
	int (*migrate)(cs_store *s, int *applied, cs_err *err);   /* to latest */
	int (*rollback)(cs_store *s, int *version, cs_err *err);  /* newest one down */
	int (*migrations)(cs_store *s, cs_migration_cb cb, void *ctx, cs_err *err);
	int (*reset)(cs_store *s, cs_err *err);                   /* drop everything */
	/* Reference data (segment thresholds, tag names); demo adds a generated
	 * demo organization. Never overwrites existing rows. */
	int (*seed)(cs_store *s, int demo, long long *inserted, cs_err *err);

	/* organizations */
	int (*org_put)(cs_store *s, const cs_org *org, cs_err *err); /* insert or update */
	int (*org_get)(cs_store *s, long long id, cs_org *out, cs_err *err); /* CS_ENOTFOUND */
	int (*org_list)(cs_store *s, cs_org_cb cb, void *ctx, cs_err *err);
	int (*org_remove)(cs_store *s, long long id, int purge, cs_err *err);

	/* sync bookkeeping */
	int (*state_get)(cs_store *s, long long org, int entity, cs_sync_state *out, cs_err *err);
	int (*run_begin)(cs_store *s, cs_run *run, cs_err *err); /* sets run->id */
	int (*run_finish)(cs_store *s, const cs_run *run, cs_err *err);

	/* One page = one transaction: begin, upserts, commit with the new state. */
	int (*page_begin)(cs_store *s, const char *synced_at, cs_err *err);
	int (*page_upsert)(cs_store *s, const cs_entity *e, long long org, const cs_record *rec,
			   cs_err *err);
	int (*page_commit)(cs_store *s, const cs_sync_state *state, cs_err *err);
	void (*page_abort)(cs_store *s);

	/* Soft-marks rows of org not synced since `since` (a complete full scan
	 * started then); sets *marked. */
	int (*mark_absent)(cs_store *s, const cs_entity *e, long long org, const char *since,
			   long long *marked, cs_err *err);
	/* Recomputes supporter aggregates for the supporters queued by upserts
	 * of org, then clears the queue; sets *updated. */
	int (*recompute_aggregates)(cs_store *s, long long org, long long *updated, cs_err *err);

	/* Counts per table per org, orphans, last run per org and entity, as a
	 * JSON object (documented in README `status --json`). */
	int (*status)(cs_store *s, cJSON **out, cs_err *err);

	/* Extension point: returns CS_ENOTFOUND for ops it does not know. */
	int (*ctrl)(cs_store *s, int op, void *arg, cs_err *err);
};

/* Opens the backend named by cfg->db_type. A backend that was not built
 * fails with a "not built" message naming DB_TYPE. */
int cs_store_open(const cs_config *cfg, cs_store **out, cs_err *err);
void cs_store_close(cs_store *s);

const char *cs_run_status_name(int status);
void cs_org_release(cs_org *org);

/* Backend constructors (one per file; stubs when not built). */
int cs_sqlite_open(const cs_config *cfg, cs_store **out, cs_err *err);
int cs_pgsql_open(const cs_config *cfg, cs_store **out, cs_err *err);
int cs_mysql_open(const cs_config *cfg, cs_store **out, cs_err *err);
/* What a stub constructor returns: CS_EUSAGE naming DB_TYPE and the product. */
int cs_store_not_built(const char *db_type, const char *product, cs_err *err);

#endif
