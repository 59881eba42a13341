/* Helpers for the store unit tests: a store on a fresh database, upserts
 * from JSON text, and one-value queries. The backend is SQLite (a temp
 * file) unless CS_TEST_BACKEND names a server product (tests/with-backend.sh
 * sets it, with CS_TEST_DB_URL): then each store gets a database of its own,
 * created here and dropped at close. Header-only (static functions) so each
 * test executable stays a single .c file; the ones a file may not call are
 * marked unused (see test_store_fixture.h). */
#ifndef TEST_STORE_HELPERS_H
#define TEST_STORE_HELPERS_H

#include "store/sqlite/sqlite.h"
#include "store/sql/schema.h"
#include "store/sql/sqlstore.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct tstore {
	char dir[64];
	char path[128];
	cs_store *st;
	sqlite3 *db;  /* its SQLite handle, for direct SQL; NULL on a server */
	cs_sql *sql;  /* the SQL core's connection, on every backend */
	char server_db[64]; /* the database made for this store on a server */
} tstore;

/* The backend under test: "sqlite" unless CS_TEST_BACKEND says otherwise. */
static const char *tstore_backend(void)
{
	const char *b = getenv("CS_TEST_BACKEND");
	return b && *b ? b : "sqlite";
}

/* For a test that looks under SQLite's own hood (pragmas, the WAL, the
 * file): on another backend it is skipped, saying so. */
__attribute__((unused)) static void tstore_sqlite_only(void)
{
	if (strcmp(tstore_backend(), "sqlite")) {
		print_message("SKIPPED on %s: the test checks SQLite itself\n", tstore_backend());
		skip();
	}
}

/* base URL with its database replaced by name. */
static void url_with_db(const char *base, const char *name, char *out, size_t n)
{
	const char *scheme = strstr(base, "://");
	const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
	int keep = slash ? (int)(slash - base) : (int)strlen(base);
	snprintf(out, n, "%.*s/%s", keep, base, name);
}

/* Runs one statement on a server through a store opened on url. */
static void server_exec(const char *url, const char *sql)
{
	cs_config cfg;
	cs_err err = {0};
	cs_store *admin = NULL;
	memset(&cfg, 0, sizeof(cfg));
	cfg.db_type = strncmp(url, "postgres", 8) ? CS_DB_MYSQL : CS_DB_POSTGRESQL;
	snprintf(cfg.database_url, sizeof(cfg.database_url), "%s", url);
	if (cs_store_open(&cfg, &admin, &err))
		fail_msg("open %s: %s", tstore_backend(), err.msg);
	if (cs_sql_script(cs_sql_store_conn(admin), sql, "prepare the test database", &err))
		fail_msg("%s: %s", sql, err.msg);
	cs_store_close(admin);
}

static void tstore_open_server(tstore *t, cs_config *cfg)
{
	static int n;
	const char *base = getenv("CS_TEST_DB_URL");
	char sql[128];
	if (!base || !*base)
		fail_msg("CS_TEST_BACKEND=%s needs CS_TEST_DB_URL", tstore_backend());
	snprintf(t->server_db, sizeof(t->server_db), "classy_t%ld_%d", (long)getpid(), ++n);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", t->server_db);
	server_exec(base, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", t->server_db);
	server_exec(base, sql);
	cfg->db_type = strncmp(base, "postgres", 8) ? CS_DB_MYSQL : CS_DB_POSTGRESQL;
	url_with_db(base, t->server_db, cfg->database_url, sizeof(cfg->database_url));
}

static void tstore_open_only(tstore *t)
{
	cs_config cfg;
	cs_err err = {0};
	memset(&cfg, 0, sizeof(cfg));
	memset(t, 0, sizeof(*t));
	if (strcmp(tstore_backend(), "sqlite")) {
		tstore_open_server(t, &cfg);
		if (cs_store_open(&cfg, &t->st, &err))
			fail_msg("open: %s", err.msg);
		t->sql = cs_sql_store_conn(t->st);
		return;
	}
	snprintf(t->dir, sizeof(t->dir), "/tmp/cs-store-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/t.db", t->dir);
	cfg.db_type = CS_DB_SQLITE;
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", t->path);
	int rc = cs_store_open(&cfg, &t->st, &err);
	if (rc)
		fail_msg("open: %s", err.msg);
	t->db = cs_sqlite_handle(t->st);
	t->sql = cs_sql_store_conn(t->st);
}

static void tstore_open(tstore *t)
{
	cs_err err = {0};
	int applied = 0;
	tstore_open_only(t);
	if (t->st->migrate(t->st, &applied, &err))
		fail_msg("migrate: %s", err.msg);
}

static void tstore_close(tstore *t)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[160];
	cs_store_close(t->st);
	t->st = NULL;
	if (t->server_db[0]) {
		snprintf(p, sizeof(p), "DROP DATABASE IF EXISTS %s", t->server_db);
		server_exec(getenv("CS_TEST_DB_URL"), p);
		return;
	}
	for (size_t i = 0; i < sizeof(suffix) / sizeof(*suffix); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, suffix[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

/* Upserts one record given as JSON text, raw bytes = the text. */
static int put_json(tstore *t, int entity, long long org, const char *json, cs_err *err)
{
	cJSON *j = cJSON_Parse(json);
	assert_non_null(j);
	cs_record rec = {j, json, strlen(json)};
	int rc = t->st->page_upsert(t->st, &cs_entities[entity], org, &rec, err);
	cJSON_Delete(j);
	return rc;
}

/* One page holding the given records, committed without state. */
__attribute__((unused)) static void put_page(tstore *t, int entity, long long org,
					     const char *synced_at, const char *const *jsons,
					     size_t n)
{
	cs_err err = {0};
	assert_int_equal(t->st->page_begin(t->st, synced_at, &err), 0);
	for (size_t i = 0; i < n; i++)
		if (put_json(t, entity, org, jsons[i], &err))
			fail_msg("upsert %s: %s", jsons[i], err.msg);
	if (t->st->page_commit(t->st, NULL, &err))
		fail_msg("commit: %s", err.msg);
}

/* The first column of the first row of a query, as text in the store's
 * stored form ("(null)" for NULL, "(none)" without a row), on any backend. */
typedef struct q_first {
	char text[4096];
	int rows;
} q_first;

static int q_first_row(cs_sql_stmt *st, void *ctx)
{
	q_first *q = ctx;
	if (q->rows++ == 0) {
		const char *v = cs_sql_col_text(st, 0);
		snprintf(q->text, sizeof(q->text), "%s", v ? v : "(null)");
	}
	return 0;
}

static void q_run(tstore *t, const char *sql, q_first *q)
{
	cs_err err = {0};
	memset(q, 0, sizeof(*q));
	snprintf(q->text, sizeof(q->text), "(none)");
	if (cs_sql_query(t->sql, sql, "run a test query", CS_SQL_NOARGS, q_first_row, q, &err))
		fail_msg("%s: %s", sql, err.msg);
}

static long long q_int(tstore *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), unused));
static long long q_int(tstore *t, const char *fmt, ...)
{
	char sql[512];
	q_first q;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	q_run(t, sql, &q);
	if (q.rows == 0)
		fail_msg("no row: %s", sql);
	return atoll(q.text);
}

/* Text of the first column of the first row, "(null)" for NULL, "(none)"
 * without a row. Static buffer: copy before the next call. */
static const char *q_text(tstore *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), unused));
static const char *q_text(tstore *t, const char *fmt, ...)
{
	static q_first q;
	char sql[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	q_run(t, sql, &q);
	return q.text;
}

#endif
