/* Helpers for the store unit tests: a store on a fresh database, upserts
 * from JSON text, and one-value queries. The backend is SQLite (a temp
 * file) unless CS_TEST_BACKEND names a server product (tests/with-backend.sh
 * sets it, with CS_TEST_DB_URL): then each store gets a schema (PostgreSQL)
 * or a database of its own, created here and dropped at close.
 * Header-only (static functions) so each test executable stays a single .c
 * file; the ones a file may not call are marked unused (see
 * test_store_fixture.h). */
#ifndef TEST_STORE_HELPERS_H
#define TEST_STORE_HELPERS_H

#include "store/sqlite/sqlite.h"
#include "store/sql/schema.h"
#include "store/sql/sqlstore.h"
#include "util/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

typedef struct tstore {
	char dir[64];
	char path[128];
	cs_store *st;
	sqlite3 *db;  /* its SQLite handle, for direct SQL; NULL on a server */
	cs_sql *sql;  /* the SQL core's connection, on every backend */
	char server_db[64]; /* its schema (PostgreSQL) or database on a server */
	cs_config cfg;      /* how it was opened: another connection to the same database */
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

static int server_is_pg(const char *url)
{
	return !strncmp(url, "postgres", 8);
}

/* One connection to the server's own database (CS_TEST_DB_URL) for the
 * process, where each store's schema or database is made and dropped;
 * closed at exit (a forked child leaves it to its parent). */
static cs_store *server_admin_store;

static void server_admin_close(void)
{
	cs_store_close(server_admin_store);
	server_admin_store = NULL;
}

static void server_exec(const char *sql)
{
	cs_err err = {0};
	const char *url = getenv("CS_TEST_DB_URL");
	if (!url || !*url)
		fail_msg("CS_TEST_BACKEND=%s needs CS_TEST_DB_URL", tstore_backend());
	if (!server_admin_store) {
		cs_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.db_type = server_is_pg(url) ? CS_DB_POSTGRESQL : CS_DB_MYSQL;
		snprintf(cfg.database_url, sizeof(cfg.database_url), "%s", url);
		if (cs_store_open(&cfg, &server_admin_store, &err))
			fail_msg("open %s: %s", tstore_backend(), err.msg);
		atexit(server_admin_close);
	}
	if (cs_sql_script(cs_sql_store_conn(server_admin_store), sql, "prepare the test database",
			  &err))
		fail_msg("%s: %s", sql, err.msg);
}

/* A store's own place on the server: on PostgreSQL a schema of the
 * server's database, the store's connection finding it first on its
 * search_path (a schema is made and dropped in milliseconds, a database in
 * about a second); elsewhere a database. */
static void tstore_open_server(tstore *t, cs_config *cfg)
{
	static int n;
	const char *base = getenv("CS_TEST_DB_URL");
	char sql[256];
	if (!base || !*base)
		fail_msg("CS_TEST_BACKEND=%s needs CS_TEST_DB_URL", tstore_backend());
	snprintf(t->server_db, sizeof(t->server_db), "classy_t%ld_%d", (long)getpid(), ++n);
	if (server_is_pg(base)) {
		cfg->db_type = CS_DB_POSTGRESQL;
		snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
			 t->server_db, t->server_db);
		server_exec(sql);
		snprintf(cfg->database_url, sizeof(cfg->database_url),
			 "%s%coptions=-csearch_path%%3D%s", base, strchr(base, '?') ? '&' : '?',
			 t->server_db);
		return;
	}
	cfg->db_type = CS_DB_MYSQL;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", t->server_db);
	server_exec(sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", t->server_db);
	server_exec(sql);
	url_with_db(base, t->server_db, cfg->database_url, sizeof(cfg->database_url));
}

/* A store on a fresh database of backend ("sqlite", or the server product
 * under test), not migrated. */
static void tstore_open_on(tstore *t, const char *backend)
{
	cs_err err = {0};
	memset(t, 0, sizeof(*t));
	if (strcmp(backend, "sqlite")) {
		tstore_open_server(t, &t->cfg);
		if (cs_store_open(&t->cfg, &t->st, &err))
			fail_msg("open: %s", err.msg);
		t->sql = cs_sql_store_conn(t->st);
		return;
	}
	snprintf(t->dir, sizeof(t->dir), "/tmp/cs-store-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/t.db", t->dir);
	t->cfg.db_type = CS_DB_SQLITE;
	snprintf(t->cfg.db_path, sizeof(t->cfg.db_path), "%s", t->path);
	int rc = cs_store_open(&t->cfg, &t->st, &err);
	if (rc)
		fail_msg("open: %s", err.msg);
	t->db = cs_sqlite_handle(t->st);
	t->sql = cs_sql_store_conn(t->st);
}

static void tstore_open_only(tstore *t)
{
	tstore_open_on(t, tstore_backend());
}

static void tstore_migrate(tstore *t)
{
	cs_err err = {0};
	int applied = 0;
	if (t->st->migrate(t->st, &applied, &err))
		fail_msg("migrate: %s", err.msg);
}

__attribute__((unused)) static void tstore_open(tstore *t)
{
	tstore_open_only(t);
	tstore_migrate(t);
}

static void tstore_close(tstore *t)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[160];
	cs_store_close(t->st);
	t->st = NULL;
	if (t->server_db[0]) {
		snprintf(p, sizeof(p), "DROP %s IF EXISTS %s%s",
			 t->cfg.db_type == CS_DB_POSTGRESQL ? "SCHEMA" : "DATABASE", t->server_db,
			 t->cfg.db_type == CS_DB_POSTGRESQL ? " CASCADE" : "");
		server_exec(p);
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
	cs_record rec = {j, json, strlen(json), 0, NULL};
	int rc = t->st->page_upsert(t->st, &cs_entities[entity], org, &rec, err);
	cJSON_Delete(j);
	return rc;
}

/* One page holding the given records, committed without state. */
static int no_row_cb(cs_sql_stmt *st, void *ctx)
{
	(void)st;
	(void)ctx;
	return 0;
}

/* Whether table has column col (a query naming it runs). */
__attribute__((unused)) static int has_column(tstore *t, const char *table, const char *col)
{
	cs_err err = {0};
	char sql[128];
	/* unquoted: SQLite reads a quoted name that is no column as a string */
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE 1 = 0", col, table);
	return cs_sql_query(t->sql, sql, "look for a column", CS_SQL_NOARGS, no_row_cb, NULL,
			    &err) == 0;
}

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

/* The tests write time literals in the stored ISO form
 * ('2025-01-01T00:00:00Z'); MySQL's DATETIME takes them without the T and
 * the Z ('2025-01-01 00:00:00'), which is how its driver binds the same
 * values. Returns sql for c's product, malloc'd (free it). */
static char *tstore_sql(const cs_sql *c, const char *sql)
{
	char *out = strdup(sql);
	assert_non_null(out);
	if (strcmp(c->dia->name, "mysql"))
		return out;
	for (char *p = out; (p = strchr(p, '\'')) != NULL; p++) {
		size_t k = 1;
		while (p[k] && strchr("0123456789-:.T", p[k]))
			k++;
		/* 'YYYY-MM-DDTHH:MM:SS[.fff]Z' */
		if (k >= 20 && p[k] == 'Z' && p[k + 1] == '\'' && p[5] == '-' && p[11] == 'T') {
			p[11] = ' ';
			memmove(p + k, p + k + 1, strlen(p + k + 1) + 1);
			p += k;
		}
	}
	return out;
}

/* ---- reading values the same way on every backend ----
 *
 * Every query goes through the SQL core (so it may use dialect words such as
 * @x4 or @days_between), and every value is read through the driver, whose
 * kinds are the same on every backend: a PostgreSQL numeric reads as a real,
 * a boolean as the integer 0 or 1, a time as the stored ISO text. */

/* Column i as SQLite's quote() shows it: NULL, an integer, a real in its
 * shortest form (".0" when whole), or text in single quotes; with_type puts
 * SQLite's typeof() name and ':' in front. */
static void render_quote(cs_sql_stmt *st, int i, int with_type, char *out, size_t n)
{
	static const char *const kinds[] = {"null", "integer", "real", "text", "text"};
	int kind = cs_sql_col_kind(st, i);
	size_t k = with_type ? (size_t)snprintf(out, n, "%s:", kinds[kind]) : 0;
	if (kind == CS_SQL_NULL) {
		snprintf(out + k, n - k, "NULL");
	} else if (kind == CS_SQL_INT) {
		snprintf(out + k, n - k, "%lld", cs_sql_col_int(st, i));
	} else if (kind == CS_SQL_REAL) {
		snprintf(out + k, n - k, "%.15g", cs_sql_col_real(st, i));
		if (!strpbrk(out + k, ".eni"))
			snprintf(out + strlen(out), n - strlen(out), ".0");
	} else {
		const char *v = cs_sql_col_text(st, i);
		if (k < n - 1)
			out[k++] = '\'';
		for (; *v && k < n - 3; v++) {
			if (*v == '\'')
				out[k++] = '\'';
			out[k++] = *v;
		}
		out[k++] = '\'';
		out[k] = '\0';
	}
}

/* The first column of the first row of a query, as text in the store's
 * stored form ("(null)" for NULL, "(none)" without a row), on any backend;
 * or rendered by render_quote (quote > 0, typeof too when quote > 1); or
 * the first column of every row joined by commas (list). */
typedef struct q_first {
	char text[4096];
	int rows, quote, list;
} q_first;

static int q_first_row(cs_sql_stmt *st, void *ctx)
{
	q_first *q = ctx;
	const char *v = cs_sql_col_text(st, 0);
	size_t used = strlen(q->text);
	if (q->list)
		snprintf(q->text + used, sizeof(q->text) - used, "%s%s", q->rows ? "," : "",
			 v ? v : "NULL");
	else if (q->rows == 0 && q->quote)
		render_quote(st, 0, q->quote > 1, q->text, sizeof(q->text));
	else if (q->rows == 0)
		snprintf(q->text, sizeof(q->text), "%s", v ? v : "(null)");
	q->rows++;
	return 0;
}

static void q_run(tstore *t, const char *sql, q_first *q)
{
	cs_err err = {0};
	int quote = q->quote, list = q->list;
	memset(q, 0, sizeof(*q));
	q->quote = quote;
	q->list = list;
	if (!list)
		snprintf(q->text, sizeof(q->text), "(none)");
	char *text = tstore_sql(t->sql, sql);
	if (cs_sql_query(t->sql, text, "run a test query", CS_SQL_NOARGS, q_first_row, q, &err))
		fail_msg("%s: %s", text, err.msg);
	free(text);
}

/* Formats the SQL and runs it into q (whose quote and list are set). */
static void q_vrun(tstore *t, q_first *q, const char *fmt, va_list ap)
{
	char sql[1024];
	vsnprintf(sql, sizeof(sql), fmt, ap);
	q_run(t, sql, q);
}

static long long q_int(tstore *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), unused));
static long long q_int(tstore *t, const char *fmt, ...)
{
	q_first q = {.quote = 0};
	va_list ap;
	va_start(ap, fmt);
	q_vrun(t, &q, fmt, ap);
	va_end(ap);
	if (q.rows == 0)
		fail_msg("no row: %s", fmt);
	return atoll(q.text);
}

/* Text of the first column of the first row, "(null)" for NULL, "(none)"
 * without a row. Static buffer: copy before the next call. */
static const char *q_text(tstore *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), unused));
static const char *q_text(tstore *t, const char *fmt, ...)
{
	static q_first q;
	va_list ap;
	memset(&q, 0, sizeof(q));
	va_start(ap, fmt);
	q_vrun(t, &q, fmt, ap);
	va_end(ap);
	return q.text;
}

/* The first value as SQLite's quote() shows it (typeof(x) || ':' first when
 * with_type), the same on every backend. Static buffer. */
static const char *q_quote(tstore *t, int with_type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), unused));
static const char *q_quote(tstore *t, int with_type, const char *fmt, ...)
{
	static q_first q;
	va_list ap;
	memset(&q, 0, sizeof(q));
	q.quote = 1 + !!with_type;
	va_start(ap, fmt);
	q_vrun(t, &q, fmt, ap);
	va_end(ap);
	return q.text;
}

/* The first column of every row joined by commas (what group_concat gives,
 * in the query's order; NULL as "NULL"). Static buffer. */
static const char *q_list(tstore *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), unused));
static const char *q_list(tstore *t, const char *fmt, ...)
{
	static q_first q;
	va_list ap;
	memset(&q, 0, sizeof(q));
	q.list = 1;
	va_start(ap, fmt);
	q_vrun(t, &q, fmt, ap);
	va_end(ap);
	return q.text;
}

/* ---- what differs between products, said once ---- */

/* Two stored times are the same: byte for byte on SQLite, which keeps the
 * form the API sent (".000Z" or not); as the same instant on a server,
 * whose time type keeps the instant only (ARCHITECTURE.md, invariant 7). */
__attribute__((unused)) static int tstore_same_time(const char *got, const char *want)
{
	int64_t a, b;
	if (!strcmp(got, want))
		return 1;
	return strcmp(tstore_backend(), "sqlite") && !cs_time_parse(got, &a, NULL) &&
	       !cs_time_parse(want, &b, NULL) && a == b;
}

#define assert_same_time(got, want)                                                  \
	do {                                                                          \
		const char *got_ = (got), *want_ = (want);                            \
		if (!tstore_same_time(got_, want_))                                   \
			fail_msg("time: want '%s', got '%s'", want_, got_);           \
	} while (0)

/* The backend stores raw_json as a parsed document (PostgreSQL's jsonb),
 * which keeps the record's content but not its bytes (ARCHITECTURE.md,
 * invariant 5). */
__attribute__((unused)) static int tstore_json_is_document(const tstore *t)
{
	return !strcmp(t->sql->dia->type[CS_ROLE_JSON], "JSONB");
}

/* raw_json as read back equals the record's n bytes at want: byte for
 * byte where the backend keeps bytes, as the same JSON value (cJSON_Compare,
 * numbers by value, object members in any order) where it keeps a document. */
__attribute__((unused)) static void assert_raw_json(const tstore *t, const char *got,
						     const char *want, size_t n)
{
	if (!tstore_json_is_document(t)) {
		if (strlen(got) != n || memcmp(got, want, n))
			fail_msg("raw_json: want '%.*s', got '%s'", (int)n, want, got);
		return;
	}
	cJSON *a = cJSON_Parse(got), *b = cJSON_ParseWithLength(want, n);
	int same = a && b && cJSON_Compare(a, b, 1);
	cJSON_Delete(a);
	cJSON_Delete(b);
	if (!same)
		fail_msg("raw_json: want the JSON value '%.*s', got '%s'", (int)n, want, got);
}

/* Views in the store's database, and every object (tables, indexes, views,
 * sequences) a reset must leave none of: each product's catalog. */
__attribute__((unused)) static long long tstore_count_views(tstore *t)
{
	if (!strcmp(t->st->name, "postgresql"))
		return q_int(t, "SELECT count(*) FROM information_schema.views"
				" WHERE table_schema = current_schema()");
	if (!strcmp(t->st->name, "mysql"))
		return q_int(t, "SELECT count(*) FROM information_schema.views"
				" WHERE table_schema = DATABASE()");
	return q_int(t, "SELECT count(*) FROM sqlite_master WHERE type = 'view'");
}

__attribute__((unused)) static long long tstore_count_objects(tstore *t)
{
	if (!strcmp(t->st->name, "postgresql"))
		return q_int(t, "SELECT count(*) FROM pg_class c JOIN pg_namespace n"
				" ON n.oid = c.relnamespace WHERE n.nspname = current_schema()");
	if (!strcmp(t->st->name, "mysql"))
		return q_int(t, "SELECT count(*) FROM information_schema.tables"
				" WHERE table_schema = DATABASE()");
	return q_int(t, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%%'"
			" ESCAPE '\\'");
}

#endif
