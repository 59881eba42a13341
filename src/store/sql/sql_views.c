/* The views users query directly, and which the push plugins read, defined
 * once in dialect words (sql_text.c) for every backend.
 *
 * Rules every view follows:
 *  - money is summed as integer ten-thousandths, @sum4(@x4(x)) / 10000.0,
 *    so 10,000 x 0.10 is exactly 1000.0; averages are rounded to cents from
 *    those integers; @sum4 never fails on overflow (a hostile amount must
 *    not break every query of the view, the push included);
 *  - times are compared through @ts(), because stored times come with and
 *    without milliseconds and do not compare as strings;
 *  - a "successful gift" is a transaction with status 'success' that is not
 *    soft-deleted; soft-deleted supporters and campaigns are left out;
 *  - segment boundaries come from segment_thresholds by lookup, so a user's
 *    edit applies immediately. A value v is in a segment when
 *    min_value <= v < max_value (NULL max = unbounded); if edits overlap two
 *    ranges the lowest sort wins, so every supporter stays one row.
 * A view never writes and never reads the API's raw_json. */
#include "store/sql/views.h"
#include "store/sql/segments.h"

const cs_sql_view cs_sql_view_supporter_segments = {
	"supporter_segments",
	" WITH base AS (SELECT s.id AS supporter_id, s.organization_id, s.email_address,"
	" s.first_name, s.last_name, s.opt_in,"
	" COALESCE(s.lifetime_donation_amount, 0) AS lifetime_donation_amount,"
	" COALESCE(s.lifetime_donation_count, 0) AS lifetime_donation_count,"
	" COALESCE(s.monthly_recurring_amount, 0) AS monthly_recurring_amount,"
	" COALESCE(s.active_recurring_plans, 0) AS active_recurring_plans,"
	" s.first_donation_date, s.last_donation_date,"
	" CASE WHEN s.last_donation_date IS NOT NULL THEN"
	" " DAYS_SINCE("@ts(s.last_donation_date)") " END AS days_since_last_gift"
	" FROM supporters s WHERE s.deleted_at IS NULL),"
	SPECIAL_TAGS_CTE
	SEGMENTS_SELECT("b.supporter_id, b.organization_id,"),
};

/* Correlated subqueries rather than a grouped join, so a query for one
 * supporter reads only that supporter's transactions (indexed). */
#define GIFTS_OF_S \
	" FROM transactions t WHERE t.supporter_id = s.id AND t.status = 'success'" \
	" AND t.deleted_at IS NULL"
#define LAST_YEAR " AND @ts(t.purchased_at) >= @days_ago(365)"

const cs_sql_view cs_sql_view_supporter_summary = {
	"supporter_summary",
	"SELECT s.id AS supporter_id, s.organization_id,"
	" NULLIF(TRIM(COALESCE(s.first_name, '') || ' ' || COALESCE(s.last_name, '')), '')"
	" AS name, s.email_address,"
	" COALESCE(s.lifetime_donation_amount, 0) AS lifetime_donation_amount,"
	" COALESCE(s.lifetime_donation_count, 0) AS lifetime_donation_count,"
	" s.first_donation_date, s.last_donation_date,"
	" CASE WHEN COALESCE(s.active_recurring_plans, 0) > 0 THEN 'recurring'"
	" WHEN COALESCE(s.lifetime_donation_count, 0) > 0 THEN 'one-time'"
	" ELSE 'none' END AS donor_type,"
	" (SELECT t.total_gross_amount" GIFTS_OF_S
	" ORDER BY @ts(t.purchased_at) DESC, t.id DESC LIMIT 1) AS last_gift_amount,"
	" (SELECT COUNT(*)" GIFTS_OF_S LAST_YEAR ") AS gifts_last_12_months,"
	" (SELECT COALESCE(@sum4(@x4(t.total_gross_amount)), 0) / 10000.0" GIFTS_OF_S
	LAST_YEAR ") AS amount_last_12_months"
	" FROM supporters s WHERE s.deleted_at IS NULL",
};

const cs_sql_view cs_sql_view_campaign_performance = {
	"campaign_performance",
	"SELECT c.id AS campaign_id, c.organization_id,"
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
	" CASE WHEN c.started_at IS NOT NULL THEN @max2(0, @days_between("
	"@min2(@now, COALESCE(@ts(c.ended_at), @now)), @ts(c.started_at))) END AS duration_days"
	" FROM campaigns c LEFT JOIN (SELECT t.campaign_id,"
	" @sum4(@x4(t.total_gross_amount)) AS raised4, COUNT(*) AS gifts,"
	" COUNT(DISTINCT t.supporter_id) AS donors FROM transactions t"
	" WHERE t.status = 'success' AND t.deleted_at IS NULL AND t.campaign_id IS NOT NULL"
	" GROUP BY t.campaign_id) g ON g.campaign_id = c.id"
	" WHERE c.deleted_at IS NULL",
};

/* Supporters without a successful gift form their own row (segment NULL),
 * so the supporters column of a distribution sums to the supporter count. */
#define DISTRIBUTION(view, kind, seg, tag)                                                \
	{view, "SELECT organization_id, " seg ", " tag ","                                \
	       " (SELECT t.sort FROM segment_thresholds t WHERE t.kind = '" kind "'"      \
	       " AND t.segment = " seg ") AS sort,"                                       \
	       " COUNT(*) AS supporters,"                                                 \
	       " @sum4(@x4(lifetime_donation_amount)) / 10000.0 AS total_lifetime_value,"   \
	       " ROUND(@sum4(@x4(lifetime_donation_amount)) * 1.0 / (COUNT(*) * 100)) / 100.0" \
	       " AS average_lifetime_value,"                                              \
	       " @sum4(@x4(monthly_recurring_amount)) / 10000.0 AS monthly_recurring_amount" \
	       " FROM supporter_segments GROUP BY organization_id, " seg ", " tag}

const cs_sql_view cs_sql_view_donor_value_distribution =
	DISTRIBUTION("donor_value_distribution", "value", "value_tier", "value_tag");
const cs_sql_view cs_sql_view_donor_engagement_distribution =
	DISTRIBUTION("donor_engagement_distribution", "engagement", "engagement_segment",
		     "engagement_tag");

/* contact_segments is supporter_segments at the level a destination sees:
 * supporters of one org whose emails differ only in case or surrounding
 * spaces are one contact. The merge rule (README "Mailchimp"):
 *  - the representative is the most recently updated supporter (ties: the
 *    highest id); its name and its opt_in are the contact's, because the
 *    latest record carries the person's latest choice;
 *  - money, gift counts and plans are summed over the merged supporters,
 *    first and last gift dates are the earliest and latest, and segments
 *    are looked up on those merged figures with the same thresholds. */
const cs_sql_view cs_sql_view_contact_segments = {
	"contact_segments",
	" WITH m AS (SELECT s.*, LOWER(TRIM(s.email_address)) AS email_key,"
	" ROW_NUMBER() OVER (PARTITION BY s.organization_id, LOWER(TRIM(s.email_address))"
	" ORDER BY @ts(s.updated_at) DESC, s.id DESC) AS rn"
	" FROM supporters s WHERE s.deleted_at IS NULL"
	" AND TRIM(COALESCE(s.email_address, '')) <> ''),"
	" g AS (SELECT organization_id, email_key, COUNT(*) AS merged_supporters,"
	" @sum4(@x4(COALESCE(lifetime_donation_amount, 0))) / 10000.0"
	" AS lifetime_donation_amount,"
	" SUM(COALESCE(lifetime_donation_count, 0)) AS lifetime_donation_count,"
	" @sum4(@x4(COALESCE(monthly_recurring_amount, 0))) / 10000.0"
	" AS monthly_recurring_amount,"
	" SUM(COALESCE(active_recurring_plans, 0)) AS active_recurring_plans,"
	" MIN(@ts(first_donation_date)) AS first_jd,"
	" MAX(@ts(last_donation_date)) AS last_jd"
	" FROM m GROUP BY organization_id, email_key),"
	" base AS (SELECT m.id AS supporter_id, m.organization_id, m.email_key,"
	" g.merged_supporters, TRIM(m.email_address) AS email_address, m.first_name,"
	" m.last_name, m.opt_in, g.lifetime_donation_amount, g.lifetime_donation_count,"
	" g.monthly_recurring_amount, g.active_recurring_plans,"
	" @date(g.first_jd) AS first_donation_date, @date(g.last_jd) AS last_donation_date,"
	" CASE WHEN g.last_jd IS NOT NULL THEN " DAYS_SINCE("g.last_jd")
	" END AS days_since_last_gift"
	" FROM m JOIN g ON g.organization_id = m.organization_id AND g.email_key = m.email_key"
	" WHERE m.rn = 1),"
	SPECIAL_TAGS_CTE
	SEGMENTS_SELECT("b.supporter_id, b.organization_id, b.email_key, b.merged_supporters,"),
};
