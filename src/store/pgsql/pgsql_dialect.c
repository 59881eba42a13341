/* What PostgreSQL's SQL looks like where products differ: native types for
 * every column role (timestamptz, numeric money, jsonb, boolean), ON
 * CONFLICT upserts, row locks, and the functions the views use. Statement
 * texts that PostgreSQL cannot take as written for SQLite are overridden by
 * key here; everything else is the core's text. */
#include "store/pgsql/pgsql_int.h"
#include "store/backends.h"
#include "store/sql/aggregates.h"

/* The times the API sends (NOTES.md: Z, +0000, .000Z; a date alone), year 1
 * on: what the cast below reads without failing. */
#define TIME_RX                                                                         \
	"^([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-" \
	"(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]+){0,1}"   \
	"([Zz]|[+-][0-9]{2}(:{0,1}[0-9]{2}){0,1}){0,1}){0,1}$"

/* x, when it is a time on the calendar (else NULL) */
#define IF_TIME(x)                                                                           \
	"CASE WHEN $2 = 'string' AND $1 ~ '" TIME_RX "' THEN CASE WHEN "                      \
	CS_SQL_DAY_EXISTS("$1", "INTEGER") " THEN " x " END END"

static const cs_sql_word words[] = {
	/* an exact sum of @x4 values: NUMERIC/DECIMAL never overflows here */
	{"sum4", "SUM($1)"},
	/* db copy: an identity column's next value after explicit ids */
	{"serial_restart", "SELECT setval(pg_get_serial_sequence('\"$1\"', '$2'), "
			   "(SELECT COALESCE(MAX(\"$2\"), 0) + 1 FROM \"$1\"), false)"},
	{"ts", "$1"},
	{"now", "now()"},
	{"days_ago", "(now() - make_interval(days => $1))"},
	/* whole days between two times, truncated like the other dialects */
	{"days_between", "TRUNC(EXTRACT(EPOCH FROM ($1 - $2)) / 86400)::bigint"},
	{"date", "($1 AT TIME ZONE 'UTC')::date"},
	{"month", "to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM')"},
	/* lower() folds every letter the database's locale knows (É -> é),
	 * which would merge contacts that SQLite and the destinations' ASCII
	 * hashes keep apart */
	{"lower_ascii", "TRANSLATE($1, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"},
	{"max2", "GREATEST($1, $2)"},
	{"min2", "LEAST($1, $2)"},
	{"x4", "ROUND($1 * 10000)::bigint"},
	/* a member as JSON text: jsonb keeps a number's digits (numeric) */
	{"json_member", "($1 -> CAST($2 AS TEXT))::text"},
	{"insert_ignore", "INSERT"},
	{"ignore_conflicts", " ON CONFLICT DO NOTHING"},
	{"outer_first_join", "JOIN"},
	{"temp_table", "CREATE TEMP TABLE IF NOT EXISTS"},
	{"bigint", "BIGINT"},
	{"text", "TEXT"},
	{"ts_type", "TIMESTAMPTZ"},
	{"time_type", "TIMESTAMPTZ"},
	{"returning_id", " RETURNING id"},
	{"lock_row", " FOR UPDATE"},
	{"key_only_table", ""},
	{"drop_index", "DROP INDEX IF EXISTS $1"},
	/* a field of a JSON document (sql_backfill.c): its text, its JSON
	 * type, itself as jsonb; then the column value of each type, from the
	 * three, as the writer stores it, NULL where the writer stores NULL.
	 * A cast that could fail is guarded by a pattern first: one odd value
	 * must not fail the migration. */
	{"jv", "($1 ->> CAST($2 AS TEXT))"},
	{"jt", "jsonb_typeof($1 -> CAST($2 AS TEXT))"},
	{"jx", "($1 -> CAST($2 AS TEXT))"},
	{"j_text", "$1"},
	{"j_int", "CASE WHEN $2 IN ('number', 'string') AND $1 ~ '^-{0,1}[0-9]{1,18}$' THEN"
		  " CAST($1 AS BIGINT) END"},
	{"j_bool", "CASE WHEN $2 = 'boolean' THEN CAST($1 AS BOOLEAN) WHEN $2 = 'number' AND $1 IN"
		   " ('0', '1') THEN $1 = '1' WHEN $2 = 'string' THEN CASE lower($1) WHEN 'true' THEN"
		   " TRUE WHEN '1' THEN TRUE WHEN 't' THEN TRUE WHEN 'false' THEN FALSE WHEN '0' THEN"
		   " FALSE WHEN 'f' THEN FALSE END END"},
	{"j_money", "CASE WHEN $2 IN ('number', 'string') AND btrim($1) ~"
		    " '^[+-]{0,1}[0-9]{1,15}([.][0-9]*){0,1}$' THEN ROUND(CAST(btrim($1) AS NUMERIC),"
		    " 4) END"},
	{"j_time", IF_TIME("CAST($1 AS TIMESTAMPTZ)")},
	{"j_date", IF_TIME("CAST(CAST($1 AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS DATE)")},
	{"j_json", "CASE WHEN $2 = 'null' THEN NULL ELSE $3 END"},
	{NULL, NULL},
};

/* The aggregates (store/sql/sql_aggregates.c) in three statements where
 * SQLite takes seven: every gift figure in one pass over the transactions,
 * with no copy in between (MIN() and MAX() of a timestamptz are the
 * earliest and latest gift, where SQLite needs its bare-column trick, one
 * statement each); the plans joined and grouped once instead of a
 * subquery per supporter; supporters updated from a hash join of cs_agg
 * instead of a subquery per row. The steps they replace are dropped
 * (empty text). cs_agg is analyzed once filled: without statistics the
 * planner guessed a temp table big enough to scan every transaction for
 * 500 queued supporters (350 ms; through the supporter_id index, 83). */
#define SET_GIFTS(src)                                                                  \
	"UPDATE cs_agg SET amt4 = " CS_AGG_CLAMP("g.amt4") ", cnt = g.cnt,"              \
	" first_at = g.first_at, last_at = g.last_at FROM (" src ") g WHERE g.sid = cs_agg.id"

static const cs_sql_word overrides[] = {
	{"agg.temp_gift", ""},
	{"agg.clear_gift", ""},
	{"agg.analyze", "ANALYZE cs_agg"},
	{"agg.fill_gift", ""},
	{"agg.fill_gift_scan", ""},
	{"agg.gifts", SET_GIFTS(CS_AGG_GIFTS_FEW("JOIN"))},
	{"agg.gifts_scan", SET_GIFTS(CS_AGG_GIFTS_MANY)},
	{"agg.sums", ""},
	{"agg.first", ""},
	{"agg.last", ""},
	{"agg.plans",
	 "UPDATE cs_agg SET plans = g.n, monthly4 = " CS_AGG_CLAMP("g.m") " FROM (SELECT"
	 " p.supporter_id AS sid, COUNT(*) AS n,"
	 " COALESCE(SUM(ROUND(@x4(p.donation_amount) * f.num * 1.0 / f.den)), 0) AS m"
	 " FROM recurring_plans p LEFT JOIN frequency_factors f ON" CS_AGG_FACTOR_OF_P
	 " WHERE" CS_AGG_ACTIVE_PLAN " AND p.supporter_id IN (SELECT id FROM cs_agg)"
	 " GROUP BY p.supporter_id) g WHERE g.sid = cs_agg.id"},
	{"agg.apply",
	 "UPDATE supporters SET lifetime_donation_amount = a.amt4 / 10000.0,"
	 " lifetime_donation_count = a.cnt, first_donation_date = a.first_at,"
	 " last_donation_date = a.last_at, active_recurring_plans = a.plans,"
	 " monthly_recurring_amount = a.monthly4 / 10000.0,"
	 " aggregates_at = CAST(?2 AS TIMESTAMPTZ) FROM cs_agg a WHERE supporters.id = a.id"},
	{NULL, NULL},
};

const cs_sql_dialect cs_pgsql_dialect = {
	.name = "postgresql",
	.type =
		{
			[CS_ROLE_ID] = "BIGINT",
			[CS_ROLE_SERIAL] = "BIGINT",
			[CS_ROLE_INT] = "BIGINT",
			[CS_ROLE_BOOL] = "BOOLEAN",
			/* four places: every ISO 4217 currency, exact; 19 digits:
			 * every amount util/money.h holds (an int64 of
			 * ten-thousandths), so no amount SQLite stores is refused */
			[CS_ROLE_MONEY] = "NUMERIC(19,4)",
			[CS_ROLE_REAL] = "DOUBLE PRECISION",
			[CS_ROLE_TIME] = "TIMESTAMPTZ",
			[CS_ROLE_DATE] = "DATE",
			[CS_ROLE_KEY] = "TEXT",
			[CS_ROLE_TEXT] = "TEXT",
			[CS_ROLE_JSON] = "JSONB",
		},
	.serial_pk = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
	/* row locks (lock_row) and unique keys serialise writers; a page takes
	 * no table lock, so several workers write at once */
	.begin_write = "BEGIN",
	.begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	.table_suffix = "",
	.partial_indexes = 1,
	.alter_many = 1,
	.batch_rows = 100,
	.insert_ignore = "INSERT",
	.ignore_suffix = " ON CONFLICT DO NOTHING",
	.conflict = " ON CONFLICT (%s) DO UPDATE SET ",
	.excluded = "excluded.\"%s\"",
	.words = words,
	.overrides = overrides,
	.view_cast = 1,
	/* a view's sums may pass what one stored amount can be (two of
	 * 9e14): 38 digits hold any sum of them, and a CAST never fails */
	.view_type = {[CS_ROLE_MONEY] = "NUMERIC(38,4)"},
};

const struct cs_sql_dialect *cs_pgsql_dialect_get(void)
{
	return &cs_pgsql_dialect;
}
