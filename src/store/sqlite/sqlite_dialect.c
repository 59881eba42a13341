/* What SQLite's SQL looks like where products differ: the type of each
 * column role, the upsert and insert-or-ignore syntax, the locking BEGIN,
 * and the few functions the views and aggregates use. SQLite is the
 * reference dialect: the core's texts need no override here. */
#include "store/sqlite/sqlite_int.h"
#include "store/backends.h"

/* Times are stored as UTC ISO 8601 text (with or without milliseconds), so
 * they are compared and subtracted as julian days, never as strings. */
/* A time's zone "+HHMM" as SQLite's date functions read it ("+HH:MM"). */
#define ZONE_FIX(x)                                                                     \
	"CASE WHEN " x " GLOB '*[+-][0-9][0-9][0-9][0-9]' THEN substr(" x ", 1, length(" x \
	") - 2) || ':' || substr(" x ", -2) ELSE " x " END"

/* The date x starts with is on the calendar: SQLite's date() passes
 * "2021-02-30" through as it is, but a modifier makes it count days
 * ("2021-03-02"), so only a real date reads back the same. What the
 * writer's parser stores as NULL must be NULL here too. */
#define DAY_EXISTS "date(substr($1, 1, 10), '+0 days') = substr($1, 1, 10)"

static const cs_sql_word words[] = {
	/* db copy: AUTOINCREMENT follows explicit ids by itself */
	{"serial_restart", "SELECT 1"},
	{"ts", "julianday($1)"},
	{"now", "julianday('now')"},
	{"days_ago", "(julianday('now') - $1)"},
	/* whole days between two @ts values, through integer milliseconds:
	 * truncating the raw double would turn an exact 6 days into 5 */
	{"days_between", "(CAST(ROUND(($1 - $2) * 86400000) AS INTEGER) / 86400000)"},
	{"date", "date($1)"},
	/* the UTC month "YYYY-MM" of a stored time: its first seven characters */
	{"month", "substr($1, 1, 7)"},
	/* SQLite's lower() folds ASCII letters only (no ICU) */
	{"lower_ascii", "LOWER($1)"},
	{"max2", "MAX($1, $2)"},
	{"min2", "MIN($1, $2)"},
	/* an amount as exact integer ten-thousandths */
	{"x4", "CAST(ROUND($1 * 10000) AS INTEGER)"},
	/* a sum of @x4 values that can never fail: SQLite's SUM of integers
	 * stops with "integer overflow" past 2^63 (two amounts near the top of
	 * cs_money do it), TOTAL adds in doubles and never fails. It is exact
	 * while the running total stays under 2^53 ten-thousandths (about 900
	 * billion), where a REAL money column is exact anyway. A server
	 * dialect maps it to SUM, whose NUMERIC/DECIMAL result is exact. */
	{"sum4", "TOTAL($1)"},
	/* a member of a JSON document as its JSON text: a number exactly as
	 * written (json_extract would give a double), a string in quotes */
	{"json_member", "($1 -> $2)"},
	{"insert_ignore", "INSERT OR IGNORE"},
	{"ignore_conflicts", ""},
	{"outer_first_join", "CROSS JOIN"},
	{"temp_table", "CREATE TEMP TABLE IF NOT EXISTS"},
	{"bigint", "INTEGER"},
	{"text", "TEXT"},
	/* what @ts() gives, and a stored time, as temp table column types */
	{"ts_type", "REAL"},
	{"time_type", "TEXT"},
	{"returning_id", ""},
	{"lock_row", ""}, /* BEGIN IMMEDIATE already holds the write lock */
	{"key_only_table", " WITHOUT ROWID"},
	{"drop_index", "DROP INDEX IF EXISTS $1"},
	/* a field of a JSON document (sql_backfill.c): its text, its JSON
	 * type, itself as JSON; then the column value of each type, from the
	 * three, as the writer's converters (sql_row.c) make it, NULL where
	 * they store NULL. json_extract gives true as 1: the type tells. */
	{"jv", "json_extract($1, '$.\"' || $2 || '\"')"},
	{"jt", "json_type($1, '$.\"' || $2 || '\"')"},
	{"jx", "($1 -> ('$.\"' || $2 || '\"'))"},
	{"j_text", "CASE $2 WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE $1 END"},
	{"j_int", "CASE WHEN $2 = 'integer' THEN $1 WHEN $2 = 'text' AND length($1) BETWEEN 1 AND 18"
		  " AND ltrim($1, '-') <> '' AND substr($1, 1 + ($1 GLOB '-*')) NOT GLOB '*[^0-9]*'"
		  " THEN CAST($1 AS INTEGER) END"},
	{"j_bool", "CASE WHEN $2 = 'true' THEN 1 WHEN $2 = 'false' THEN 0 WHEN $2 IN ('integer',"
		   " 'real') AND $1 IN (0, 1) THEN CAST($1 AS INTEGER) WHEN $2 = 'text' THEN CASE"
		   " lower($1) WHEN 'true' THEN 1 WHEN '1' THEN 1 WHEN 't' THEN 1 WHEN 'false' THEN 0"
		   " WHEN '0' THEN 0 WHEN 'f' THEN 0 END END"},
	/* the writer keeps four places (util/money.h) */
	{"j_money", "CASE WHEN $2 IN ('integer', 'real') THEN ROUND($1, 4) WHEN $2 = 'text' AND"
		    " trim($1) GLOB '*[0-9]*' AND trim($1) NOT GLOB '*[^0-9.+-]*' THEN"
		    " ROUND(CAST(trim($1) AS REAL), 4) END"},
	/* the stored form: UTC, milliseconds when the API sent a fraction, a
	 * date alone as the date */
	{"j_time", "CASE WHEN $2 = 'text' AND " DAY_EXISTS " THEN CASE WHEN length($1) = 10 THEN"
		   " date($1) ELSE strftime(CASE WHEN instr($1, '.') THEN '%Y-%m-%dT%H:%M:%fZ' ELSE"
		   " '%Y-%m-%dT%H:%M:%SZ' END, " ZONE_FIX("$1") ") END END"},
	{"j_date", "CASE WHEN $2 = 'text' AND " DAY_EXISTS " THEN date(" ZONE_FIX("$1") ") END"},
	{"j_json", "CASE WHEN $2 = 'null' THEN NULL ELSE $3 END"},
	{NULL, NULL},
};

const cs_sql_dialect cs_sqlite_dialect = {
	.name = "sqlite",
	.type =
		{
			[CS_ROLE_ID] = "INTEGER",  [CS_ROLE_SERIAL] = "INTEGER",
			[CS_ROLE_INT] = "INTEGER", [CS_ROLE_BOOL] = "INTEGER",
			/* REAL holding the double of the exact value; exactness comes
			 * from summing in util/money.h units (@x4) */
			[CS_ROLE_MONEY] = "REAL",  [CS_ROLE_REAL] = "REAL",
			[CS_ROLE_TIME] = "TEXT",   [CS_ROLE_DATE] = "TEXT",
			[CS_ROLE_KEY] = "TEXT",    [CS_ROLE_TEXT] = "TEXT",
			[CS_ROLE_JSON] = "TEXT",
		},
	.serial_pk = "INTEGER PRIMARY KEY AUTOINCREMENT",
	/* IMMEDIATE takes the write lock now, so a conflict shows up before any
	 * work is done rather than at COMMIT */
	.begin_write = "BEGIN IMMEDIATE",
	.begin_read = "BEGIN",
	.table_suffix = "",
	.partial_indexes = 1,
	.batch_rows = 1,
	.insert_ignore = "INSERT OR IGNORE",
	.ignore_suffix = "",
	.conflict = " ON CONFLICT (%s) DO UPDATE SET ",
	.excluded = "excluded.\"%s\"",
	.words = words,
	.overrides = NULL,
	/* a CAST declares nothing in a view (3.40): a typed first arm does */
	.view_cast = 0,
};

const struct cs_sql_dialect *cs_sqlite_dialect_get(void)
{
	return &cs_sqlite_dialect;
}
