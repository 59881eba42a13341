/* The MySQL/MariaDB driver against a real server: numbered parameters that
 * repeat or are skipped, times, money and booleans in the stored forms,
 * long and non-ASCII text, columns known before the first row, the matched
 * row count, error messages and a connection name without the password.
 * Needs CS_TEST_MYSQL_URL (scripts/test-servers start DIR prints it);
 * skipped without it. Works in TEMPORARY tables only, so a mirror in the
 * same database is never touched. */
#include "store/sql/sqlstore.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static cs_store *st;
static cs_sql *c;

/* CS_TEST_MYSQL_URL, or the server tests/with-backend.sh names for the
 * mysql variant of this test. */
static const char *mysql_url(void)
{
	const char *url = getenv("CS_TEST_MYSQL_URL"), *b = getenv("CS_TEST_BACKEND");
	if ((!url || !*url) && b && !strcmp(b, "mysql"))
		url = getenv("CS_TEST_DB_URL");
	return url;
}

static int setup(void **state)
{
	(void)state;
	const char *url = mysql_url();
	if (!url || !*url) {
		fprintf(stderr, "CS_TEST_MYSQL_URL is not set (scripts/test-servers start DIR): "
				"the MySQL driver tests are skipped\n");
		return 0;
	}
	cs_config cfg;
	cs_err err = {0};
	memset(&cfg, 0, sizeof(cfg));
	cfg.db_type = CS_DB_MYSQL;
	snprintf(cfg.database_url, sizeof(cfg.database_url), "%s", url);
	if (cs_store_open(&cfg, &st, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	c = cs_sql_store_conn(st);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cs_store_close(st);
	return 0;
}

#define NEED_SERVER() \
	do { \
		if (!c) \
			skip(); \
	} while (0)

static void script(const char *sql)
{
	cs_err err = {0};
	int rc = cs_sql_script(c, sql, "set up", &err);
	if (rc)
		fail_msg("%s", err.msg);
}

/* The text of column col of the only row of sql with v bound. */
static char *one(const char *sql, const cs_sql_val *v, int n, int col)
{
	static char out[256];
	cs_sql_stmt *q = NULL;
	cs_err err = {0};
	if (cs_sql_prepare(c, sql, "test", &q, &err))
		fail_msg("%s", err.msg);
	cs_sql_bind_all(q, v, n);
	assert_int_equal(cs_sql_step(q, &err), CS_SQL_ROW);
	cs_sql_col_copy(q, col, out, sizeof(out));
	assert_int_equal(cs_sql_step(q, &err), CS_SQL_DONE);
	cs_sql_finalize(q);
	return out;
}

static void test_params_repeat_and_skip(void **state)
{
	(void)state;
	NEED_SERVER();
	/* ?2 twice, ?1 skipped: each position binds its number's value */
	assert_string_equal(one("SELECT CONCAT(?2, '-', ?3, '-', ?2)",
				CS_SQL_ARGS(CS_V_INT(1), CS_V_TEXT("b"), CS_V_INT(7)), 0),
			    "b-7-b");
	/* a ? in quotes is text, not a parameter */
	assert_string_equal(one("SELECT '?1', \"a?\" FROM (SELECT 1 AS \"a?\") x WHERE ?1 = 5",
				CS_SQL_ARGS(CS_V_INT(5)), 0),
			    "?1");
	/* a number bound but not in the text is ignored */
	assert_string_equal(one("SELECT ?1 + 1", CS_SQL_ARGS(CS_V_INT(41), CS_V_INT(9)), 0), "42");
}

static void test_stored_forms(void **state)
{
	(void)state;
	NEED_SERVER();
	cs_err err = {0};
	script("CREATE TEMPORARY TABLE t_forms (id BIGINT PRIMARY KEY, at DATETIME(3), d DATE,"
	       " m DECIMAL(19,4), b TINYINT(1), r DOUBLE)");
	cs_sql_stmt *q = NULL;
	assert_int_equal(cs_sql_prepare(c, "INSERT INTO t_forms VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
					"test", &q, &err),
			 0);
	const struct {
		const char *at, *d;
		long long units;
	} rows[] = {
		{"2024-01-02T03:04:05.123Z", "2024-02-29", 123456789},
		{"2024-01-02T03:04:05Z", "1999-12-31", -5},
		{"2024-01-02T03:04:05.000Z", "2024-01-01", 0},
	};
	for (int i = 0; i < 3; i++) {
		cs_sql_reset(q);
		cs_sql_bind_int(q, 1, i);
		cs_sql_bind_time(q, 2, rows[i].at);
		cs_sql_bind_time(q, 3, rows[i].d);
		cs_sql_bind_money(q, 4, rows[i].units);
		cs_sql_bind_int(q, 5, i == 0);
		cs_sql_bind_real(q, 6, 0.1 * i);
		assert_int_equal(cs_sql_step(q, &err), CS_SQL_DONE);
	}
	cs_sql_finalize(q);
	const char *sel = "SELECT at, d, m, b, r FROM t_forms WHERE id = ?1";
	assert_string_equal(one(sel, CS_SQL_ARGS(CS_V_INT(0)), 0), "2024-01-02T03:04:05.123Z");
	/* always with milliseconds, whether the bound form had them or not */
	assert_string_equal(one(sel, CS_SQL_ARGS(CS_V_INT(1)), 0), "2024-01-02T03:04:05.000Z");
	assert_string_equal(one(sel, CS_SQL_ARGS(CS_V_INT(2)), 0), "2024-01-02T03:04:05.000Z");
	assert_string_equal(one(sel, CS_SQL_ARGS(CS_V_INT(0)), 1), "2024-02-29");
	assert_string_equal(one(sel, CS_SQL_ARGS(CS_V_INT(0)), 2), "12345.6789");
	assert_string_equal(one(sel, CS_SQL_ARGS(CS_V_INT(1)), 2), "-0.0005");
	/* numbers in the text SQLite shows: no trailing zeros, ".0" when whole */
	assert_string_equal(one(sel, CS_SQL_ARGS(CS_V_INT(2)), 2), "0.0");
	assert_string_equal(one(sel, CS_SQL_ARGS(CS_V_INT(0)), 4), "0.0");
	assert_string_equal(one(sel, CS_SQL_ARGS(CS_V_INT(0)), 3), "1");
	assert_string_equal(one(sel, CS_SQL_ARGS(CS_V_INT(1)), 3), "0");
	assert_string_equal(one(sel, CS_SQL_ARGS(CS_V_INT(1)), 4), "0.1");
	/* a stored time compares as a time, whichever form it came in */
	assert_string_equal(one("SELECT COUNT(*) FROM t_forms WHERE at = ?1",
				CS_SQL_ARGS(CS_V_TIME("2024-01-02T03:04:05Z")), 0),
			    "2");
	script("DROP TEMPORARY TABLE t_forms");
}

static void test_text_any_length(void **state)
{
	(void)state;
	NEED_SERVER();
	cs_err err = {0};
	script("CREATE TEMPORARY TABLE t_text (id BIGINT PRIMARY KEY, k VARCHAR(255), v LONGTEXT)"
	       " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
	/* 200 KB of emoji and CJK: past every buffer the driver starts with */
	static const char unit[] = "Maya \xF0\x9F\x8C\xBB \xE4\xBC\x9F|";
	size_t n = 200000 / (sizeof(unit) - 1) * (sizeof(unit) - 1);
	char *big = malloc(n + 1);
	assert_non_null(big);
	for (size_t i = 0; i < n; i += sizeof(unit) - 1)
		memcpy(big + i, unit, sizeof(unit) - 1);
	big[n] = '\0';
	const char *names[] = {"Zoë", "美咲 田中", "Maya \xF0\x9F\x8C\xBB", "maya \xF0\x9F\x8C\xBB"};
	cs_sql_stmt *q = NULL;
	assert_int_equal(cs_sql_prepare(c, "INSERT INTO t_text VALUES (?1, ?2, ?3)", "test", &q, &err),
			 0);
	for (int i = 0; i < 4; i++) {
		cs_sql_reset(q);
		cs_sql_bind_all(q, CS_SQL_ARGS(CS_V_INT(i), CS_V_TEXT(names[i]),
					       CS_V_TEXT(i == 2 ? big : names[i])));
		assert_int_equal(cs_sql_step(q, &err), CS_SQL_DONE);
	}
	cs_sql_finalize(q);
	/* the long value comes back whole, and the rows after it too */
	assert_int_equal(cs_sql_prepare(c, "SELECT k, v FROM t_text ORDER BY id", "test", &q, &err), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(cs_sql_step(q, &err), CS_SQL_ROW);
		assert_string_equal(cs_sql_col_text(q, 0), names[i]);
		assert_string_equal(cs_sql_col_text(q, 1), i == 2 ? big : names[i]);
	}
	assert_int_equal(cs_sql_step(q, &err), CS_SQL_DONE);
	cs_sql_finalize(q);
	/* byte-exact keys: case differs, so two rows */
	assert_string_equal(one("SELECT COUNT(*) FROM t_text WHERE k = ?1",
				CS_SQL_ARGS(CS_V_TEXT("Maya \xF0\x9F\x8C\xBB")), 0),
			    "1");
	free(big);
	script("DROP TEMPORARY TABLE t_text");
}

static void test_columns_before_step(void **state)
{
	(void)state;
	NEED_SERVER();
	cs_sql_stmt *q = NULL;
	cs_err err = {0};
	assert_int_equal(cs_sql_prepare(c, "SELECT 1 AS one, 'x' AS two, NULL AS three", "test", &q,
					&err),
			 0);
	assert_int_equal(cs_sql_ncols(q), 3);
	assert_string_equal(cs_sql_col_name(q, 0), "one");
	assert_string_equal(cs_sql_col_name(q, 2), "three");
	assert_int_equal(cs_sql_step(q, &err), CS_SQL_ROW);
	assert_int_equal(cs_sql_col_kind(q, 0), CS_SQL_INT);
	assert_int_equal(cs_sql_col_kind(q, 2), CS_SQL_NULL);
	assert_null(cs_sql_col_text(q, 2));
	assert_string_equal(cs_sql_col_name(q, 1), "two");
	cs_sql_finalize(q);
}

static void test_rows_read_one_query_at_a_time(void **state)
{
	(void)state;
	NEED_SERVER();
	cs_sql_stmt *q = NULL;
	cs_err err = {0};
	assert_int_equal(cs_sql_prepare(c, "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3", "list",
					&q, &err),
			 0);
	assert_int_equal(cs_sql_step(q, &err), CS_SQL_ROW);
	/* another statement while rows are pending is refused, not garbled */
	assert_int_equal(cs_sql_exec(c, "SELECT 1", "other", CS_SQL_NOARGS, NULL, &err), CS_ERR);
	assert_non_null(strstr(err.msg, "still being read"));
	/* a reset drops the rest; the connection is usable again */
	cs_sql_reset(q);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cs_sql_exec(c, "SELECT 1", "other", CS_SQL_NOARGS, NULL, &err), 0);
	assert_int_equal(cs_sql_step(q, &err), CS_SQL_ROW);
	assert_int_equal(cs_sql_col_int(q, 0), 1);
	cs_sql_finalize(q);
}

static void test_changes_are_matched_rows(void **state)
{
	(void)state;
	NEED_SERVER();
	cs_err err = {0};
	long long n = -1;
	script("CREATE TEMPORARY TABLE t_ch (id BIGINT PRIMARY KEY AUTO_INCREMENT, v BIGINT)");
	cs_sql_stmt *q = NULL;
	assert_int_equal(cs_sql_prepare(c, "INSERT INTO t_ch (v) VALUES (?1)@returning_id", "test",
					&q, &err),
			 0);
	cs_sql_bind_int(q, 1, 5);
	assert_int_equal(cs_sql_step(q, &err), CS_SQL_DONE);
	long long id = cs_sql_last_id(c, q);
	assert_true(id > 0);
	cs_sql_finalize(q);
	/* setting the value it already has still counts the row */
	assert_int_equal(cs_sql_exec(c, "UPDATE t_ch SET v = 5 WHERE id = ?1", "test",
				     CS_SQL_ARGS(CS_V_INT(id)), &n, &err),
			 0);
	assert_int_equal(n, 1);
	script("DROP TEMPORARY TABLE t_ch");
}

static void test_errors_say_what_to_do(void **state)
{
	(void)state;
	NEED_SERVER();
	cs_err err = {0};
	assert_int_equal(cs_sql_exec(c, "SELECT * FROM cs_no_such_table", "read a table",
				     CS_SQL_NOARGS, NULL, &err),
			 CS_EUSAGE);
	assert_non_null(strstr(err.msg, "cannot read a table in database 'mysql://"));
	assert_non_null(strstr(err.msg, "run 'classy-sync db migrate'"));
	/* the name never carries the password */
	const char *url = mysql_url();
	const char *at = strchr(url + 8, '@'), *colon = strchr(url + 8, ':');
	assert_true(at && colon && colon < at);
	char pw[128];
	snprintf(pw, sizeof(pw), "%.*s", (int)(at - colon - 1), colon + 1);
	assert_null(strstr(c->name, pw));
	assert_null(strstr(err.msg, pw));
}

static void test_bad_settings(void **state)
{
	(void)state;
	NEED_SERVER();
	cs_config cfg;
	cs_err err = {0};
	cs_store *bad = NULL;
	memset(&cfg, 0, sizeof(cfg));
	cfg.db_type = CS_DB_MYSQL;
	snprintf(cfg.database_url, sizeof(cfg.database_url), "%s?sslmode=off",
		 mysql_url());
	assert_int_equal(cs_store_open(&cfg, &bad, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "unknown parameter 'sslmode'"));
	assert_non_null(strstr(err.msg, ":***@"));
	/* a wrong password names the settings to check, not the password */
	char url[1024];
	snprintf(url, sizeof(url), "%s", mysql_url());
	char *at = strchr(url + 8, '@'), *colon = strchr(url + 8, ':');
	snprintf(cfg.database_url, sizeof(cfg.database_url), "%.*s:n%%40pe%s",
		 (int)(colon - url), url, at);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cs_store_open(&cfg, &bad, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "check DB_USER and DB_PASSWORD"));
	assert_null(strstr(err.msg, "n@pe"));
	assert_null(strstr(err.msg, "n%40pe"));
	assert_null(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_repeat_and_skip),
		cmocka_unit_test(test_stored_forms),
		cmocka_unit_test(test_text_any_length),
		cmocka_unit_test(test_columns_before_step),
		cmocka_unit_test(test_rows_read_one_query_at_a_time),
		cmocka_unit_test(test_changes_are_matched_rows),
		cmocka_unit_test(test_errors_say_what_to_do),
		cmocka_unit_test(test_bad_settings),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
