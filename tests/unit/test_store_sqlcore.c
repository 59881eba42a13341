/* The SQL core's text generation: dialect words, upserts and DDL, against
 * the SQLite dialect and a made-up dialect that differs in every place a
 * real product can, so a backend that only supplies a dialect gets the
 * right statements. */
#include "store/sql/schema.h"
#include "store/sql/sqlstore.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

extern const cs_sql_dialect cs_sqlite_dialect;

static const cs_sql_word other_words[] = {
	{"max2", "GREATEST($1, $2)"},
	{"x4", "CAST(ROUND($1 * 10000) AS SIGNED)"},
	{"now", "UTC_TIMESTAMP(3)"},
	{"key_only_table", ""},
	{"drop_index", "DROP INDEX $1 ON $2"},
	{NULL, NULL},
};

static const cs_sql_dialect other = {
	.name = "other",
	.type = {[CS_ROLE_ID] = "BIGINT", [CS_ROLE_INT] = "BIGINT", [CS_ROLE_KEY] = "VARCHAR(191)",
		 [CS_ROLE_TEXT] = "LONGTEXT", [CS_ROLE_TIME] = "DATETIME(3)"},
	.serial_pk = "BIGINT AUTO_INCREMENT PRIMARY KEY",
	.table_suffix = " DEFAULT CHARSET=utf8mb4",
	.partial_indexes = 0,
	.insert_ignore = "INSERT IGNORE",
	.ignore_suffix = "",
	.conflict = " ON DUPLICATE KEY UPDATE ",
	.excluded = "VALUES(\"%s\")",
	.words = other_words,
};

static char *expand(const cs_sql_dialect *d, const char *sql, int *rc)
{
	static char out[1024];
	cs_buf b = CS_BUF_INIT;
	cs_err err = {0};
	*rc = cs_sql_expand(d, sql, &b, &err);
	snprintf(out, sizeof(out), "%s", *rc ? err.msg : cs_buf_str(&b));
	cs_buf_release(&b);
	return out;
}

static void test_words(void **state)
{
	(void)state;
	int rc;
	assert_string_equal(expand(&other, "SELECT @max2(a, @x4(b)) FROM t", &rc),
			    "SELECT GREATEST(a, CAST(ROUND(b * 10000) AS SIGNED)) FROM t");
	assert_int_equal(rc, 0);
	/* arguments with commas inside parentheses and quotes stay whole */
	assert_string_equal(expand(&other, "@max2(COALESCE(x, 0), 'a,b')", &rc),
			    "GREATEST(COALESCE(x, 0), 'a,b')");
	/* a word without arguments, and an @ inside a quoted value is text */
	assert_string_equal(expand(&other, "SELECT @now, 'me@example.org', \"a@b\"", &rc),
			    "SELECT UTC_TIMESTAMP(3), 'me@example.org', \"a@b\"");
	assert_string_equal(expand(&cs_sqlite_dialect, "@x4(t.amount)", &rc),
			    "CAST(ROUND(t.amount * 10000) AS INTEGER)");
	/* no word: copied as is */
	assert_string_equal(expand(&other, "SELECT 1", &rc), "SELECT 1");
}

static void test_word_errors(void **state)
{
	(void)state;
	int rc;
	assert_non_null(strstr(expand(&other, "SELECT @nosuch(1)", &rc), "unknown SQL word"));
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(expand(&other, "SELECT @max2(1, 2", &rc), "malformed"));
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(expand(&other, "SELECT @max2(1)", &rc), "argument 2"));
	assert_int_not_equal(rc, 0);
}

static const char *upsert(const cs_sql_dialect *d, const cs_sql_upsert *u)
{
	static char out[1024];
	cs_buf b = CS_BUF_INIT;
	assert_int_equal(cs_sql_upsert_text(d, u, &b), 0);
	snprintf(out, sizeof(out), "%s", cs_buf_str(&b));
	cs_buf_release(&b);
	return out;
}

static void test_upserts(void **state)
{
	(void)state;
	static const char *const cols[] = {"id", "name", "secret", "created_at"};
	cs_sql_upsert u = {"orgs", cols, 4, 1, 0, "secret", "created_at", 0, NULL, NULL};
	assert_string_equal(upsert(&cs_sqlite_dialect, &u),
			    "INSERT INTO \"orgs\" (\"id\", \"name\", \"secret\", \"created_at\") "
			    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (\"id\") DO UPDATE SET \"name\" = "
			    "excluded.\"name\", \"secret\" = COALESCE(excluded.\"secret\", "
			    "\"orgs\".\"secret\")");
	assert_string_equal(upsert(&other, &u),
			    "INSERT INTO \"orgs\" (\"id\", \"name\", \"secret\", \"created_at\") "
			    "VALUES (?1, ?2, ?3, ?4) ON DUPLICATE KEY UPDATE \"name\" = "
			    "VALUES(\"name\"), \"secret\" = COALESCE(VALUES(\"secret\"), "
			    "\"orgs\".\"secret\")");
	cs_sql_upsert ign = {"orgs", cols, 2, 1, 1, NULL, NULL, 0, NULL, NULL};
	assert_string_equal(upsert(&cs_sqlite_dialect, &ign),
			    "INSERT OR IGNORE INTO \"orgs\" (\"id\", \"name\") VALUES (?1, ?2)");
	assert_string_equal(upsert(&other, &ign),
			    "INSERT IGNORE INTO \"orgs\" (\"id\", \"name\") VALUES (?1, ?2)");
}

static const char *ddl(const cs_sql_dialect *d, const cs_sql_obj *o, int create)
{
	static char out[2048];
	cs_buf b = CS_BUF_INIT;
	assert_int_equal(create ? cs_sql_ddl_create(d, o, &b) : cs_sql_ddl_drop(d, o, &b), 0);
	cs_err err = {0};
	cs_buf e = CS_BUF_INIT;
	assert_int_equal(cs_sql_expand(d, cs_buf_str(&b), &e, &err), 0);
	snprintf(out, sizeof(out), "%s", cs_buf_str(&e));
	cs_buf_release(&b);
	cs_buf_release(&e);
	return out;
}

static void test_ddl(void **state)
{
	(void)state;
	static const cs_sql_col cols[] = {
		{"id", CS_ROLE_SERIAL, 0, NULL, NULL},
		{"job", CS_ROLE_KEY, CS_SQLCOL_NOT_NULL, NULL, "job <> ''"},
		{"n", CS_ROLE_INT, CS_SQLCOL_NOT_NULL, "0", NULL},
	};
	static const cs_sql_table t = {"jobs", cols, 3, NULL, 0};
	static const cs_sql_index x = {"jobs_live", "jobs", "job", "n > 0", "job, n", 0};
	const cs_sql_obj ot = {CS_OBJ_TABLE, &t}, ox = {CS_OBJ_INDEX, &x};
	assert_string_equal(ddl(&cs_sqlite_dialect, &ot, 1),
			    "CREATE TABLE \"jobs\" (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT, "
			    "\"job\" TEXT NOT NULL CHECK (job <> ''), \"n\" INTEGER NOT NULL "
			    "DEFAULT 0);");
	assert_string_equal(ddl(&other, &ot, 1),
			    "CREATE TABLE \"jobs\" (\"id\" BIGINT AUTO_INCREMENT PRIMARY KEY, "
			    "\"job\" VARCHAR(191) NOT NULL CHECK (job <> ''), \"n\" BIGINT NOT NULL "
			    "DEFAULT 0) DEFAULT CHARSET=utf8mb4;");
	/* a partial index where it exists, the full columns where it does not */
	assert_string_equal(ddl(&cs_sqlite_dialect, &ox, 1),
			    "CREATE INDEX \"jobs_live\" ON \"jobs\" (job) WHERE n > 0;");
	assert_string_equal(ddl(&other, &ox, 1), "CREATE INDEX \"jobs_live\" ON \"jobs\" (job, n);");
	assert_string_equal(ddl(&other, &ox, 0), "DROP INDEX \"jobs_live\" ON \"jobs\";");
	/* a column a later migration adds, and its rollback */
	static const cs_sql_added_col ac = {"jobs", {"host", CS_ROLE_KEY, 0, NULL, NULL}};
	const cs_sql_obj oc = {CS_OBJ_COLUMN, &ac};
	assert_string_equal(ddl(&cs_sqlite_dialect, &oc, 1),
			    "ALTER TABLE \"jobs\" ADD COLUMN \"host\" TEXT;");
	assert_string_equal(ddl(&other, &oc, 1),
			    "ALTER TABLE \"jobs\" ADD COLUMN \"host\" VARCHAR(191);");
	assert_string_equal(ddl(&cs_sqlite_dialect, &oc, 0),
			    "ALTER TABLE \"jobs\" DROP COLUMN \"host\";");
}

/* Every migration's objects generate in both dialects, and every view
 * expands with the SQLite words (a typo in a view's word fails here). */
static void test_every_migration_generates(void **state)
{
	(void)state;
	for (unsigned i = 0; i < cs_sql_nmigrations; i++) {
		const cs_sql_migration *m = &cs_sql_migrations[i];
		/* numbered in order */
		assert_true(i == 0 ? m->version == 1 : m->version > cs_sql_migrations[i - 1].version);
		for (size_t k = 0; k < m->nobjs; k++) {
			size_t n = 0;
			const cs_sql_obj *x = cs_sql_obj_expand(&m->objs[k], &n);
			assert_true(n > 0);
			for (size_t j = 0; j < n; j++) {
				if (x[j].kind == CS_OBJ_BACKFILL) /* code, not DDL */
					continue;
				assert_true(strlen(ddl(&cs_sqlite_dialect, &x[j], 1)) > 10);
				assert_true(strlen(ddl(&cs_sqlite_dialect, &x[j], 0)) > 10);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_word_errors),
		cmocka_unit_test(test_upserts),
		cmocka_unit_test(test_ddl),
		cmocka_unit_test(test_every_migration_generates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
