/* Helpers for the SQLite store unit tests: a store on a fresh temp-file
 * database, upserts from JSON text, and one-value queries. Header-only
 * (static functions) so each test executable stays a single .c file; the
 * ones a file may not call are marked unused (see test_store_fixture.h). */
#ifndef TEST_STORE_HELPERS_H
#define TEST_STORE_HELPERS_H

#include "store/sqlite/sqlite.h"
#include "store/sql/schema.h"

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
	sqlite3 *db; /* its SQLite handle, for direct SQL */
} tstore;

static void tstore_open_only(tstore *t)
{
	cs_config cfg;
	cs_err err = {0};
	memset(&cfg, 0, sizeof(cfg));
	snprintf(t->dir, sizeof(t->dir), "/tmp/cs-store-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/t.db", t->dir);
	cfg.db_type = CS_DB_SQLITE;
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", t->path);
	int rc = cs_store_open(&cfg, &t->st, &err);
	if (rc)
		fail_msg("open: %s", err.msg);
	t->db = cs_sqlite_handle(t->st);
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

static long long q_int(tstore *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), unused));
static long long q_int(tstore *t, const char *fmt, ...)
{
	char sql[512];
	sqlite3_stmt *st = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(t->db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(t->db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Text of the first column of the first row, "(null)" for NULL, "(none)"
 * without a row. Static buffer: copy before the next call. */
static const char *q_text(tstore *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), unused));
static const char *q_text(tstore *t, const char *fmt, ...)
{
	static char out[4096];
	char sql[512];
	sqlite3_stmt *st = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(t->db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(t->db));
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		snprintf(out, sizeof(out), "(none)");
	else if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		snprintf(out, sizeof(out), "(null)");
	else
		snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

#endif
