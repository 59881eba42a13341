/* Migration v3 "views": the analytics users query directly, and which the
 * Mailchimp plugin reads (supporter_segments).
 *
 * Rules every view follows:
 *  - money is summed as integer ten-thousandths,
 *    SUM(CAST(ROUND(x * 10000) AS INTEGER)) / 10000.0, so 10,000 x 0.10 is
 *    exactly 1000.0; averages are rounded to cents from those integers;
 *  - times are compared through julianday(), because stored times come with
 *    and without milliseconds and do not compare as strings;
 *  - a "successful gift" is a transaction with status 'success' that is not
 *    soft-deleted; soft-deleted supporters and campaigns are left out;
 *  - segment boundaries come from segment_thresholds by lookup, so a user's
 *    edit applies immediately. A value v is in a segment when
 *    min_value <= v < max_value (NULL max = unbounded); if edits overlap two
 *    ranges the lowest sort wins, so every supporter stays one row. */
#include "store/sqlite_int.h"
#include "store/sqlite_segments.h"

static const char supporter_segments_sql[] =
	"CREATE VIEW supporter_segments AS"
	" WITH base AS (SELECT s.id AS supporter_id, s.organization_id, s.email_address,"
	" s.first_name, s.last_name, s.opt_in,"
	" COALESCE(s.lifetime_donation_amount, 0) AS lifetime_donation_amount,"
	" COALESCE(s.lifetime_donation_count, 0) AS lifetime_donation_count,"
	" COALESCE(s.monthly_recurring_amount, 0) AS monthly_recurring_amount,"
	" COALESCE(s.active_recurring_plans, 0) AS active_recurring_plans,"
	" s.first_donation_date, s.last_donation_date,"
	/* whole elapsed days; a gift dated in the future counts as today */
	" CASE WHEN s.last_donation_date IS NOT NULL THEN"
	" MAX(0, " WHOLE_DAYS("'now'", "s.last_donation_date") ")"
	" END AS days_since_last_gift"
	" FROM supporters s WHERE s.deleted_at IS NULL),"
	SPECIAL_TAGS_CTE
	SEGMENTS_SELECT("b.supporter_id, b.organization_id,") ";";

/* Correlated subqueries rather than a grouped join, so a query for one
 * supporter reads only that supporter's transactions (indexed). */
#define GIFTS_OF_S \
	" FROM transactions t WHERE t.supporter_id = s.id AND t.status = 'success'" \
	" AND t.deleted_at IS NULL"
#define LAST_YEAR " AND julianday(t.purchased_at) >= julianday('now') - 365"

static const char supporter_summary_sql[] =
	"CREATE VIEW supporter_summary AS SELECT s.id AS supporter_id, s.organization_id,"
	" NULLIF(TRIM(COALESCE(s.first_name, '') || ' ' || COALESCE(s.last_name, '')), '')"
	" AS name, s.email_address,"
	" COALESCE(s.lifetime_donation_amount, 0) AS lifetime_donation_amount,"
	" COALESCE(s.lifetime_donation_count, 0) AS lifetime_donation_count,"
	" s.first_donation_date, s.last_donation_date,"
	" CASE WHEN COALESCE(s.active_recurring_plans, 0) > 0 THEN 'recurring'"
	" WHEN COALESCE(s.lifetime_donation_count, 0) > 0 THEN 'one-time'"
	" ELSE 'none' END AS donor_type,"
	" (SELECT t.total_gross_amount" GIFTS_OF_S
	" ORDER BY julianday(t.purchased_at) DESC, t.id DESC LIMIT 1) AS last_gift_amount,"
	" (SELECT COUNT(*)" GIFTS_OF_S LAST_YEAR ") AS gifts_last_12_months,"
	" (SELECT COALESCE(SUM(" X4("t.total_gross_amount") "), 0) / 10000.0" GIFTS_OF_S
	LAST_YEAR ") AS amount_last_12_months"
	" FROM supporters s WHERE s.deleted_at IS NULL;";

static const char campaign_performance_sql[] =
	"CREATE VIEW campaign_performance AS SELECT c.id AS campaign_id, c.organization_id,"
	" c.name, c.status, c.goal,"
	" COALESCE(g.raised4, 0) / 10000.0 AS raised,"
	" COALESCE(g.donors, 0) AS unique_donors,"
	" COALESCE(g.gifts, 0) AS gift_count,"
	/* cents rounded half away from zero from the exact integer sum */
	" CASE WHEN g.gifts > 0 THEN ROUND(g.raised4 * 1.0 / (g.gifts * 100)) / 100.0"
	" END AS average_gift,"
	" CASE WHEN c.goal > 0 THEN ROUND(COALESCE(g.raised4, 0) / 100.0 / c.goal, 2)"
	" END AS percent_of_goal,"
	/* an end date still in the future means the campaign is running */
	" CASE WHEN c.started_at IS NOT NULL THEN MAX(0, " WHOLE_DAYS(
		"MIN(julianday('now'), COALESCE(julianday(c.ended_at), julianday('now')))",
		"c.started_at") ") END AS duration_days"
	" FROM campaigns c LEFT JOIN (SELECT t.campaign_id,"
	" SUM(" X4("t.total_gross_amount") ") AS raised4, COUNT(*) AS gifts,"
	" COUNT(DISTINCT t.supporter_id) AS donors FROM transactions t"
	" WHERE t.status = 'success' AND t.deleted_at IS NULL AND t.campaign_id IS NOT NULL"
	" GROUP BY t.campaign_id) g ON g.campaign_id = c.id"
	" WHERE c.deleted_at IS NULL;";

/* Supporters without a successful gift form their own row (segment NULL),
 * so the supporters column of a distribution sums to the supporter count. */
#define DISTRIBUTION(view, kind, seg, tag)                                                \
	"CREATE VIEW " view " AS SELECT organization_id, " seg ", " tag ","               \
	" (SELECT t.sort FROM segment_thresholds t WHERE t.kind = '" kind "'"             \
	" AND t.segment = " seg ") AS sort,"                                              \
	" COUNT(*) AS supporters,"                                                        \
	" SUM(" X4("lifetime_donation_amount") ") / 10000.0 AS total_lifetime_value,"     \
	" ROUND(SUM(" X4("lifetime_donation_amount") ") * 1.0 / (COUNT(*) * 100)) / 100.0" \
	" AS average_lifetime_value,"                                                     \
	" SUM(" X4("monthly_recurring_amount") ") / 10000.0 AS monthly_recurring_amount"  \
	" FROM supporter_segments GROUP BY organization_id, " seg ", " tag ";"

static const char *const views_up[] = {
	supporter_segments_sql,
	supporter_summary_sql,
	campaign_performance_sql,
	DISTRIBUTION("donor_value_distribution", "value", "value_tier", "value_tag"),
	DISTRIBUTION("donor_engagement_distribution", "engagement", "engagement_segment",
		     "engagement_tag"),
};

/* Dependents first. */
static const char views_down_sql[] =
	"DROP VIEW IF EXISTS donor_engagement_distribution;"
	"DROP VIEW IF EXISTS donor_value_distribution;"
	"DROP VIEW IF EXISTS campaign_performance;"
	"DROP VIEW IF EXISTS supporter_summary;"
	"DROP VIEW IF EXISTS supporter_segments;";

int cs_sqlite_views_up(sqlite3 *db, cs_err *err)
{
	for (size_t i = 0; i < sizeof(views_up) / sizeof(views_up[0]); i++) {
		int rc = cs_sqlite_exec(db, views_up[i], err);
		if (rc)
			return rc;
	}
	return 0;
}

int cs_sqlite_views_down(sqlite3 *db, cs_err *err)
{
	return cs_sqlite_exec(db, views_down_sql, err);
}
