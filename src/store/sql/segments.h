#ifndef CS_SQL_SEGMENTS_H
#define CS_SQL_SEGMENTS_H
/* SQL pieces shared by the segment views: supporter_segments (v3, one row
 * per supporter) and contact_segments (v4, supporters merged by email), so
 * both apply the same money arithmetic and the same threshold lookup. In
 * dialect words (sql_text.c). Private to store/sql/. */

/* The special tag names as one row (st). */
#define SPECIAL_TAGS_CTE                                                           \
	" st AS (SELECT"                                                            \
	" MAX(CASE \"key\" WHEN 'monthly_recurring' THEN tag END) AS monthly_recurring_tag," \
	" MAX(CASE \"key\" WHEN 'lifetime_1k' THEN tag END) AS lifetime_1k_tag,"        \
	" MAX(CASE \"key\" WHEN 'lifetime_5k' THEN tag END) AS lifetime_5k_tag,"        \
	" MAX(CASE \"key\" WHEN 'monthly_100' THEN tag END) AS monthly_100_tag"         \
	" FROM special_tags)"

/* The supporter_segments lookup of one kind: picks the segment row whose
 * range holds `val`, only for supporters with at least one successful gift.
 * Negative lifetime amounts and future-dated gifts clamp to 0 upstream. */
#define SEGMENT_JOIN(alias, kind, val)                                                    \
	" LEFT JOIN segment_thresholds " alias " ON " alias ".kind = '" kind "'"          \
	" AND " alias ".segment = (SELECT t.segment FROM segment_thresholds t"            \
	" WHERE t.kind = '" kind "' AND b.lifetime_donation_count > 0"                    \
	" AND " val " >= t.min_value AND (t.max_value IS NULL OR " val " < t.max_value)" \
	" ORDER BY t.sort, t.segment LIMIT 1)"

/* The segment columns over a CTE `base` (b) with the figures; `lead` is the
 * identifying columns that come first. */
#define SEGMENTS_SELECT(lead)                                                             \
	" SELECT " lead " b.email_address, b.first_name,"                                 \
	" b.last_name, b.opt_in, b.lifetime_donation_amount, b.lifetime_donation_count,"  \
	" b.monthly_recurring_amount, b.active_recurring_plans, b.first_donation_date,"   \
	" b.last_donation_date, b.days_since_last_gift,"                                  \
	" v.segment AS value_tier, v.tag AS value_tag,"                                   \
	" e.segment AS engagement_segment, e.tag AS engagement_tag,"                      \
	" f.segment AS frequency_segment, f.tag AS frequency_tag,"                        \
	" (b.active_recurring_plans > 0) AS is_monthly_recurring, st.monthly_recurring_tag," \
	" (b.lifetime_donation_amount >= 1000) AS is_lifetime_1k, st.lifetime_1k_tag,"    \
	" (b.lifetime_donation_amount >= 5000) AS is_lifetime_5k, st.lifetime_5k_tag,"    \
	" (b.monthly_recurring_amount >= 100) AS is_monthly_100, st.monthly_100_tag"      \
	" FROM base b CROSS JOIN st"                                                      \
	SEGMENT_JOIN("v", "value", "@max2(b.lifetime_donation_amount, 0)")                \
	SEGMENT_JOIN("e", "engagement", "b.days_since_last_gift")                         \
	SEGMENT_JOIN("f", "frequency", "b.lifetime_donation_count")

/* Whole elapsed days since a time value (@ts), never negative: a gift
 * dated in the future counts as today. */
#define DAYS_SINCE(ts) "@max2(0, @days_between(@now, " ts "))"

#endif
