/* SQLite itself under the store: the schema's declared types and pragmas,
 * WAL checkpoints on a background thread, and the failures of a file a user
 * sees (bad path, not a database, disk full, read-only, locked). Runs on
 * SQLite only: CMake gives it no server variant, and each test says so
 * when run against another backend. */
#include "test_store_helpers.h"
#include "store/sql/schema.h"

#include <sys/stat.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SYNC1 "2025-01-01T00:00:00.000Z"

static const char *const affinity[] = {"INTEGER", "TEXT", "INTEGER", "REAL", "TEXT", "TEXT",
					"TEXT"};

/* SQLite's declared types and pragmas (each product's catalog differs; the
 * columns themselves are used by every other test) */
static void test_schema_follows_entities(void **state)
{
	(void)state;
	tstore t;
	tstore_sqlite_only();
	tstore_open(&t);
	for (size_t e = 0; e < CS_ENT_COUNT; e++) {
		const cs_entity *ent = &cs_entities[e];
		for (size_t i = 0; i < ent->ncolumns; i++) {
			const cs_column *c = &ent->columns[i];
			assert_string_equal(q_text(&t, "SELECT type FROM pragma_table_info('%s') "
						       "WHERE name = '%s'",
						   ent->name, c->name),
					    affinity[c->type]);
			if (c->flags & CS_COLF_INDEX)
				assert_int_equal(q_int(&t, "SELECT count(*) FROM pragma_index_list('%s') "
							   "l, pragma_index_info(l.name) i WHERE "
							   "i.name = '%s'",
						       ent->name, c->name),
						 1);
		}
		assert_string_equal(q_text(&t, "SELECT \"notnull\" FROM pragma_table_info('%s') "
					       "WHERE name = 'raw_json'", ent->name), "1");
		assert_int_equal(q_int(&t, "SELECT pk FROM pragma_table_info('%s') WHERE name = 'id'",
				       ent->name), 1);
		/* id, organization_id, mirrored, raw_json, synced_at, deleted_at, extras,
		 * then migration 8's cents */
		size_t ncents = 0;
		cs_sql_cents_cols((int)e, &ncents);
		long long extra = (e == CS_ENT_SUPPORTERS ? 7 : 0) + (long long)ncents;
		assert_int_equal(q_int(&t, "SELECT count(*) FROM pragma_table_info('%s')", ent->name),
				 (long long)ent->ncolumns + 5 + extra);
	}
	assert_string_equal(q_text(&t, "SELECT dflt_value FROM pragma_table_info('supporters') "
				       "WHERE name = 'monthly_recurring_amount'"), "0");
	/* relationships are not foreign keys: orphans must be storable */
	assert_int_equal(q_int(&t, "SELECT count(*) FROM pragma_foreign_key_list('transactions')"), 0);
	assert_string_equal(q_text(&t, "PRAGMA journal_mode"), "wal");
	assert_int_equal(q_int(&t, "PRAGMA busy_timeout"), 5000);
	tstore_close(&t);
}

/* The plan of a query for one organization's rows of a typed view: the
 * empty typed arm (view_column_types, migration 8) costs a scan of nothing,
 * and the filter still reaches the supporters' index, as it did before the
 * views were typed (a CAST around each column would hide it). */
static void test_typed_views_keep_their_indexes(void **state)
{
	(void)state;
	tstore t;
	tstore_sqlite_only();
	tstore_open(&t);
	static const char *const views[] = {"supporter_summary", "supporter_segments",
					    "contact_segments"};
	for (size_t i = 0; i < N(views); i++) {
		char sql[128], plan[2048] = "";
		size_t used = 0;
		sqlite3_stmt *st;
		snprintf(sql, sizeof(sql),
			 "EXPLAIN QUERY PLAN SELECT * FROM %s WHERE organization_id = 5", views[i]);
		assert_int_equal(sqlite3_prepare_v2(t.db, sql, -1, &st, NULL), SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW && used < sizeof(plan))
			used += (size_t)snprintf(plan + used, sizeof(plan) - used, "%s\n",
						 (const char *)sqlite3_column_text(st, 3));
		sqlite3_finalize(st);
		if (!strstr(plan, "SCAN k") && !strstr(plan, "view_column_types"))
			fail_msg("%s is not typed:\n%s", views[i], plan);
		if (!strstr(plan, "USING INDEX supporters_organization_id"))
			fail_msg("%s for one organization reads every supporter:\n%s", views[i],
				 plan);
	}
	tstore_close(&t);
}

/* A new database gets 8 KB pages (two or three transaction rows a page);
 * one made with other pages keeps them, and the store still works on it
 * (the pragma must not come after the file's first write, nor rewrite an
 * existing file). */
static void test_page_size(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	tstore_sqlite_only();
	tstore_open(&t);
	assert_int_equal(q_int(&t, "PRAGMA page_size"), 8192);
	cs_store_close(t.st);
	t.st = NULL;
	unlink(t.path);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(t.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA page_size = 4096; CREATE TABLE x (a)", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(cs_store_open(&t.cfg, &t.st, &err), 0);
	t.db = cs_sqlite_handle(t.st);
	t.sql = cs_sql_store_conn(t.st);
	tstore_migrate(&t);
	assert_int_equal(q_int(&t, "PRAGMA page_size"), 4096);
	assert_string_equal(q_text(&t, "PRAGMA journal_mode"), "wal");
	tstore_close(&t);
}

/* CS_CTRL_READER maps the file (the giving report's reads); a connection
 * that was not asked keeps SQLite's default of no mapping, so a sync's
 * memory does not grow with the file. */
static void test_reader_maps_the_file(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	tstore_sqlite_only();
	tstore_open(&t);
	assert_int_equal(q_int(&t, "PRAGMA mmap_size"), 0);
	assert_int_equal(t.st->ctrl(t.st, CS_CTRL_READER, NULL, &err), 0);
	assert_true(q_int(&t, "PRAGMA mmap_size") >= 256LL << 20);
	tstore_close(&t);
}

static int cancel_answer(void *ctx)
{
	return *(int *)ctx;
}

/* A reader's cancel stops a long statement (the daemon stopping during
 * seconds of the report's SQL), as CS_EINTR; unasked it changes nothing. */
static void test_reader_cancel(void **state)
{
	(void)state;
	static const char count[] = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1"
				    " FROM c WHERE i < 1000000) SELECT count(*) FROM c";
	tstore t;
	cs_err err = {0};
	int stop = 0;
	cs_store_reader r = {cancel_answer, &stop};
	tstore_sqlite_only();
	tstore_open(&t);
	assert_int_equal(t.st->ctrl(t.st, CS_CTRL_READER, &r, &err), 0);
	assert_int_equal(sqlite3_exec(t.db, count, NULL, NULL, NULL), SQLITE_OK);
	stop = 1;
	int rc = sqlite3_exec(t.db, count, NULL, NULL, NULL);
	assert_int_equal(rc, SQLITE_INTERRUPT);
	assert_int_equal(cs_sqlite_map_error(t.path, rc, NULL, "read", &err), CS_EINTR);
	assert_non_null(strstr(err.msg, "stopped before the read finished"));
	tstore_close(&t);
}

static void test_bad_db_path(void **state)
{
	(void)state;
	cs_config cfg = {.db_type = CS_DB_SQLITE};
	cs_err err = {0};
	cs_store *st = NULL;
	snprintf(cfg.db_path, sizeof(cfg.db_path), "/nope/x.db");
	assert_int_equal(cs_store_open(&cfg, &st, &err), CS_EUSAGE);
	assert_null(st);
	assert_string_equal(err.msg, "cannot open database '/nope/x.db': directory '/nope' does not "
				     "exist; set DB_PATH to a writable path");

	snprintf(cfg.db_path, sizeof(cfg.db_path), "/tmp");
	assert_int_equal(cs_store_open(&cfg, &st, &err), CS_EUSAGE);
	assert_string_equal(err.msg, "cannot open database '/tmp': it is a directory; set DB_PATH "
				     "to a file path");
}

/* an SQLite file that is not a database */
static void test_not_a_database(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	tstore_sqlite_only();
	tstore_open(&t);
	cs_store_close(t.st);
	t.st = NULL;
	FILE *f = fopen(t.path, "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database at all, just text. ", f);
	fclose(f);
	cs_config cfg = {.db_type = CS_DB_SQLITE};
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", t.path);
	assert_int_equal(cs_store_open(&cfg, &t.st, &err), CS_EIO);
	assert_null(t.st);
	char want[512];
	snprintf(want, sizeof(want), "cannot open database '%s': the file is not an SQLite "
				     "database; set DB_PATH to a classy-sync database or a new file",
		 t.path);
	assert_string_equal(err.msg, want);
	tstore_close(&t);
}

static void test_failure_messages(void **state)
{
	(void)state;
	static const struct {
		int rc, code;
		const char *why;
	} cases[] = {
		{SQLITE_FULL, CS_EIO, "the disk is full; free space and rerun: nothing was lost, the "
				      "page in flight was rolled back"},
		{SQLITE_READONLY_DBMOVED, CS_EIO, "the database is read-only"},
		{SQLITE_BUSY, CS_EBUSY, "the database is locked by another process"},
		{SQLITE_LOCKED, CS_EBUSY, "the database is locked by another process"},
		{SQLITE_CORRUPT, CS_EIO, "the database file is corrupt"},
		{SQLITE_NOTADB, CS_EIO, "the file is not an SQLite database"},
		{SQLITE_CANTOPEN, CS_EIO, "the file cannot be opened"},
		{SQLITE_IOERR_WRITE, CS_EIO, "a disk I/O error occurred"},
		{SQLITE_MISMATCH, CS_ERR, "datatype mismatch"},
	};
	for (size_t i = 0; i < N(cases); i++) {
		cs_err err = {0};
		assert_int_equal(cs_sqlite_map_error("x.db", cases[i].rc, NULL, "commit a page", &err),
				 cases[i].code);
		assert_int_equal(err.code, cases[i].code);
		const char *prefix = "cannot commit a page in database 'x.db': ";
		assert_memory_equal(err.msg, prefix, strlen(prefix));
		if (strncmp(err.msg + strlen(prefix), cases[i].why, strlen(cases[i].why)))
			fail_msg("rc %d: %s", cases[i].rc, err.msg);
	}
}

/* Past 4000 WAL pages the commit hands checkpoints to a background thread;
 * nothing is lost when the store closes with one pending or running. */
static void test_background_checkpoint(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	static char rec[4096];
	long long id = 0;
	tstore_sqlite_only();
	tstore_open(&t);
	assert_false(cs_sqlite_has_checkpointer(t.st)); /* short commands never start it */
	for (int page = 0; page < 80; page++) {
		assert_int_equal(t.st->page_begin(t.st, SYNC1, &err), 0);
		for (int i = 0; i < 100; i++) {
			snprintf(rec, sizeof(rec), "{\"id\":%lld,\"name\":\"%0*d\"}", ++id, 2500, 0);
			assert_int_equal(put_json(&t, CS_ENT_CAMPAIGNS, 1, rec, &err), 0);
		}
		assert_int_equal(t.st->page_commit(t.st, NULL, &err), 0);
	}
	assert_true(cs_sqlite_has_checkpointer(t.st));
	cs_store_close(t.st);
	cs_config cfg = {.db_type = CS_DB_SQLITE};
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", t.path);
	assert_int_equal(cs_store_open(&cfg, &t.st, &err), 0);
	t.db = cs_sqlite_handle(t.st);
	t.sql = cs_sql_store_conn(t.st);
	assert_int_equal(q_int(&t, "SELECT count(*) FROM campaigns"), id);
	assert_string_equal(q_text(&t, "PRAGMA integrity_check"), "ok");
	tstore_close(&t);
}

/* --- failures a user sees --- */

static void test_disk_full(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	char big[8192];
	char cap[32];
	const char *earlier[] = {"{\"id\":999}"};
	tstore_sqlite_only();
	tstore_open(&t);
	put_page(&t, CS_ENT_CAMPAIGNS, 1, SYNC1, earlier, 1);
	/* Reopen with the file capped just above its size, through the hook the
	 * integration test uses: a few rows later the "disk" is full. */
	snprintf(cap, sizeof(cap), "%lld", q_int(&t, "PRAGMA page_count") + 2);
	cs_store_close(t.st);
	setenv("CLASSY_SYNC_TEST_MAX_PAGE_COUNT", cap, 1);
	cs_config cfg = {.db_type = CS_DB_SQLITE};
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", t.path);
	assert_int_equal(cs_store_open(&cfg, &t.st, &err), 0);
	unsetenv("CLASSY_SYNC_TEST_MAX_PAGE_COUNT");
	t.db = cs_sqlite_handle(t.st);
	t.sql = cs_sql_store_conn(t.st);
	assert_int_equal(q_int(&t, "PRAGMA max_page_count"), atoll(cap));
	int rc = 0;
	assert_int_equal(t.st->page_begin(t.st, SYNC1, &err), 0);
	for (int i = 1; i <= 50 && rc == 0; i++) {
		snprintf(big, sizeof(big), "{\"id\":%d,\"name\":\"%0*d\"}", i, 6000, 0);
		rc = put_json(&t, CS_ENT_CAMPAIGNS, 1, big, &err);
	}
	if (rc == 0)
		rc = t.st->page_commit(t.st, NULL, &err);
	else
		t.st->page_abort(t.st);
	assert_int_equal(rc, CS_EIO);
	assert_non_null(strstr(err.msg, "the disk is full; free space and rerun: nothing was lost, "
					"the page in flight was rolled back"));
	assert_non_null(strstr(err.msg, t.path));
	/* the page in flight is gone, the earlier page is kept */
	assert_string_equal(q_text(&t, "SELECT group_concat(id) FROM campaigns"), "999");
	tstore_close(&t);
}

static void test_read_only_database(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	char want[512];
	tstore_sqlite_only();
	tstore_open(&t);
	assert_int_equal(sqlite3_exec(t.db, "PRAGMA query_only = 1", NULL, NULL, NULL), SQLITE_OK);
	int rc = t.st->page_begin(t.st, SYNC1, &err);
	if (rc == 0) {
		rc = put_json(&t, CS_ENT_CAMPAIGNS, 1, "{\"id\":1}", &err);
		t.st->page_abort(t.st);
	}
	assert_int_equal(rc, CS_EIO);
	assert_non_null(strstr(err.msg, "the database is read-only; make the file and its directory "
					"writable, or set DB_PATH to a writable path"));
	tstore_close(&t);

	/* A read-only file is refused at open (root can write anyway: skip). */
	if (geteuid() == 0)
		return;
	tstore_open(&t);
	cs_store_close(t.st);
	assert_int_equal(chmod(t.path, 0444), 0);
	cs_config cfg = {.db_type = CS_DB_SQLITE};
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", t.path);
	assert_int_equal(cs_store_open(&cfg, &t.st, &err), CS_EIO);
	snprintf(want, sizeof(want), "cannot open database '%s': the database is read-only", t.path);
	assert_memory_equal(err.msg, want, strlen(want));
	tstore_close(&t);
}

static void test_locked_by_another_process(void **state)
{
	(void)state;
	tstore a, b;
	cs_err err = {0};
	tstore_sqlite_only();
	tstore_open(&a);
	b = a;
	cs_config cfg = {.db_type = CS_DB_SQLITE};
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", a.path);
	assert_int_equal(cs_store_open(&cfg, &b.st, &err), 0);
	b.db = cs_sqlite_handle(b.st);
	b.sql = cs_sql_store_conn(b.st);
	sqlite3_busy_timeout(b.db, 0); /* no 5 s wait in a unit test */
	assert_int_equal(a.st->page_begin(a.st, SYNC1, &err), 0);
	assert_int_equal(b.st->page_begin(b.st, SYNC1, &err), CS_EBUSY);
	assert_non_null(strstr(err.msg, "cannot begin a page in database"));
	assert_non_null(strstr(err.msg, "the database is locked by another process"));
	/* the reader still reads while the writer holds its page (WAL) */
	cJSON *st = NULL;
	assert_int_equal(b.st->status(b.st, &st, &err), 0);
	cJSON_Delete(st);
	a.st->page_abort(a.st);
	cs_store_close(b.st);
	tstore_close(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_follows_entities),
		cmocka_unit_test(test_typed_views_keep_their_indexes),
		cmocka_unit_test(test_page_size),
		cmocka_unit_test(test_reader_maps_the_file),
		cmocka_unit_test(test_reader_cancel),
		cmocka_unit_test(test_bad_db_path),
		cmocka_unit_test(test_not_a_database),
		cmocka_unit_test(test_failure_messages),
		cmocka_unit_test(test_background_checkpoint),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_read_only_database),
		cmocka_unit_test(test_locked_by_another_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
