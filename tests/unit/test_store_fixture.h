/* cmocka fixture for the store tests that work through SQL on a migrated
 * (and usually seeded) database: aggregates, views, seed and plugins, on
 * whichever backend the run is for (test_store_helpers.h). `setup` migrates
 * and seeds the reference rows, `setup_migrated` only migrates. Helpers take
 * printf-style SQL (sqlite3_vmprintf: only string formatting, so %q/%Q work
 * on every backend) and run it through the SQL core, dialect words
 * included; rows are read with the core's readers (cs_sql_col_*).
 * Header-only, static functions; not every test file uses every helper,
 * hence the unused attributes. */
#ifndef TEST_STORE_FIXTURE_H
#define TEST_STORE_FIXTURE_H

#include "test_store_helpers.h"

typedef struct fx {
	tstore t;
	cs_store *st; /* t.st */
	cs_sql *db;   /* t.sql, for direct SQL */
} fx;

/* A time to fill a NOT NULL time column nobody compares (synced_at,
 * aggregates_at) or to mark a row deleted: a fixed ISO literal, since 'now'
 * is not a time on every product. */
#define T_FILL "'2025-01-01T00:00:00Z'"

/* The numbers 0 .. 9999 as a column `i` of a derived table, portable where
 * WITH RECURSIVE before INSERT is not. */
#define DIGIT(x) "(SELECT 0 AS " x " UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3" \
		 " UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7"  \
		 " UNION ALL SELECT 8 UNION ALL SELECT 9)"
#define N10000 "(SELECT a.a + 10 * b.b + 100 * c.c + 1000 * d.d AS i FROM " DIGIT("a") " a, " \
	       DIGIT("b") " b, " DIGIT("c") " c, " DIGIT("d") " d)"

static fx *fx_open(void)
{
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	tstore_open(&f->t);
	f->st = f->t.st;
	f->db = f->t.sql;
	return f;
}

/* A fresh database, migrated, without the seed rows. */
__attribute__((unused)) static int setup_migrated(void **state)
{
	*state = fx_open();
	return 0;
}

/* A fresh database, migrated and seeded (reference rows, no demo). */
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

/* ;-separated statements without results. */
__attribute__((unused)) static void exec(cs_sql *db, const char *fmt, ...)
{
	va_list ap;
	cs_err err = {0};
	va_start(ap, fmt);
	char *fmt_sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	char *sql = tstore_sql(db, fmt_sql);
	sqlite3_free(fmt_sql);
	if (cs_sql_script(db, sql, "run a test statement", &err))
		fail_msg("%s: %s", sql, err.msg);
	free(sql);
}

/* Runs a one-row query; returns the statement positioned on the row
 * (cs_sql_col_* read it; cs_sql_finalize ends it). */
static cs_sql_stmt *row(cs_sql *db, const char *fmt, ...)
{
	va_list ap;
	cs_err err = {0};
	cs_sql_stmt *st = NULL;
	va_start(ap, fmt);
	char *fmt_sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	char *sql = tstore_sql(db, fmt_sql);
	sqlite3_free(fmt_sql);
	if (cs_sql_prepare(db, sql, "run a test query", &st, &err))
		fail_msg("%s: %s", sql, err.msg);
	int rc = cs_sql_step(st, &err);
	if (rc < 0)
		fail_msg("%s: %s", sql, err.msg);
	if (rc != CS_SQL_ROW)
		fail_msg("no row: %s", sql);
	free(sql);
	return st;
}

/* The first column of a one-row query as an integer. */
__attribute__((unused)) static long long count(cs_sql *db, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *sql = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	cs_sql_stmt *st = row(db, "%s", sql);
	long long n = cs_sql_col_int(st, 0);
	cs_sql_finalize(st);
	sqlite3_free(sql);
	return n;
}

/* Column i is SQL NULL. */
__attribute__((unused)) static int col_null(cs_sql_stmt *st, int i)
{
	return cs_sql_col_kind(st, i) == CS_SQL_NULL;
}

/* A time `days` days and `hours` hours before now (after, when negative),
 * as a quoted ISO literal in whole seconds. Eight rotating buffers, so a
 * call can hold several. */
__attribute__((unused)) static const char *ago(int days, int hours)
{
	static char buf[8][CS_TIME_BUFSZ + 2];
	static int next;
	char iso[CS_TIME_BUFSZ];
	char *out = buf[next++ % 8];
	cs_time_format(cs_time_now_ms() - ((int64_t)days * 24 + hours) * 3600000, 0, iso);
	snprintf(out, sizeof(buf[0]), "'%s'", iso);
	return out;
}

#endif
