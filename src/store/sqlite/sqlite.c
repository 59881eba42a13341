/* The SQLite backend: opening a database file with the settings a mirror
 * needs (WAL, page cache, busy timeout), and handing the connection to the
 * shared SQL store (store/sql/). What SQLite's SQL looks like is in
 * sqlite_dialect.c, how it is spoken to in sqlite_driver.c. This file must
 * never hold a query of the store: those are the same for every backend. */
#include "store/sql/sqlstore.h"
#include "store/sqlite/sqlite.h"
#include "store/sqlite/sqlite_int.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Checks the directory before SQLite does, because SQLite only says
 * "unable to open database file", which does not tell the user what to fix. */
static int check_path(const char *path, cs_err *err)
{
	struct stat st;
	char dir[1024];

	if (!*path || !strcmp(path, ":memory:"))
		return 0;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return cs_err_set(err, CS_EUSAGE,
					  "cannot open database '%s': it is a directory; set "
					  "DB_PATH to a file path",
					  path);
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return cs_err_set(err, CS_EUSAGE,
				  "cannot open database '%s': directory '%s' does not exist; set "
				  "DB_PATH to a writable path",
				  path, dir);
	if (access(dir, W_OK | X_OK) != 0)
		return cs_err_set(err, CS_EIO,
				  "cannot open database '%s': directory '%s' is not writable; set "
				  "DB_PATH to a writable path",
				  path, dir);
	return 0;
}

/* WAL lets `status` read while a sync writes; NORMAL is durable at each
 * checkpoint in WAL mode; foreign keys stay off because orphans are kept.
 * A new database gets 8 KB pages (an existing one keeps its size: the
 * pragma only acts before the file's first write, so it comes first). A
 * 2.7 KB transaction row filled a 4 KB page alone; at 8 KB two or three
 * share one, so a full sync writes half as many WAL frames, each of them
 * two pwrite()s plus the checkpoint's read and write: 300k sync CPU
 * x0.89, wall x0.90 against 4 KB (docs/BENCHMARKS.md). 16 KB measured the
 * same as 8 KB at 300k; in 2026-11 it cost more (53 against 33 us per
 * transaction row) when every commit rewrote the random index leaves.
 * Checkpoints: see sqlite_ckpt.c. */
/* How long a statement waits for another process's write lock before it
 * fails as CS_EBUSY ("the database is locked by another process"). A
 * command stops at the first such failure (cmd/sync.c), so this bounds its
 * whole wait; the daemon's job fails and runs again at its next turn. */
#define BUSY_TIMEOUT_MS "5000"
static const char open_pragmas[] = "PRAGMA page_size = 8192;"
				   "PRAGMA busy_timeout = " BUSY_TIMEOUT_MS ";"
				   "PRAGMA journal_mode = WAL;"
				   "PRAGMA synchronous = NORMAL;"
				   "PRAGMA foreign_keys = OFF;"
				   /* 32 MB of page cache (the default is 2 MB): the random
				    * supporter_id index leaves of a big transactions table
				    * stay cached instead of being read back for every
				    * insert, and a batch of 5,000 rows (sync/pipeline.c)
				    * fits before it spills. Measured: 1M transactions 43.7 s
				    * -> 39.0 s at 16 MB; 64 MB gained nothing over 32 MB.
				    * RSS stays flat (~85 MB). */
				   "PRAGMA cache_size = -32768;";

/* Fault injection for the full-disk integration test: caps the database at
 * CLASSY_SYNC_TEST_MAX_PAGE_COUNT pages, so writes past it fail SQLITE_FULL
 * exactly as a full disk does. */
static void apply_test_hooks(cs_sqlite *s)
{
	const char *v = getenv("CLASSY_SYNC_TEST_MAX_PAGE_COUNT");
	char sql[64];
	if (!v || atoll(v) <= 0)
		return;
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", atoll(v));
	sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

static void sqlite_close(cs_sql *c)
{
	cs_sqlite *s = (cs_sqlite *)c;
	if (!s)
		return;
	cs_sqlite_ckpt_stop(s);
	if (s->db && c->in_txn)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close_v2(s->db);
	free(s);
}

/* After a reset the file should be as small as a new one. The tables are
 * gone either way, so a failure only warns. */
static void sqlite_after_reset(cs_sql *c)
{
	cs_sqlite *s = (cs_sqlite *)c;
	if (sqlite3_exec(s->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
		cs_warn("database '%s' was reset but could not be compacted: %s", c->name,
			sqlite3_errmsg(s->db));
}

static const char *sqlite_describe(cs_sql *c)
{
	return c->name;
}

/* CS_CTRL_READER. SQLite caps the mapping at its compile-time
 * SQLITE_MAX_MMAP_SIZE (2 GB in Debian's build) and reads past it as
 * before; where mapping fails it falls back to reading by itself. SQLite
 * remaps as a checkpoint grows the file, and writes never go through the
 * mapping (SQLITE_MMAP_READWRITE is off). */
static int sqlite_reader(cs_sql *c, const cs_store_reader *r, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)c;
	sqlite3_progress_handler(s->db, 100000, r ? r->cancel : NULL, r ? r->ctx : NULL);
	int rc = sqlite3_exec(s->db, "PRAGMA mmap_size = 2147418112", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : cs_sqlite_fail(s, rc, "map into memory", err);
}

static const cs_sql_hooks sqlite_hooks = {sqlite_close, sqlite_after_reset, sqlite_describe,
					 NULL, cs_sqlite_backup, sqlite_reader};

static int connect(cs_sqlite *s)
{
	/* NOMUTEX: a store is used by one thread at a time, and the per-call
	 * mutex would cost on the upsert hot path. */
	int rc = sqlite3_open_v2(s->base.name, &s->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK)
		return rc;
	/* SQLite silently falls back to read-only; a sync must not get far
	 * before finding out. */
	if (sqlite3_db_readonly(s->db, "main") == 1)
		return SQLITE_READONLY;
	if (sqlite3_exec(s->db, open_pragmas, NULL, NULL, NULL) != SQLITE_OK)
		return sqlite3_errcode(s->db);
	return SQLITE_OK;
}

int cs_sqlite_open(const cs_config *cfg, cs_store **out, cs_err *err)
{
	*out = NULL;
	int rc = check_path(cfg->db_path, err);
	if (rc < 0)
		return rc;
	cs_sqlite *s = calloc(1, sizeof(*s));
	if (!s)
		return cs_err_set(err, CS_ERR, "cannot open database '%s': out of memory",
				  cfg->db_path);
	s->base.drv = &cs_sqlite_driver;
	s->base.dia = &cs_sqlite_dialect;
	snprintf(s->base.name, sizeof(s->base.name), "%s", cfg->db_path);
	rc = connect(s);
	if (rc != SQLITE_OK) {
		/* opening is what failed, whatever step of it */
		rc = cs_sqlite_fail(s, rc, "open", err);
		sqlite_close(&s->base);
		return rc;
	}
	cs_sqlite_ckpt_setup(s);
	apply_test_hooks(s);
	return cs_sql_store_new(&s->base, &sqlite_hooks, out, err);
}

sqlite3 *cs_sqlite_handle(cs_store *st)
{
	cs_sql *c = cs_sql_store_conn(st);
	return c && c->drv == &cs_sqlite_driver ? ((cs_sqlite *)c)->db : NULL;
}

int cs_sqlite_has_checkpointer(cs_store *st)
{
	cs_sql *c = cs_sql_store_conn(st);
	return c && c->drv == &cs_sqlite_driver && ((cs_sqlite *)c)->ckpt != NULL;
}
