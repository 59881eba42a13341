/* SQLite backend: opening, settings, error mapping and the vtable. The
 * operations themselves live in sqlite_{migrate,orgs,page,status}.c. */
#include "store/sqlite_ops.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	{SQLITE_BUSY, CS_ECONFLICT,
	 "the database is locked by another process; wait for it to finish, then rerun"},
	{SQLITE_LOCKED, CS_ECONFLICT,
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
};

/* "cannot open database 'x.db': ..." but "cannot commit a page in database
 * 'x.db': ...", so any verb phrase reads right. */
static int fail_on(const char *path, sqlite3 *db, int rc, const char *detail, const char *what,
		   cs_err *err)
{
	const char *in = strcmp(what, "open") ? " in" : "";
	for (size_t i = 0; i < ARRAY_LEN(failures); i++)
		if ((rc & 0xff) == failures[i].rc)
			return cs_err_set(err, failures[i].code, "cannot %s%s database '%s': %s",
					  what, in, path, failures[i].why);
	if (!detail)
		detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	return cs_err_set(err, CS_ERR, "cannot %s%s database '%s': %s", what, in, path, detail);
}

int cs_sqlite_fail(cs_sqlite *s, int rc, const char *what, cs_err *err)
{
	return fail_on(s->path, s->db, rc, NULL, what, err);
}

int cs_sqlite_exec(sqlite3 *db, const char *sql, cs_err *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		const char *path = sqlite3_db_filename(db, "main");
		rc = fail_on(path ? path : "", db, rc, msg, "execute SQL", err);
	}
	sqlite3_free(msg);
	return rc;
}

int cs_sqlite_prepare(cs_sqlite *s, const char *sql, sqlite3_stmt **stmt, const char *what,
		      cs_err *err)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, stmt, NULL);
	if (rc != SQLITE_OK) {
		*stmt = NULL;
		return cs_sqlite_fail(s, rc, what, err);
	}
	return 0;
}

void cs_sqlite_drop_cached(cs_sqlite *s)
{
	for (size_t i = 0; i < CS_ENT_COUNT; i++) {
		sqlite3_finalize(s->upsert[i]);
		s->upsert[i] = NULL;
	}
	sqlite3_finalize(s->enqueue);
	s->enqueue = NULL;
}

void cs_sqlite_now(char out[32])
{
	cs_time_format(cs_time_now_ms(), 1, out);
}

int cs_sqlite_bind_opt(sqlite3_stmt *st, int i, const char *text)
{
	if (!text || !*text)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
}

void cs_sqlite_col_copy(sqlite3_stmt *st, int i, char *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(out, n, "%s", t ? (const char *)t : "");
}

int cs_sqlite_has_table(cs_sqlite *s, const char *name)
{
	sqlite3_stmt *st = NULL;
	int found = 0;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT 1 FROM sqlite_master WHERE name = ?1 AND type IN "
			       "('table', 'view')",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return found;
}

/* Checks the directory before SQLite does, because SQLite only says
 * "unable to open database file", which does not tell the user what to fix. */
static int check_path(const char *path, cs_err *err)
{
	struct stat st;
	char dir[sizeof(((cs_sqlite *)0)->path)];

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
 * Pages stay 4 KB: larger ones pack 2.6 KB rows better but every commit
 * rewrites each index leaf a random supporter_id lands in, and at 16 KB that
 * costs more than it saves (measured: 53 against 33 us per transaction row).
 * Checkpoints: see sqlite_ckpt.c. */
static const char open_pragmas[] = "PRAGMA busy_timeout = 5000;"
				   "PRAGMA journal_mode = WAL;"
				   "PRAGMA synchronous = NORMAL;"
				   "PRAGMA foreign_keys = OFF;"
				   /* 16 MB of page cache (the default is 2 MB): the random
				    * supporter_id index leaves of a big transactions table
				    * stay cached instead of being read back for every
				    * insert. Measured: 1M transactions 43.7 s -> 39.0 s,
				    * sys time 26 -> 18 s; RSS stays flat at ~50 MB. */
				   "PRAGMA cache_size = -16384;";

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

static void sqlite_close(cs_store *st)
{
	cs_sqlite *s = (cs_sqlite *)st;
	if (!s)
		return;
	cs_sqlite_drop_cached(s);
	cs_sqlite_ckpt_stop(s);
	if (s->db && s->in_page)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close_v2(s->db);
	free(s);
}

static int sqlite_seed(cs_store *st, int demo, long long *inserted, cs_err *err)
{
	return cs_sqlite_seed((cs_sqlite *)st, demo, inserted, err);
}

static int sqlite_recompute(cs_store *st, long long org, long long *updated, cs_err *err)
{
	return cs_sqlite_recompute((cs_sqlite *)st, org, updated, err);
}

static int sqlite_ctrl(cs_store *st, int op, void *arg, cs_err *err)
{
	if (op == CS_CTRL_LAST_RUNS)
		return cs_sqlite_last_runs(st, arg, err);
	if (op == CS_CTRL_RUN_FACTS)
		return cs_sqlite_run_facts((cs_sqlite *)st, arg, err);
	if (op == CS_CTRL_PLUGIN_LAST)
		return cs_sqlite_plugin_last((cs_sqlite *)st, arg, err);
	return cs_err_set(err, CS_ENOTFOUND,
			  "store operation %d is not supported by the sqlite backend; upgrade "
			  "classy-sync",
			  op);
}

static const cs_store sqlite_vtable = {
	.abi = CS_STORE_ABI,
	.name = "sqlite",
	.close = sqlite_close,
	.migrate = cs_sqlite_migrate,
	.rollback = cs_sqlite_rollback,
	.migrations = cs_sqlite_migration_list,
	.reset = cs_sqlite_reset,
	.seed = sqlite_seed,
	.org_put = cs_sqlite_org_put,
	.org_get = cs_sqlite_org_get,
	.org_list = cs_sqlite_org_list,
	.org_remove = cs_sqlite_org_remove,
	.state_get = cs_sqlite_state_get,
	.run_begin = cs_sqlite_run_begin,
	.run_finish = cs_sqlite_run_finish,
	.page_begin = cs_sqlite_page_begin,
	.page_upsert = cs_sqlite_page_upsert,
	.page_commit = cs_sqlite_page_commit,
	.page_abort = cs_sqlite_page_abort,
	.mark_absent = cs_sqlite_mark_absent,
	.recompute_aggregates = sqlite_recompute,
	.status = cs_sqlite_status,
	.contacts = cs_sqlite_contacts,
	.plugin_record = cs_sqlite_plugin_record,
	.plugin_run_begin = cs_sqlite_plugin_run_begin,
	.plugin_run_finish = cs_sqlite_plugin_run_finish,
	.plugin_status = cs_sqlite_plugin_status,
	.lease_acquire = cs_sqlite_lease_acquire,
	.lease_renew = cs_sqlite_lease_renew,
	.lease_release = cs_sqlite_lease_release,
	.alert_load = cs_sqlite_alert_load,
	.alert_save = cs_sqlite_alert_save,
	.ctrl = sqlite_ctrl,
};

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
	s->base = sqlite_vtable;
	snprintf(s->path, sizeof(s->path), "%s", cfg->db_path);

	/* NOMUTEX: a store is used by one thread at a time, and the per-call
	 * mutex would cost on the upsert hot path. */
	rc = sqlite3_open_v2(s->path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = cs_sqlite_fail(s, rc, "open", err);
		goto out_fail;
	}
	/* SQLite silently falls back to read-only; a sync must not get far
	 * before finding out. */
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		rc = cs_sqlite_fail(s, SQLITE_READONLY, "open", err);
		goto out_fail;
	}
	rc = cs_sqlite_exec(s->db, open_pragmas, err);
	if (rc < 0) {
		/* Re-map without the SQL detail: opening is what failed. */
		rc = cs_sqlite_fail(s, sqlite3_errcode(s->db), "open", err);
		goto out_fail;
	}
	cs_sqlite_ckpt_setup(s);
	apply_test_hooks(s);
	*out = &s->base;
	return 0;

out_fail:
	sqlite_close(&s->base);
	return rc;
}
