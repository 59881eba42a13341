#ifndef CS_SQL_SQLSTORE_H
#define CS_SQL_SQLSTORE_H
/* The store (store/store.h) implemented once on the SQL core, for every
 * SQL backend. A backend opens its connection and hands it to
 * cs_sql_store_new with its hooks; everything else is here. */
#include "store/sql/sql.h"
#include "store/store.h"

/* What a backend adds around the shared store. Every hook may be NULL. */
typedef struct cs_sql_hooks {
	void (*close)(cs_sql *c);          /* closes the connection and frees it */
	void (*after_reset)(cs_sql *c);    /* e.g. give the space back (VACUUM) */
	/* the "database" field of `status`: a path, or host/db without the
	 * password */
	const char *(*describe)(cs_sql *c);
	/* connects again with the same settings; NULL: the product cannot lose
	 * its connection (SQLite) */
	int (*reconnect)(cs_sql *c, cs_err *err);
	/* CS_CTRL_BACKUP; NULL: the product's backups are its DBA's job */
	int (*backup)(cs_sql *c, cs_store_backup *b, cs_err *err);
	/* CS_CTRL_READER; NULL: the product has nothing to change for it */
	int (*reader)(cs_sql *c, const cs_store_reader *r, cs_err *err);
} cs_sql_hooks;

#define CS_SQL_FIELD_MEMO 128

typedef struct cs_sql_store {
	cs_store base; /* must be first: the vtable */
	cs_sql *c;
	cs_sql_hooks hooks;
	/* the page in flight */
	int in_page;
	char synced_at[32];
	cs_sql_stmt *upsert[CS_ENT_COUNT]; /* prepared once per entity (a batch of rows) */
	cs_sql_stmt *enqueue;              /* aggregate_queue insert (a row) */
	cs_sql_stmt *enqueue_batch;        /* aggregate_queue insert (a batch's rows) */
	cs_sql_stmt *state;                /* sync_state upsert */
	struct cs_sql_batch *batch;        /* rows not yet written (server products) */
	/* Field position -> column index, per entity. Records of one endpoint
	 * list their fields in the same order, so one strcmp per field replaces
	 * a binary search over the column names. */
	struct cs_sql_field_memo {
		char key[40];
		int col;
	} field_memo[CS_ENT_COUNT][CS_SQL_FIELD_MEMO];
} cs_sql_store;

/* Wraps an open connection (taking it over, also on failure). */
int cs_sql_store_new(cs_sql *c, const cs_sql_hooks *hooks, cs_store **out, cs_err *err);
/* The connection under a store made by cs_sql_store_new (tests, db copy). */
cs_sql *cs_sql_store_conn(cs_store *s);

/* Finalizes the cached per-entity statements, before the schema changes. */
void cs_sql_store_drop_cached(cs_sql_store *s);

/* The vtable entries, by file. */
int cs_sql_schema_migrate(cs_store *st, int *applied, cs_err *err);
int cs_sql_schema_rollback(cs_store *st, int *version, cs_err *err);
int cs_sql_schema_list(cs_store *st, cs_migration_cb cb, void *ctx, cs_err *err);
int cs_sql_schema_reset(cs_store *st, cs_err *err);
int cs_sql_schema_version(cs_sql_store *s, int *version, cs_err *err);
int cs_sql_schema_plan(cs_sql_store *s, cs_drop_plan *p, cs_err *err); /* ctrl op */

int cs_sql_org_put(cs_store *st, const cs_org *org, cs_err *err);
int cs_sql_org_get(cs_store *st, long long id, cs_org *out, cs_err *err);
int cs_sql_org_list(cs_store *st, cs_org_cb cb, void *ctx, cs_err *err);
int cs_sql_org_remove(cs_store *st, long long id, int purge, cs_err *err);

int cs_sql_state_get(cs_store *st, long long org, int entity, cs_sync_state *out, cs_err *err);
int cs_sql_run_begin(cs_store *st, cs_run *run, cs_err *err);
int cs_sql_run_finish(cs_store *st, const cs_run *run, cs_err *err);

int cs_sql_page_begin(cs_store *st, const char *synced_at, cs_err *err);
int cs_sql_page_upsert(cs_store *st, const cs_entity *e, long long org, const cs_record *rec,
		       cs_err *err);
int cs_sql_page_commit(cs_store *st, const cs_sync_state *state, cs_err *err);
void cs_sql_page_abort(cs_store *st);
int cs_sql_mark_absent(cs_store *st, const cs_entity *e, long long org, const char *since,
		       long long *marked, cs_err *err);

int cs_sql_recompute(cs_store *st, long long org, long long *updated, cs_err *err);
int cs_sql_seed(cs_store *st, int demo, long long *inserted, cs_err *err);
/* The demo organization dated relative to now_ms (ms since the epoch). */
int cs_sql_seed_demo(cs_sql_store *s, long long now_ms, long long *inserted, cs_err *err);
int cs_sql_status(cs_store *st, cJSON **out, cs_err *err);

int cs_sql_contacts(cs_store *st, long long org, const char *plugin, const char *scope,
		    cs_contact_cb cb, void *ctx, cs_err *err);
int cs_sql_plugin_record(cs_store *st, const char *plugin, long long run_id,
			 const cs_plugin_state *states, size_t nstates,
			 const cs_plugin_outcome *outcomes, size_t noutcomes, cs_err *err);
int cs_sql_plugin_run_begin(cs_store *st, cs_plugin_run *run, cs_err *err);
int cs_sql_plugin_run_finish(cs_store *st, const cs_plugin_run *run, cs_err *err);
int cs_sql_plugin_status(cs_store *st, const char *plugin, cJSON **out, cs_err *err);

int cs_sql_lease_acquire(cs_store *st, long long org, const char *job, const char *holder,
			 long ttl_ms, cs_lease_info *held_by, cs_err *err);
int cs_sql_lease_renew(cs_store *st, long long org, const char *job, const char *holder,
		       long ttl_ms, cs_err *err);
int cs_sql_lease_release(cs_store *st, long long org, const char *job, const char *holder,
			 cs_err *err);
int cs_sql_lease_list(cs_sql_store *s, const cs_lease_walk *w, cs_err *err); /* ctrl op */
int cs_sql_alert_load(cs_store *st, const char *key, cs_alert_row *out, cs_err *err);
int cs_sql_alert_save(cs_store *st, const cs_alert_row *row, cs_err *err);

/* ctrl ops (sql_history.c) */
int cs_sql_last_runs(cs_sql_store *s, cJSON **out, cs_err *err);
int cs_sql_run_facts(cs_sql_store *s, cs_run_facts *f, cs_err *err);
int cs_sql_plugin_last(cs_sql_store *s, cs_plugin_last *p, cs_err *err);
int cs_sql_run_history(cs_sql_store *s, cs_run_history *h, cs_err *err);
int cs_sql_plugin_rejections(cs_sql_store *s, cs_plugin_rejections *r, cs_err *err);
int cs_sql_giving(cs_sql_store *s, cs_giving_query *g, cs_err *err); /* sql_giving.c */
int cs_sql_has_rows(cs_sql_store *s, cs_has_rows *h, cs_err *err); /* sql_page.c */
int cs_sql_recompute_some(cs_sql_store *s, cs_recompute_some *r, cs_err *err);
int cs_sql_rate_slot(cs_sql_store *s, cs_rate_slot *r, cs_err *err); /* sql_rate.c */
/* Appends one object per row of sql (?1 bound to param when not NULL) to
 * array, keyed by column name. */
int cs_sql_rows_json(cs_sql *c, const char *sql, const char *param, cJSON *array,
		     const char *what, cs_err *err);

/* sql_ddl.c: an INSERT that handles a key conflict, in the dialect's
 * syntax. cols[0..nkey) are the key; parameters are ?1..?ncols in column
 * order (row r of a multi-row insert: ?(r*ncols+1)..). On a conflict the
 * stored row keeps its key and every other column takes the incoming value,
 * except the columns named (comma lists) in keep_if_null (the stored value
 * stays when the incoming one is NULL) and insert_only (never updated).
 * With ignore set the stored row is kept. With guard set (a time column),
 * the columns not named in unguarded take the incoming values only when the
 * incoming guard is not older than the stored one. */
typedef struct cs_sql_upsert {
	const char *table;
	const char *const *cols;
	int ncols, nkey;
	int ignore;
	const char *keep_if_null, *insert_only;
	int rows; /* rows of values, 0 or 1: one */
	const char *guard, *unguarded;
} cs_sql_upsert;
int cs_sql_upsert_text(const cs_sql_dialect *d, const cs_sql_upsert *u, cs_buf *b);

#endif
