#ifndef CS_SQLITE_INT_H
#define CS_SQLITE_INT_H
/* The SQLite backend's connection: the SQL core's cs_sql plus the handle and
 * the background checkpointer. Private to store/sqlite/. */
#include "store/sql/sql.h"

#include <sqlite3.h>

typedef struct cs_sqlite {
	cs_sql base; /* must be first */
	sqlite3 *db;
	struct cs_sqlite_ckpt *ckpt; /* background WAL checkpointer, or NULL */
	int ckpt_failed;             /* could not start one: checkpoint inline */
} cs_sqlite;

typedef struct cs_sqlite_stmt {
	cs_sql_stmt base; /* must be first */
	sqlite3_stmt *st;
} cs_sqlite_stmt;

extern const cs_sql_driver cs_sqlite_driver;
extern const cs_sql_dialect cs_sqlite_dialect;

/* Maps an SQLite result code to a cs_err: "cannot <what> in database
 * '<path>': <why, and what to do>". */
int cs_sqlite_fail(cs_sqlite *s, int rc, const char *what, cs_err *err);

/* sqlite_backup.c: CS_CTRL_BACKUP (store/store.h), VACUUM INTO a new file
 * next to the database. */
struct cs_store_backup;
int cs_sqlite_backup(cs_sql *c, struct cs_store_backup *b, cs_err *err);

/* sqlite_ckpt.c: WAL checkpoints off the writer's thread. */
void cs_sqlite_ckpt_setup(cs_sqlite *s);
void cs_sqlite_ckpt_stop(cs_sqlite *s);

#endif
