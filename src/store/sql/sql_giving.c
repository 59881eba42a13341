/* CS_CTRL_GIVING (store.h): the parts of the giving report, each one
 * statement over the views (supporter_segments, campaign_performance) or,
 * for the months, over transactions with the views' own rule of what a
 * gift is and how money is summed (sql_views.c), so the report says what
 * the views say (t_report checks it against donor_value_distribution,
 * donor_engagement_distribution and supporter_summary too).
 * Every part has two texts: one org (?1, so the organization_id indexes
 * serve) and every org together (where ?1 is 0 and only says so: every
 * text binds the same numbers, which a server needs to type them). Read-only; it never
 * selects a name or an email of a supporter. */
#include "store/sql/sqlstore.h"

#include <string.h>

/* A gift, as every view counts one. */
#define GIFT " t.status = 'success' AND t.deleted_at IS NULL"
#define RECURRING "t.recurring_donation_plan_id IS NOT NULL"

/* The month window compares the stored text with a bare date: every stored
 * time starts "YYYY-MM-DD" in UTC (with or without milliseconds), and a
 * date sorts before every time of its own day, so [from, until) holds
 * exactly the months asked for on every backend (a server compares typed
 * values). */
#define MONTHS(where, p_from, p_until)                                                       \
	"SELECT @month(t.purchased_at) AS month, COUNT(*) AS gifts,"                          \
	" COALESCE(@sum4(@x4(t.total_gross_amount)), 0) / 10000.0 AS amount,"               \
	" SUM(CASE WHEN " RECURRING " THEN 1 ELSE 0 END) AS recurring_gifts,"                 \
	" COALESCE(@sum4(CASE WHEN " RECURRING " THEN @x4(t.total_gross_amount) END), 0)"      \
	" / 10000.0 AS recurring_amount,"                                                     \
	" COUNT(DISTINCT t.supporter_id) AS donors"                                           \
	" FROM transactions t WHERE " where GIFT " AND t.purchased_at >= " p_from             \
	" AND t.purchased_at < " p_until " GROUP BY @month(t.purchased_at) ORDER BY 1"

/* supporter_segments has the supporters, counts and dates supporter_summary
 * has, without its per-supporter reads of transactions. */
#define FIRST_GIFTS(where, p_from, p_until)                                                  \
	"SELECT @month(s.first_donation_date) AS month, COUNT(*) AS first_time"               \
	" FROM supporter_segments s WHERE " where " s.lifetime_donation_count > 0"            \
	" AND s.first_donation_date >= " p_from " AND s.first_donation_date < " p_until      \
	" GROUP BY @month(s.first_donation_date) ORDER BY 1"

/* What donor_value_distribution and donor_engagement_distribution hold
 * (sql_views.c), summed over orgs by segment, computed here from
 * supporter_segments: those views group every org before one org's rows
 * are picked, so one org's read computed every supporter's segments (0.6 s
 * each at 100k supporters; 0.07 s for one org's 10k this way). NULL (no
 * successful gift) sorts last. */
#define DISTRIBUTION(kind, seg, where)                                                       \
	"SELECT " seg ", (SELECT t.sort FROM segment_thresholds t WHERE t.kind = '" kind "'" \
	" AND t.segment = " seg ") AS sort, COUNT(*),"                                        \
	" @sum4(@x4(lifetime_donation_amount)) / 10000.0 FROM supporter_segments " where     \
	" GROUP BY " seg " ORDER BY CASE WHEN " seg " IS NULL THEN 1 ELSE 0 END, 2, " seg

#define CAMPAIGNS(where)                                                                     \
	"SELECT name, campaign_id, goal, raised, percent_of_goal, gift_count, unique_donors"  \
	" FROM campaign_performance " where " ORDER BY raised DESC, campaign_id LIMIT ?2"

#define DONORS(where)                                                                        \
	"SELECT NULL, COALESCE(SUM(CASE WHEN lifetime_donation_count = 1 THEN 1 ELSE 0 END), 0),"  \
	" COALESCE(SUM(CASE WHEN lifetime_donation_count > 1 THEN 1 ELSE 0 END), 0)"       \
	" FROM supporter_segments " where

static const struct {
	const char *one, *all; /* one org (?1), every org */
	const char *what;
} parts[CS_GIVING_NPARTS] = {
	[CS_GIVING_MONTHS] = {MONTHS("t.organization_id = ?1 AND", "?2", "?3"),
			      MONTHS("?1 = 0 AND", "?2", "?3"), "read the gifts per month"},
	[CS_GIVING_FIRST_GIFTS] = {FIRST_GIFTS("s.organization_id = ?1 AND", "?2", "?3"),
				   FIRST_GIFTS("?1 = 0 AND", "?2", "?3"), "read the first gifts per month"},
	[CS_GIVING_VALUE] = {DISTRIBUTION("value", "value_tier", "WHERE organization_id = ?1"),
			     DISTRIBUTION("value", "value_tier", "WHERE ?1 = 0"),
			     "read the value tiers from supporter_segments"},
	[CS_GIVING_ENGAGEMENT] = {DISTRIBUTION("engagement", "engagement_segment",
					       "WHERE organization_id = ?1"),
				  DISTRIBUTION("engagement", "engagement_segment", "WHERE ?1 = 0"),
				  "read the engagement segments from supporter_segments"},
	[CS_GIVING_CAMPAIGNS] = {CAMPAIGNS("WHERE organization_id = ?1"), CAMPAIGNS("WHERE ?1 = 0"),
				 "read campaign_performance"},
	[CS_GIVING_DONORS] = {DONORS("WHERE organization_id = ?1"), DONORS("WHERE ?1 = 0"),
			      "read the donors from supporter_segments"},
};

/* The org (?1, 0 for all), then the dates (?2, ?3) or the limit (?2). */
static int bind_part(cs_sql_stmt *q, const cs_giving_query *g)
{
	int monthly = g->part == CS_GIVING_MONTHS || g->part == CS_GIVING_FIRST_GIFTS;
	int rc = cs_sql_bind_int(q, 1, g->org_id);
	if (rc == 0 && monthly)
		rc = cs_sql_bind_time(q, 2, g->from);
	if (rc == 0 && monthly)
		rc = cs_sql_bind_time(q, 3, g->until);
	if (rc == 0 && g->part == CS_GIVING_CAMPAIGNS)
		rc = cs_sql_bind_int(q, 2, g->limit);
	return rc;
}

static int emit(cs_sql_stmt *q, const cs_giving_query *g)
{
	cs_giving_row r;
	memset(&r, 0, sizeof(r));
	r.label = cs_sql_col_text(q, 0);
	r.n = cs_sql_ncols(q) - 1;
	if (r.n > CS_GIVING_COLS)
		r.n = CS_GIVING_COLS;
	for (int i = 0; i < r.n; i++) {
		r.null[i] = cs_sql_col_kind(q, i + 1) == CS_SQL_NULL;
		r.v[i] = r.null[i] ? 0 : cs_sql_col_real(q, i + 1);
	}
	return g->cb(&r, g->ctx);
}

int cs_sql_giving(cs_sql_store *s, cs_giving_query *g, cs_err *err)
{
	if (g->part < 0 || g->part >= CS_GIVING_NPARTS || !g->cb)
		return cs_err_set(err, CS_EUSAGE, "no giving report part %d", g->part);
	if (g->part == CS_GIVING_CAMPAIGNS && (g->limit < 1 || g->limit > 100))
		return cs_err_set(err, CS_EUSAGE, "the campaigns of the giving report: limit %d is "
						  "not between 1 and 100", g->limit);
	const char *what = parts[g->part].what;
	cs_sql_stmt *q = NULL;
	int rc = cs_sql_prepare(s->c, g->org_id ? parts[g->part].one : parts[g->part].all, what,
				&q, err);
	if (rc < 0)
		return rc;
	if (bind_part(q, g))
		rc = cs_err_set(err, CS_ERR, "cannot %s: out of memory binding its values", what);
	while (rc == 0 && (rc = cs_sql_step(q, err)) == CS_SQL_ROW)
		rc = emit(q, g);
	cs_sql_finalize(q);
	return rc == CS_SQL_DONE ? 0 : rc;
}
