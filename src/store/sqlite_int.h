#ifndef CS_SQLITE_INT_H
#define CS_SQLITE_INT_H
/* Internals shared by the SQLite backend's files. Not for use outside store/. */
#include "store/store.h"

#include <sqlite3.h>

typedef struct cs_sqlite {
	cs_store base; /* must be first: the vtable */
	sqlite3 *db;
	char path[1024];
	sqlite3_stmt *upsert[CS_ENT_COUNT]; /* prepared lazily, one per entity */
	sqlite3_stmt *enqueue;              /* aggregate_queue insert */
	char synced_at[32];                 /* of the page in flight */
	/* Field position -> column index, per entity. Records of one endpoint
	 * list their fields in the same order, so one strcmp per field replaces
	 * a binary search over the column names. */
	struct cs_field_memo {
		char key[40];
		int col;
	} field_memo[CS_ENT_COUNT][128];
	int in_page;
	struct cs_sqlite_ckpt *ckpt;        /* background WAL checkpointer, or NULL */
	int ckpt_failed;                    /* could not start one: checkpoint inline */
} cs_sqlite;

/* Versioned migrations, applied in order and recorded in schema_migrations. */
typedef struct cs_sqlite_migration {
	int version;
	const char *name;
	int (*up)(sqlite3 *db, cs_err *err);
	int (*down)(sqlite3 *db, cs_err *err);
} cs_sqlite_migration;

extern const cs_sqlite_migration cs_sqlite_migrations[];
extern const unsigned cs_sqlite_nmigrations;

/* sqlite.c / sqlite_schema.c: shared helpers */
int cs_sqlite_exec(sqlite3 *db, const char *sql, cs_err *err);
/* Turns an SQLite failure into a specific message: what failed (what), on
 * which database, and what to do (disk full, read-only, locked, corrupt). */
int cs_sqlite_fail(cs_sqlite *s, int rc, const char *what, cs_err *err);

/* sqlite_reference.c: segment thresholds, tag names, frequency factors */
int cs_sqlite_reference_up(sqlite3 *db, cs_err *err);
int cs_sqlite_reference_down(sqlite3 *db, cs_err *err);
/* sqlite_views.c: the analytics views */
int cs_sqlite_views_up(sqlite3 *db, cs_err *err);
int cs_sqlite_views_down(sqlite3 *db, cs_err *err);
/* sqlite_plugin_schema.c: plugin state tables and contact_segments */
int cs_sqlite_plugins_up(sqlite3 *db, cs_err *err);
int cs_sqlite_plugins_down(sqlite3 *db, cs_err *err);
/* sqlite_ops_schema.c: v5 "operations", leases and alerts */
int cs_sqlite_operations_up(sqlite3 *db, cs_err *err);
int cs_sqlite_operations_down(sqlite3 *db, cs_err *err);
/* sqlite_seed.c: reference rows (never overwriting) and the demo org */
int cs_sqlite_seed(cs_sqlite *s, int demo, long long *inserted, cs_err *err);
/* sqlite_aggregates.c: supporter aggregates for queued supporters */
int cs_sqlite_recompute(cs_sqlite *s, long long org, long long *updated, cs_err *err);
/* sqlite_health.c: the store ctrl ops behind `health` */
int cs_sqlite_run_facts(cs_sqlite *s, cs_run_facts *f, cs_err *err);
int cs_sqlite_plugin_last(cs_sqlite *s, cs_plugin_last *p, cs_err *err);

#endif
