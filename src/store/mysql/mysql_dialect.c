/* What MySQL/MariaDB's SQL looks like where products differ: a type for
 * every column role (DATETIME(3) in UTC, DECIMAL money, JSON, TINYINT(1),
 * utf8mb4 with a binary collation), ON DUPLICATE KEY upserts, row locks,
 * DDL that can be run again, and the functions the views use. Statement
 * texts MySQL cannot take as the core writes them are overridden by key
 * here, each equivalent in result to the core's; everything else is the
 * core's text. Identifiers are quoted "..." (the session sets ANSI_QUOTES)
 * and || concatenates (PIPES_AS_CONCAT): see mysql.c.
 *
 * DDL is not transactional in MySQL: every CREATE and DROP commits at once,
 * so a migration's objects and its schema_migrations row cannot commit
 * together. What the store can guarantee is that the row is written only
 * after every object of the migration exists, and that every CREATE skips
 * what exists (ddl_rerunnable) and every DROP what is gone: a migration,
 * rollback or reset that failed half-way is finished by running the same
 * command again. Between the failure and that rerun the schema is half
 * applied, which readers can see. */
#include "store/mysql/mysql_int.h"
#include "store/backends.h"
#include "store/sql/aggregates.h"
#include "store/sql/segments.h"

/* The times the API sends (NOTES.md: Z, +0000, .000Z; a date alone), year 1
 * on: what the CAST below reads without failing. */
#define TIME_RX                                                                         \
	"^([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-" \
	"(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]+){0,1}"   \
	"([Zz]|[+-][0-9]{2}(:{0,1}[0-9]{2}){0,1}){0,1}){0,1}$"
/* The zone of a time ("+HHMM", "+HH:MM", "+HH"; NULL for Z or none: MariaDB's
 * REGEXP_SUBSTR gives '' for no match, which a strict CAST refuses) and its
 * minutes east of UTC. */
#define ZONE(x)                                                                         \
	"NULLIF(REPLACE(REGEXP_SUBSTR(SUBSTR(" x ", 20), '[+-][0-9]{2}(:{0,1}[0-9]{2}){0,1}$'),"  \
	" ':', ''), '')"
#define ZONE_MIN(x)                                                                     \
	"COALESCE((CASE LEFT(" ZONE(x) ", 1) WHEN '-' THEN -1 ELSE 1 END) * (CAST(SUBSTR(" \
	ZONE(x) ", 2, 2) AS SIGNED) * 60 + IF(LENGTH(" ZONE(x) ") = 5, CAST(SUBSTR(" ZONE(x) \
	", 4, 2) AS SIGNED), 0)), 0)"
/* The UTC DATETIME(3) of a time the pattern accepted. */
#define UTC_TIME(x)                                                                     \
	"DATE_SUB(CAST(CONCAT(LEFT(" x ", 10), ' ', IF(LENGTH(" x ") > 10, SUBSTR(" x ", 12, 8),"  \
	" '00:00:00'), COALESCE(REGEXP_SUBSTR(SUBSTR(" x ", 20), '^[.][0-9]{1,6}'), '')) AS"      \
	" DATETIME(3)), INTERVAL " ZONE_MIN(x) " MINUTE)"

/* x, when it is a time on the calendar (else NULL) */
#define IF_TIME(x)                                                                           \
	"CASE WHEN $2 = 'STRING' AND $1 REGEXP '" TIME_RX "' THEN CASE WHEN "                 \
	CS_SQL_DAY_EXISTS("$1", "SIGNED") " THEN " x " END END"

static const cs_sql_word words[] = {
	/* an exact sum of @x4 values: NUMERIC/DECIMAL never overflows here */
	{"sum4", "SUM($1)"},
	/* db copy: AUTO_INCREMENT follows explicit ids by itself */
	{"serial_restart", "SELECT 1"},
	/* DATETIME values compare and subtract natively */
	{"ts", "$1"},
	{"now", "UTC_TIMESTAMP(3)"},
	{"days_ago", "(UTC_TIMESTAMP(3) - INTERVAL $1 DAY)"},
	/* whole days between two times, truncated like the other dialects */
	{"days_between", "TIMESTAMPDIFF(DAY, $2, $1)"},
	{"date", "CAST($1 AS DATE)"},
	/* UTC: the session's time_zone is +00:00 */
	{"month", "DATE_FORMAT($1, '%Y-%m')"},
	/* LOWER() folds every letter utf8mb4 knows (É -> é), which would merge
	 * contacts that SQLite and the destinations' ASCII hashes keep apart;
	 * MariaDB has no TRANSLATE(), and under the binary collation REPLACE()
	 * matches case exactly */
	{"lower_ascii",
	 "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE("
	 "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE("
	 "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE($1"
	 ", 'A', 'a'), 'B', 'b'), 'C', 'c'), 'D', 'd'), 'E', 'e'), 'F', 'f')"
	 ", 'G', 'g'), 'H', 'h'), 'I', 'i'), 'J', 'j'), 'K', 'k'), 'L', 'l')"
	 ", 'M', 'm'), 'N', 'n'), 'O', 'o'), 'P', 'p'), 'Q', 'q'), 'R', 'r')"
	 ", 'S', 's'), 'T', 't'), 'U', 'u'), 'V', 'v'), 'W', 'w'), 'X', 'x')"
	 ", 'Y', 'y'), 'Z', 'z')"},
	{"max2", "GREATEST($1, $2)"},
	{"min2", "LEAST($1, $2)"},
	/* an amount as exact integer ten-thousandths (DECIMAL arithmetic) */
	{"x4", "CAST(ROUND($1 * 10000) AS SIGNED)"},
	/* Only where a duplicate key is the one possible failure (queue rows,
	 * temp tables, reference data): IGNORE also downgrades data errors */
	/* a member as JSON text (MariaDB keeps a number's source text) */
	{"json_member", "JSON_EXTRACT($1, CONCAT('$.', $2))"},
	{"insert_ignore", "INSERT IGNORE"},
	{"ignore_conflicts", ""},
	{"outer_first_join", "STRAIGHT_JOIN"},
	{"temp_table", "CREATE TEMPORARY TABLE IF NOT EXISTS"},
	{"bigint", "BIGINT"},
	{"text", "LONGTEXT"},
	{"ts_type", "DATETIME(3)"},
	{"time_type", "DATETIME(3)"},
	{"returning_id", ""}, /* the driver reads the AUTO_INCREMENT id */
	{"lock_row", " FOR UPDATE"},
	{"key_only_table", ""},
	/* an index goes with its table: a rerun after the table is gone is fine */
	{"drop_index", "ALTER TABLE IF EXISTS $2 DROP INDEX IF EXISTS $1"},
	/* a field of a JSON document (sql_backfill.c): its text (JSON null
	 * reads 'null': the type tells), its JSON type, itself as JSON; then
	 * the column value of each type, from the three, as the writer stores
	 * it, NULL where the writer stores NULL. In strict mode a failed cast
	 * fails the statement, so each is guarded by a pattern first. */
	{"jv", "JSON_UNQUOTE(JSON_EXTRACT($1, CONCAT('$.\"', $2, '\"')))"},
	{"jt", "JSON_TYPE(JSON_EXTRACT($1, CONCAT('$.\"', $2, '\"')))"},
	{"jx", "JSON_EXTRACT($1, CONCAT('$.\"', $2, '\"'))"},
	{"j_text", "CASE WHEN $2 = 'NULL' THEN NULL ELSE $1 END"},
	{"j_int", "CASE WHEN $2 NOT IN ('NULL', 'OBJECT', 'ARRAY', 'BOOLEAN') AND $1 REGEXP"
		  " '^-{0,1}[0-9]{1,18}$' THEN CAST($1 AS SIGNED) END"},
	{"j_bool", "CASE WHEN $2 = 'BOOLEAN' THEN $1 = 'true' WHEN $2 IN ('INTEGER', 'UNSIGNED"
		   " INTEGER') AND $1 IN ('0', '1') THEN $1 = '1' WHEN $2 = 'STRING' THEN CASE"
		   " LOWER($1) WHEN 'true' THEN 1 WHEN '1' THEN 1 WHEN 't' THEN 1 WHEN 'false' THEN 0"
		   " WHEN '0' THEN 0 WHEN 'f' THEN 0 END END"},
	{"j_money", "CASE WHEN $2 NOT IN ('NULL', 'OBJECT', 'ARRAY', 'BOOLEAN') AND TRIM($1) REGEXP"
		    " '^[+-]{0,1}[0-9]{1,15}([.][0-9]*){0,1}$' THEN ROUND(CAST(TRIM($1) AS"
		    " DECIMAL(34,12)), 4) END"},
	{"j_time", IF_TIME(UTC_TIME("$1"))},
	{"j_date", IF_TIME("DATE(" UTC_TIME("$1") ")")},
	{"j_json", "CASE WHEN $2 = 'NULL' THEN NULL ELSE $3 END"},
	{NULL, NULL},
};

/* The aggregate steps that use UPDATE ... FROM, row-value SET (a, b) =
 * (SELECT ...) or SQLite's "bare column of MIN()", none of which MySQL has:
 * multi-table UPDATE ... JOIN instead. MySQL (not MariaDB) cannot open a
 * temporary table twice in one statement, so each reads cs_agg once. In
 * this dialect @ts(at) is at itself, so the gift with the earliest (latest)
 * jd has the earliest (latest) at: MIN(at) and MAX(at) are that gift's, and
 * one pass over cs_gift takes every gift figure. */
/* contact_segments merges supporters by email (see store/sql/sql_views.c
 * for the rule). The core joins the merged figures (a GROUP BY of the
 * supporters) back to the supporters; MariaDB joins two derived tables
 * without an index, a nested loop over every pair (100k supporters: more
 * than 10 minutes). Here the same figures are window aggregates over the
 * same partition, read in one pass, and the representative row is the same
 * rn = 1; only the columns base reads are carried (s.* drags raw_json
 * through the window's temporary table: 6.4 s against 2.0 s). The segment
 * lookup is the core's (segments.h). */
#define MERGED " OVER w"
static const char contact_segments_sql[] =
	" WITH m AS (SELECT s.id, s.organization_id, s.email_address, s.first_name,"
	" s.last_name, s.opt_in, @lower_ascii(TRIM(s.email_address)) AS email_key,"
	" ROW_NUMBER() OVER (PARTITION BY s.organization_id, @lower_ascii(TRIM(s.email_address))"
	" ORDER BY @ts(s.updated_at) DESC, s.id DESC) AS rn,"
	" COUNT(*)" MERGED " AS m_supporters,"
	" SUM(@x4(COALESCE(s.lifetime_donation_amount, 0)))" MERGED " / 10000.0 AS m_amount,"
	" SUM(COALESCE(s.lifetime_donation_count, 0))" MERGED " AS m_count,"
	" SUM(@x4(COALESCE(s.monthly_recurring_amount, 0)))" MERGED " / 10000.0 AS m_monthly,"
	" SUM(COALESCE(s.active_recurring_plans, 0))" MERGED " AS m_plans,"
	" MIN(@ts(s.first_donation_date))" MERGED " AS first_jd,"
	" MAX(@ts(s.last_donation_date))" MERGED " AS last_jd"
	" FROM supporters s WHERE s.deleted_at IS NULL"
	" AND TRIM(COALESCE(s.email_address, '')) <> ''"
	" WINDOW w AS (PARTITION BY s.organization_id, @lower_ascii(TRIM(s.email_address)))),"
	" base AS (SELECT m.id AS supporter_id, m.organization_id, m.email_key,"
	" m.m_supporters AS merged_supporters, TRIM(m.email_address) AS email_address,"
	" m.first_name, m.last_name, m.opt_in, m.m_amount AS lifetime_donation_amount,"
	" m.m_count AS lifetime_donation_count, m.m_monthly AS monthly_recurring_amount,"
	" m.m_plans AS active_recurring_plans,"
	" @date(m.first_jd) AS first_donation_date, @date(m.last_jd) AS last_donation_date,"
	" CASE WHEN m.last_jd IS NOT NULL THEN " DAYS_SINCE("m.last_jd")
	" END AS days_since_last_gift FROM m WHERE m.rn = 1),"
	SPECIAL_TAGS_CTE
	SEGMENTS_SELECT("b.supporter_id, b.organization_id, b.email_key, b.merged_supporters,");

#define ACTIVE_PLANS_OF_AGG \
	" FROM recurring_plans p WHERE p.supporter_id = cs_agg.id AND p.status = 'active'" \
	" AND p.deleted_at IS NULL"

static const cs_sql_word overrides[] = {
	/* migrations: whether an added column exists (MySQL has no
	 * CURRENT_SCHEMA; the database is the schema) */
	{"ddl.has_column",
	 "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()"
	 " AND table_name = ?1 AND column_name = ?2"},
	/* the org's rows in storage order, not the queued ids through the
	 * supporter_id index: each lookup there reads a random page of the
	 * table (raw_json is stored in the row), and a table bigger than the
	 * buffer pool then reads a page from disk per gift (300k: 49 s, the
	 * scan 14 s at the default 128 MB pool) */
	{"agg.fill_gift_scan",
	 "INSERT INTO cs_gift SELECT t.supporter_id, t.purchased_at, t.purchased_at,"
	 " @x4(t.total_gross_amount) FROM transactions t IGNORE INDEX (transactions_supporter_id)"
	 " WHERE t.organization_id = ?1 AND" CS_AGG_GIFT
	 " AND t.supporter_id IN (SELECT id FROM cs_agg)"},
	/* every gift figure in one pass over cs_gift, where SQLite needs three */
	{"agg.sums",
	 "UPDATE cs_agg JOIN (SELECT sid, COALESCE(SUM(amt4), 0) AS amt4, COUNT(*) AS cnt,"
	 " MIN(at) AS first_at, MAX(at) AS last_at FROM cs_gift GROUP BY sid) g"
	 " ON g.sid = cs_agg.id SET cs_agg.amt4 = " CS_AGG_CLAMP("g.amt4") ", cs_agg.cnt = g.cnt,"
	 " cs_agg.first_at = g.first_at, cs_agg.last_at = g.last_at"},
	{"agg.first", ""},
	{"agg.last", ""},
	/* two correlated subqueries for the core's one row value; each plan
	 * rounded to ten-thousandths, half away from zero (DECIMAL ROUND); an
	 * unknown frequency has no factor and contributes 0 */
	{"agg.plans",
	 "UPDATE cs_agg SET plans = (SELECT COUNT(*)" ACTIVE_PLANS_OF_AGG "),"
	 " monthly4 = (SELECT COALESCE(SUM((SELECT"
	 " CAST(ROUND(@x4(p.donation_amount) * f.num * 1.0 / f.den) AS SIGNED)"
	 " FROM frequency_factors f WHERE f.frequency = LOWER(TRIM(p.frequency)))), 0)"
	 ACTIVE_PLANS_OF_AGG ")"},
	/* the join visits only queued supporters, as the core's IN (...) does */
	{"agg.apply",
	 "UPDATE supporters JOIN cs_agg a ON a.id = supporters.id SET"
	 " supporters.lifetime_donation_amount = a.amt4 / 10000.0,"
	 " supporters.lifetime_donation_count = a.cnt,"
	 " supporters.first_donation_date = a.first_at,"
	 " supporters.last_donation_date = a.last_at,"
	 " supporters.active_recurring_plans = a.plans,"
	 " supporters.monthly_recurring_amount = a.monthly4 / 10000.0,"
	 " supporters.aggregates_at = ?2"},
	{"view.contact_segments", contact_segments_sql},
	/* INSERT IGNORE only share-locks an existing lease row, and two
	 * claimers holding that lock deadlock on the FOR UPDATE that follows
	 * (6 syncs racing for one lease: 3 of 36 claims failed so); the no-op
	 * update locks it exclusively at once, so the second claimer waits for
	 * the first instead (0 of 108) */
	{"lease.placeholder",
	 "INSERT INTO sync_leases (organization_id, job, holder, pid, host, acquired_at,"
	 " expires_at) VALUES (?1, ?2, '', 0, '', 0, 0)"
	 " ON DUPLICATE KEY UPDATE organization_id = organization_id"},
	/* no UPDATE ... RETURNING: LAST_INSERT_ID(expr) keeps the new count in
	 * the session, read back by the next statement on the connection */
	{"rate.take",
	 "UPDATE rate_slots SET used = LAST_INSERT_ID(GREATEST(used, ?3) + 1)"
	 " WHERE app = ?1 AND slot = ?2 AND GREATEST(used, ?3) < ?4"},
	{"rate.taken", "SELECT LAST_INSERT_ID() - 1"},
	{NULL, NULL},
};

const cs_sql_dialect cs_mysql_dialect = {
	.name = "mysql",
	.type =
		{
			[CS_ROLE_ID] = "BIGINT",
			[CS_ROLE_SERIAL] = "BIGINT",
			[CS_ROLE_INT] = "BIGINT",
			[CS_ROLE_BOOL] = "TINYINT(1)",
			/* four places: every ISO 4217 currency, exact; 19 digits:
			 * every amount util/money.h holds (an int64 of
			 * ten-thousandths), so no amount SQLite stores is refused */
			[CS_ROLE_MONEY] = "DECIMAL(19,4)",
			[CS_ROLE_REAL] = "DOUBLE",
			/* UTC: the session's time_zone is +00:00 */
			[CS_ROLE_TIME] = "DATETIME(3)",
			[CS_ROLE_DATE] = "DATE",
			/* 255 characters of utf8mb4 are 1,020 bytes: the three of
			 * plugin_state's key stay under InnoDB's 3,072-byte limit */
			[CS_ROLE_KEY] = "VARCHAR(255)",
			[CS_ROLE_TEXT] = "LONGTEXT",
			/* MariaDB: LONGTEXT with a JSON_VALID check, so the API's
			 * bytes are kept exactly; MySQL: its binary JSON */
			[CS_ROLE_JSON] = "JSON",
		},
	.serial_pk = "BIGINT AUTO_INCREMENT PRIMARY KEY",
	/* row locks (lock_row) and unique keys serialise writers; the session
	 * writes in READ COMMITTED (mysql.c), so upserts take no gap locks */
	.begin_write = "START TRANSACTION",
	/* a consistent snapshot for `status`, whatever the session's level */
	.begin_read = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;"
		      " START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
	/* binary collation: keys and comparisons are byte-exact as in SQLite
	 * and PostgreSQL ('a' and 'A', 'ss' and 'ß' stay apart), and text sorts
	 * by code point */
	.table_suffix = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
	.partial_indexes = 0,
	.batch_rows = 100,
	.ddl_rerunnable = 1,
	.alter_many = 1,
	.insert_ignore = "INSERT IGNORE",
	.ignore_suffix = "",
	/* every column after the key: MySQL finds the conflicting key itself */
	.conflict = " ON DUPLICATE KEY UPDATE ",
	.excluded = "VALUES(\"%s\")",
	.words = words,
	.overrides = overrides,
	/* A CAST declares a view column's type, as far as CAST can name one
	 * (measured on MariaDB 10.11, information_schema.columns): SIGNED is
	 * BIGINT only from a wide enough argument (a TINYINT gives INT(4)), so
	 * through DECIMAL(20,0); no CAST gives TINYINT(1), so a boolean view
	 * column is a BIGINT 0/1; CHAR(255) is VARCHAR(255), CHAR(16777216) is
	 * LONGTEXT (a bare CHAR keeps its argument's length), in the session's
	 * utf8mb4_bin, which the view keeps. A view's sums may pass what one
	 * stored amount can be: 38 digits. */
	.view_cast = 1,
	.view_type = {[CS_ROLE_BOOL] = "BIGINT", [CS_ROLE_MONEY] = "DECIMAL(38,4)"},
#define AS_BIGINT "CAST(CAST($1 AS DECIMAL(20,0)) AS SIGNED)"
	.view_cast_to = {[CS_ROLE_ID] = AS_BIGINT, [CS_ROLE_INT] = AS_BIGINT,
			 [CS_ROLE_BOOL] = AS_BIGINT, [CS_ROLE_KEY] = "CAST($1 AS CHAR(255))",
			 [CS_ROLE_TEXT] = "CAST($1 AS CHAR(16777216))"},
};

const struct cs_sql_dialect *cs_mysql_dialect_get(void)
{
	return &cs_mysql_dialect;
}
