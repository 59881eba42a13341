#ifndef CS_SQLITE_OPS_H
#define CS_SQLITE_OPS_H
/* The SQLite backend's vtable entries, split over files by concern
 * (sqlite_migrate.c, sqlite_orgs.c, sqlite_page.c, sqlite_status.c) and
 * assembled in sqlite.c. Private to those files. */
#include "store/sqlite_int.h"

/* Current UTC time in the stored form, with milliseconds. */
void cs_sqlite_now(char out[32]);
/* Prepares sql; on failure fills err saying what could not be prepared. */
int cs_sqlite_prepare(cs_sqlite *s, const char *sql, sqlite3_stmt **stmt, const char *what,
		      cs_err *err);
/* Finalizes the cached per-entity statements, before the schema changes. */
void cs_sqlite_drop_cached(cs_sqlite *s);
/* Binds text, or NULL when text is NULL or empty. */
int cs_sqlite_bind_opt(sqlite3_stmt *st, int i, const char *text);
/* Copies column i as text into out (size n), "" for NULL. */
void cs_sqlite_col_copy(sqlite3_stmt *st, int i, char *out, size_t n);
/* Whether table (or view) name exists in the main schema. */
int cs_sqlite_has_table(cs_sqlite *s, const char *name);

/* sqlite_ckpt.c: WAL checkpoints off the writer's thread. */
void cs_sqlite_ckpt_setup(cs_sqlite *s);
void cs_sqlite_ckpt_stop(cs_sqlite *s);

int cs_sqlite_migrate(cs_store *st, int *applied, cs_err *err);
int cs_sqlite_rollback(cs_store *st, int *version, cs_err *err);
int cs_sqlite_migration_list(cs_store *st, cs_migration_cb cb, void *ctx, cs_err *err);
int cs_sqlite_reset(cs_store *st, cs_err *err);
/* Newest applied version, 0 when none (or no schema_migrations table). */
int cs_sqlite_schema_version(cs_sqlite *s, int *version, cs_err *err);

int cs_sqlite_org_put(cs_store *st, const cs_org *org, cs_err *err);
int cs_sqlite_org_get(cs_store *st, long long id, cs_org *out, cs_err *err);
int cs_sqlite_org_list(cs_store *st, cs_org_cb cb, void *ctx, cs_err *err);
int cs_sqlite_org_remove(cs_store *st, long long id, int purge, cs_err *err);
int cs_sqlite_state_get(cs_store *st, long long org, int entity, cs_sync_state *out,
			cs_err *err);
int cs_sqlite_run_begin(cs_store *st, cs_run *run, cs_err *err);
int cs_sqlite_run_finish(cs_store *st, const cs_run *run, cs_err *err);

int cs_sqlite_page_begin(cs_store *st, const char *synced_at, cs_err *err);
int cs_sqlite_page_upsert(cs_store *st, const cs_entity *e, long long org,
			  const cs_record *rec, cs_err *err);
int cs_sqlite_page_commit(cs_store *st, const cs_sync_state *state, cs_err *err);
void cs_sqlite_page_abort(cs_store *st);
int cs_sqlite_mark_absent(cs_store *st, const cs_entity *e, long long org, const char *since,
			  long long *marked, cs_err *err);

int cs_sqlite_status(cs_store *st, cJSON **out, cs_err *err);

/* sqlite_plugins.c, sqlite_plugin_status.c */
int cs_sqlite_contacts(cs_store *st, long long org, const char *plugin, const char *scope,
		       cs_contact_cb cb, void *ctx, cs_err *err);
int cs_sqlite_plugin_record(cs_store *st, const char *plugin, long long run_id,
			    const cs_plugin_state *states, size_t nstates,
			    const cs_plugin_outcome *outcomes, size_t noutcomes, cs_err *err);
int cs_sqlite_plugin_run_begin(cs_store *st, cs_plugin_run *run, cs_err *err);
int cs_sqlite_plugin_run_finish(cs_store *st, const cs_plugin_run *run, cs_err *err);
int cs_sqlite_plugin_status(cs_store *st, const char *plugin, cJSON **out, cs_err *err);
/* Appends one object per row of sql (?1 bound to param when not NULL) to
 * array, keyed by column name. */
int cs_sqlite_rows_json(cs_sqlite *s, const char *sql, const char *param, cJSON *array,
			const char *what, cs_err *err);

/* sqlite_leases.c: leases and alert records (migration v5) */
int cs_sqlite_lease_acquire(cs_store *st, long long org, const char *job, const char *holder,
			    long ttl_ms, cs_lease_info *held_by, cs_err *err);
int cs_sqlite_lease_renew(cs_store *st, long long org, const char *job, const char *holder,
			  long ttl_ms, cs_err *err);
int cs_sqlite_lease_release(cs_store *st, long long org, const char *job, const char *holder,
			    cs_err *err);
int cs_sqlite_alert_load(cs_store *st, const char *key, cs_alert_row *out, cs_err *err);
int cs_sqlite_last_runs(cs_store *st, cJSON **out, cs_err *err);
int cs_sqlite_alert_save(cs_store *st, const cs_alert_row *row, cs_err *err);

#endif
