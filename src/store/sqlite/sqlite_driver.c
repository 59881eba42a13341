/* The SQLite driver of the SQL core: statements, bindings, rows and the
 * mapping of SQLite's result codes to messages a user can act on. Nothing
 * here knows a table: the store's SQL lives in store/sql/. */
#include "store/sqlite/sqlite.h"
#include "store/sqlite/sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The failures a user can act on, each with what to do about it. */
static const struct {
	int rc; /* primary result code */
	int code;
	const char *why;
} failures[] = {
	{SQLITE_FULL, CS_EIO,
	 "the disk is full; free space and rerun: nothing was lost, the page in flight was "
	 "rolled back"},
	{SQLITE_READONLY, CS_EIO,
	 "the database is read-only; make the file and its directory writable, or set DB_PATH "
	 "to a writable path"},
	{SQLITE_BUSY, CS_EBUSY,
	 "the database is locked by another process; wait for it to finish, then rerun"},
	{SQLITE_LOCKED, CS_EBUSY,
	 "the database is locked by another process; wait for it to finish, then rerun"},
	{SQLITE_CORRUPT, CS_EIO,
	 "the database file is corrupt; restore it from a backup or set DB_PATH to a new file"},
	{SQLITE_NOTADB, CS_EIO,
	 "the file is not an SQLite database; set DB_PATH to a classy-sync database or a new "
	 "file"},
	{SQLITE_CANTOPEN, CS_EIO,
	 "the file cannot be opened; check that DB_PATH names a file in an existing, writable "
	 "directory"},
	{SQLITE_IOERR, CS_EIO, "a disk I/O error occurred; check the disk and its space, then rerun"},
	/* a reader's cancel (CS_CTRL_READER): its caller is stopping */
	{SQLITE_INTERRUPT, CS_EINTR, "stopped before the read finished"},
};

/* "cannot open database 'x.db': ..." but "cannot commit a page in database
 * 'x.db': ...", so any verb phrase reads right. */
int cs_sqlite_map_error(const char *path, int rc, const char *detail, const char *what,
			cs_err *err)
{
	const char *in = strcmp(what, "open") ? " in" : "";
	for (size_t i = 0; i < ARRAY_LEN(failures); i++)
		if ((rc & 0xff) == failures[i].rc)
			return cs_err_set(err, failures[i].code, "cannot %s%s database '%s': %s",
					  what, in, path, failures[i].why);
	return cs_err_set(err, CS_ERR, "cannot %s%s database '%s': %s", what, in, path,
			  detail ? detail : sqlite3_errstr(rc));
}

int cs_sqlite_fail(cs_sqlite *s, int rc, const char *what, cs_err *err)
{
	return cs_sqlite_map_error(s->base.name, rc, s->db ? sqlite3_errmsg(s->db) : NULL, what,
				   err);
}

#define SQ(c) ((cs_sqlite *)(c))
#define ST(st) (((cs_sqlite_stmt *)(st))->st)

static int drv_prepare(cs_sql *c, const char *sql, const char *what, int persistent,
		       cs_sql_stmt **out, cs_err *err)
{
	cs_sqlite_stmt *s = calloc(1, sizeof(*s));
	if (!s)
		return cs_err_set(err, CS_ERR, "cannot prepare a statement in database '%s': out "
					       "of memory", c->name);
	s->base.conn = c;
	s->base.what = what;
	int rc = sqlite3_prepare_v3(SQ(c)->db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0,
				    &s->st, NULL);
	if (rc != SQLITE_OK) {
		free(s);
		*out = NULL;
		return cs_sqlite_fail(SQ(c), rc, what, err);
	}
	*out = &s->base;
	return 0;
}

static int ok(int rc)
{
	return rc == SQLITE_OK ? 0 : CS_ERR;
}

static int drv_bind_null(cs_sql_stmt *st, int i)
{
	return ok(sqlite3_bind_null(ST(st), i));
}

static int drv_bind_int(cs_sql_stmt *st, int i, long long v)
{
	return ok(sqlite3_bind_int64(ST(st), i, v));
}

static int drv_bind_real(cs_sql_stmt *st, int i, double v)
{
	return ok(sqlite3_bind_double(ST(st), i, v));
}

/* SQLITE_STATIC: the core keeps the text alive until the step. */
static int drv_bind_text(cs_sql_stmt *st, int i, const char *v, int len)
{
	return ok(sqlite3_bind_text(ST(st), i, v, len, SQLITE_STATIC));
}

static int drv_step(cs_sql_stmt *st, cs_err *err)
{
	int rc = sqlite3_step(ST(st));
	if (rc == SQLITE_ROW)
		return CS_SQL_ROW;
	if (rc == SQLITE_DONE)
		return CS_SQL_DONE;
	return cs_sqlite_fail(SQ(st->conn), rc, st->what, err);
}

static void drv_reset(cs_sql_stmt *st)
{
	sqlite3_reset(ST(st));
}

static void drv_clear(cs_sql_stmt *st)
{
	sqlite3_clear_bindings(ST(st));
}

static void drv_finalize(cs_sql_stmt *st)
{
	sqlite3_finalize(ST(st));
	free(st);
}

static int drv_column_count(cs_sql_stmt *st)
{
	return sqlite3_column_count(ST(st));
}

static const char *drv_column_name(cs_sql_stmt *st, int i)
{
	return sqlite3_column_name(ST(st), i);
}

static int drv_column_kind(cs_sql_stmt *st, int i)
{
	switch (sqlite3_column_type(ST(st), i)) {
	case SQLITE_INTEGER:
		return CS_SQL_INT;
	case SQLITE_FLOAT:
		return CS_SQL_REAL;
	case SQLITE_NULL:
		return CS_SQL_NULL;
	default:
		return CS_SQL_TEXT;
	}
}

static long long drv_column_int(cs_sql_stmt *st, int i)
{
	return sqlite3_column_int64(ST(st), i);
}

static double drv_column_real(cs_sql_stmt *st, int i)
{
	return sqlite3_column_double(ST(st), i);
}

static const char *drv_column_text(cs_sql_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(ST(st), i);
}

static long long drv_changes(cs_sql *c)
{
	return sqlite3_changes64(SQ(c)->db);
}

static long long drv_last_id(cs_sql *c, cs_sql_stmt *st)
{
	(void)st;
	return sqlite3_last_insert_rowid(SQ(c)->db);
}

static int drv_exec(cs_sql *c, const char *sql, const char *what, cs_err *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(SQ(c)->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		rc = cs_sqlite_map_error(c->name, rc, msg, what, err);
	sqlite3_free(msg);
	return rc;
}

static int drv_has_table(cs_sql *c, const char *name)
{
	sqlite3_stmt *st = NULL;
	int found = 0;
	if (sqlite3_prepare_v2(SQ(c)->db,
			       "SELECT 1 FROM sqlite_master WHERE name = ?1 AND type IN "
			       "('table', 'view')",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return found;
}

const cs_sql_driver cs_sqlite_driver = {
	.name = "sqlite",
	.prepare = drv_prepare,
	.bind_null = drv_bind_null,
	.bind_int = drv_bind_int,
	.bind_real = drv_bind_real,
	.bind_text = drv_bind_text,
	.step = drv_step,
	.reset = drv_reset,
	.clear = drv_clear,
	.finalize = drv_finalize,
	.column_count = drv_column_count,
	.column_name = drv_column_name,
	.column_kind = drv_column_kind,
	.column_int = drv_column_int,
	.column_real = drv_column_real,
	.column_text = drv_column_text,
	.changes = drv_changes,
	.last_id = drv_last_id,
	.exec = drv_exec,
	.has_table = drv_has_table,
};
