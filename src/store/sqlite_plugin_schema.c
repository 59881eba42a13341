/* Migration v4 "plugins": the state push plugins keep in the database, and
 * the contact_segments view they read.
 *
 *  - plugin_state: what was last sent per contact per plugin and scope (a
 *    Mailchimp list), as a hash plus the canonical payload, so a rerun with
 *    nothing changed sends nothing and an update can show a field diff;
 *  - plugin_runs: one row per push of one org;
 *  - plugin_outcomes: one row per action on a contact (audit trail).
 *
 * contact_segments is supporter_segments at the level a destination sees:
 * supporters of one org whose emails differ only in case or surrounding
 * spaces are one contact. The merge rule (README "Mailchimp"):
 *  - the representative is the most recently updated supporter (ties: the
 *    highest id); its name and its opt_in are the contact's, because the
 *    latest record carries the person's latest choice;
 *  - money, gift counts and plans are summed over the merged supporters,
 *    first and last gift dates are the earliest and latest, and segments
 *    are looked up on those merged figures with the same thresholds. */
#include "store/sqlite_int.h"
#include "store/sqlite_segments.h"

static const char plugins_up_sql[] =
	"CREATE TABLE plugin_state (plugin TEXT NOT NULL, scope TEXT NOT NULL,"
	" email_key TEXT NOT NULL, organization_id INTEGER NOT NULL, supporter_id INTEGER,"
	" payload_hash TEXT, payload TEXT, status TEXT NOT NULL, updated_at TEXT NOT NULL,"
	" PRIMARY KEY (plugin, scope, email_key));"
	"CREATE TABLE plugin_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, plugin TEXT NOT NULL,"
	" organization_id INTEGER NOT NULL, mode TEXT NOT NULL, started_at TEXT NOT NULL,"
	" finished_at TEXT, status TEXT NOT NULL, considered INTEGER, unchanged INTEGER,"
	" created INTEGER, updated INTEGER, tagged INTEGER, skipped INTEGER, rejected INTEGER,"
	" failed INTEGER, requests INTEGER, writes INTEGER, error TEXT, pid INTEGER);"
	"CREATE INDEX plugin_runs_plugin ON plugin_runs(plugin, id);"
	"CREATE TABLE plugin_outcomes (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" run_id INTEGER, plugin TEXT NOT NULL, organization_id INTEGER, supporter_id INTEGER,"
	" email_key TEXT, action TEXT NOT NULL, status TEXT NOT NULL, error_title TEXT,"
	" error_detail TEXT, request_id TEXT, at TEXT NOT NULL);"
	"CREATE INDEX plugin_outcomes_run ON plugin_outcomes(run_id);"
	"CREATE INDEX plugin_outcomes_status ON plugin_outcomes(plugin, status, id);";
/* No index on supporters(org, LOWER(TRIM(email))): the view reads every
 * supporter of the org anyway (measured: 2.4 s for 100k either way), and
 * the index cost 0.9 s per 100k supporter upserts in a full sync. */

static const char contact_segments_sql[] =
	"CREATE VIEW contact_segments AS"
	" WITH m AS (SELECT s.*, LOWER(TRIM(s.email_address)) AS email_key,"
	" ROW_NUMBER() OVER (PARTITION BY s.organization_id, LOWER(TRIM(s.email_address))"
	" ORDER BY julianday(s.updated_at) DESC, s.id DESC) AS rn"
	" FROM supporters s WHERE s.deleted_at IS NULL"
	" AND TRIM(COALESCE(s.email_address, '')) <> ''),"
	" g AS (SELECT organization_id, email_key, COUNT(*) AS merged_supporters,"
	" SUM(" X4("COALESCE(lifetime_donation_amount, 0)") ") / 10000.0"
	" AS lifetime_donation_amount,"
	" SUM(COALESCE(lifetime_donation_count, 0)) AS lifetime_donation_count,"
	" SUM(" X4("COALESCE(monthly_recurring_amount, 0)") ") / 10000.0"
	" AS monthly_recurring_amount,"
	" SUM(COALESCE(active_recurring_plans, 0)) AS active_recurring_plans,"
	" MIN(julianday(first_donation_date)) AS first_jd,"
	" MAX(julianday(last_donation_date)) AS last_jd"
	" FROM m GROUP BY organization_id, email_key),"
	" base AS (SELECT m.id AS supporter_id, m.organization_id, m.email_key,"
	" g.merged_supporters, TRIM(m.email_address) AS email_address, m.first_name,"
	" m.last_name, m.opt_in, g.lifetime_donation_amount, g.lifetime_donation_count,"
	" g.monthly_recurring_amount, g.active_recurring_plans,"
	" date(g.first_jd) AS first_donation_date, date(g.last_jd) AS last_donation_date,"
	" CASE WHEN g.last_jd IS NOT NULL THEN MAX(0, " WHOLE_DAYS("'now'", "g.last_jd") ")"
	" END AS days_since_last_gift"
	" FROM m JOIN g ON g.organization_id = m.organization_id AND g.email_key = m.email_key"
	" WHERE m.rn = 1),"
	SPECIAL_TAGS_CTE
	SEGMENTS_SELECT("b.supporter_id, b.organization_id, b.email_key, b.merged_supporters,")
	";";

static const char plugins_down_sql[] =
	"DROP VIEW IF EXISTS contact_segments;"
	"DROP TABLE IF EXISTS plugin_outcomes;"
	"DROP TABLE IF EXISTS plugin_runs;"
	"DROP TABLE IF EXISTS plugin_state;";

int cs_sqlite_plugins_up(sqlite3 *db, cs_err *err)
{
	int rc = cs_sqlite_exec(db, plugins_up_sql, err);
	return rc ? rc : cs_sqlite_exec(db, contact_segments_sql, err);
}

int cs_sqlite_plugins_down(sqlite3 *db, cs_err *err)
{
	return cs_sqlite_exec(db, plugins_down_sql, err);
}
