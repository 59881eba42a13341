/* cmocka fixture for the SQLite store tests that work through SQL on a
 * migrated (and usually seeded) database: aggregates, views and seed.
 * Built on the tstore helpers; `setup` migrates and seeds the reference
 * rows, `setup_migrated` only migrates. Helpers take printf-style SQL
 * (sqlite3_vmprintf, so %q/%Q work). Header-only, static functions; not
 * every test file uses every helper, hence the unused attributes. */
#ifndef TEST_STORE_FIXTURE_H
#define TEST_STORE_FIXTURE_H

#include "test_store_helpers.h"

typedef struct fx {
	tstore t;
	cs_store *st; /* t.st */
	sqlite3 *db;  /* t.db, for direct SQL */
} fx;

static fx *fx_open(void)
{
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	tstore_open(&f->t);
	f->st = f->t.st;
	f->db = f->t.db;
	return f;
}

/* A fresh temp database, migrated, without the seed rows. */
__attribute__((unused)) static int setup_migrated(void **state)
{
	*state = fx_open();
	return 0;
}

/* A fresh temp database, migrated and seeded (reference rows, no demo). */
__attribute__((unused)) static int setup(void **state)
{
	fx *f = fx_open();
	cs_err err = {0};
	long long n = 0;
	assert_int_equal(f->st->seed(f->st, 0, &n, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	tstore_close(&f->t);
	free(f);
	return 0;
}

__attribute__((unused)) static void exec(sqlite3 *db, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_free(sql);
}

/* Runs a one-row query; returns the statement positioned on the row. */
static sqlite3_stmt *row(sqlite3 *db, const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *st = NULL;
	va_start(ap, fmt);
	char *sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("no row: %s", sql);
	sqlite3_free(sql);
	return st;
}

/* The first column of a one-row query as an integer. */
__attribute__((unused)) static long long count(sqlite3 *db, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	sqlite3_stmt *st = row(db, "%s", sql);
	long long n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_free(sql);
	return n;
}

#endif
