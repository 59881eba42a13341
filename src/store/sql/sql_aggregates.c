/* Supporter aggregates, recomputed only for the supporters the upserts
 * queued in aggregate_queue (plus any supporter that never had them), never
 * by rescanning everything.
 *
 * The work is set-based and driven by the queue: the queued ids go into a
 * temp table, their successful gifts are copied once (through the index on
 * transactions(supporter_id)) into a narrow temp table the figures are
 * computed from, plans are read through recurring_plans(supporter_id), and
 * one UPDATE copies the results into supporters. These are SQLite's steps;
 * a server dialect replaces some by key and drops others (empty text), the
 * same figures in fewer passes (store/pgsql, store/mysql). Nothing is done
 * past the filling when nothing is queued. Money is summed as integer
 * ten-thousandths so it never drifts, through @sum4, which cannot overflow,
 * and a total beyond what cs_money holds (about 9.2e14) is stored as that
 * largest amount with a warning naming the supporter: one absurd figure
 * must not fail the recompute of every supporter. A step's failure rolls
 * back the whole recompute and is returned: stale totals must never look
 * current. */
#include "store/sql/aggregates.h"
#include "store/sql/sqlstore.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <string.h>

#define ACTIVE_PLANS \
	" FROM recurring_plans p WHERE p.supporter_id = cs_agg.id AND" CS_AGG_ACTIVE_PLAN

#define PLANS_SUM                                                              \
	"COALESCE(@sum4((SELECT ROUND(@x4(p.donation_amount) * f.num * 1.0 / f.den)" \
	" FROM frequency_factors f WHERE" CS_AGG_FACTOR_OF_P ")), 0)"

#define MONEY_MAX CS_AGG_MONEY_MAX
#define CLAMP_MONEY(x) CS_AGG_CLAMP(x)

enum step_flags {
	STEP_WARN_FIRST = 1 << 0, /* log unknown frequencies before this step */
	STEP_COUNTS = 1 << 1,     /* its changes are the supporters updated */
	STEP_FEW = 1 << 2,        /* only when few of the org's supporters are queued */
	STEP_MANY = 1 << 3,       /* only when many are (after a full sync) */
	STEP_ALL = 1 << 4,        /* only when the whole queue is done */
	STEP_SOME = 1 << 5,       /* only for a part of it (a chunk, ?3 supporters) */
	STEP_WARN_CLAMPED = 1 << 6, /* log totals held at the largest amount before it */
	STEP_FILLS = 1 << 7        /* fills cs_agg: nothing more to do when it is empty */
};

/* ?1 is the organization, ?2 the aggregates_at stamp. A key names each
 * step, so a dialect can supply its own text for it (cs_sql_text). */
static const struct recompute_step {
	int flags;
	const char *key, *sql;
} recompute_steps[] = {
	{0, "agg.temp_agg",
	 "@temp_table cs_agg (id @bigint PRIMARY KEY,"
	 " amt4 @bigint NOT NULL DEFAULT 0, cnt @bigint NOT NULL DEFAULT 0,"
	 " first_at @time_type, last_at @time_type, plans @bigint NOT NULL DEFAULT 0,"
	 " monthly4 @bigint NOT NULL DEFAULT 0)"},
	{0, "agg.temp_gift",
	 "@temp_table cs_gift (sid @bigint NOT NULL, jd @ts_type, at @time_type, amt4 @bigint)"},
	{0, "agg.clear_agg", "DELETE FROM cs_agg"},
	{0, "agg.clear_gift", "DELETE FROM cs_gift"},
	/* The queue, and every supporter that never had aggregates (written
	 * by something other than a page, which queues it): UNION takes each
	 * once, and neither is written anywhere but this temp table. */
	{STEP_ALL | STEP_FILLS, "agg.fill_agg",
	 "INSERT INTO cs_agg (id) SELECT supporter_id FROM aggregate_queue"
	 " WHERE organization_id = ?1 AND supporter_id IS NOT NULL"
	 " UNION SELECT id FROM supporters WHERE organization_id = ?1 AND aggregates_at IS NULL"},
	/* A chunk takes the lowest queued ids: supporters queued again later
	 * (a newer gift arrived) are simply done again by a later chunk. */
	{STEP_SOME | STEP_FILLS, "agg.fill_agg_some",
	 "@insert_ignore INTO cs_agg (id) SELECT supporter_id FROM aggregate_queue"
	 " WHERE organization_id = ?1 AND supporter_id IS NOT NULL ORDER BY supporter_id"
	 " LIMIT ?3@ignore_conflicts"},
	/* A dialect whose planner needs to know how many are queued to choose
	 * between an index and a scan (temp tables have no statistics) says
	 * so here; the core has nothing to do (empty text). */
	{0, "agg.analyze", ""},
	/* The only read of transaction rows: each is about a page of raw_json,
	 * so the figures below come from this narrow copy, not three more
	 * passes. For a few queued supporters, @outer_first_join keeps the
	 * small queue as the outer loop through the supporter_id index (the
	 * planner needs telling on SQLite and MySQL); when most of the org is
	 * queued, the org's rows are read in storage order instead (the unary
	 * + keeps the planner off the supporter_id index): the same rows, read
	 * once and in order, 1.95 -> 1.5 s of CPU for 300k transactions. */
	{STEP_FEW, "agg.fill_gift",
	 "INSERT INTO cs_gift SELECT t.supporter_id, @ts(t.purchased_at),"
	 " t.purchased_at, @x4(t.total_gross_amount) FROM cs_agg a"
	 " @outer_first_join transactions t ON t.supporter_id = a.id"
	 " WHERE" CS_AGG_GIFT},
	{STEP_MANY, "agg.fill_gift_scan",
	 "INSERT INTO cs_gift SELECT t.supporter_id, @ts(t.purchased_at),"
	 " t.purchased_at, @x4(t.total_gross_amount) FROM transactions t"
	 " WHERE t.organization_id = ?1 AND" CS_AGG_GIFT
	 " AND +t.supporter_id IN (SELECT id FROM cs_agg)"},
	/* A server dialect computes every gift figure in one pass of its own
	 * (the core has none: these are empty here) and drops the three
	 * below, which SQLite needs for its bare-column MIN() and MAX(). */
	{STEP_FEW, "agg.gifts", ""},
	{STEP_MANY, "agg.gifts_scan", ""},
	{0, "agg.sums",
	 "UPDATE cs_agg SET amt4 = " CLAMP_MONEY("g.amt4") ", cnt = g.cnt FROM (SELECT sid,"
	 " COALESCE(@sum4(amt4), 0) AS amt4, COUNT(*) AS cnt FROM cs_gift GROUP BY sid) g"
	 " WHERE g.sid = cs_agg.id"},
	/* with a single MIN() or MAX(), SQLite takes the bare column `at` from
	 * that row: the stored text of the earliest or latest gift, compared as
	 * a time */
	{0, "agg.first",
	 "UPDATE cs_agg SET first_at = g.at FROM (SELECT sid, at, MIN(jd)"
	 " FROM cs_gift WHERE jd IS NOT NULL GROUP BY sid) g WHERE g.sid = cs_agg.id"},
	{0, "agg.last",
	 "UPDATE cs_agg SET last_at = g.at FROM (SELECT sid, at, MAX(jd)"
	 " FROM cs_gift WHERE jd IS NOT NULL GROUP BY sid) g WHERE g.sid = cs_agg.id"},
	/* each plan rounded to ten-thousandths, half away from zero (not cast:
	 * a huge plan times a factor may not fit a BIGINT); an unknown
	 * frequency has no factor and contributes 0. The sum appears three
	 * times in the clamp, but is one aggregate: products compute identical
	 * aggregate expressions once. */
	{0, "agg.plans",
	 "UPDATE cs_agg SET (plans, monthly4) = (SELECT COUNT(*), " CLAMP_MONEY(PLANS_SUM)
	 ACTIVE_PLANS ")"},
	/* IN (...) drives the update from the small temp table, so only queued
	 * supporters are visited. */
	{STEP_WARN_FIRST | STEP_WARN_CLAMPED | STEP_COUNTS, "agg.apply",
	 "UPDATE supporters SET (lifetime_donation_amount, lifetime_donation_count,"
	 " first_donation_date, last_donation_date, active_recurring_plans,"
	 " monthly_recurring_amount, aggregates_at) = (SELECT a.amt4 / 10000.0, a.cnt,"
	 " a.first_at, a.last_at, a.plans, a.monthly4 / 10000.0, CAST(?2 AS @time_type)"
	 " FROM cs_agg a WHERE a.id = supporters.id)"
	 " WHERE id IN (SELECT id FROM cs_agg)"},
	/* only what was computed: a row another writer queued after the fill
	 * stays queued for the next recompute */
	{STEP_ALL, "agg.dequeue",
	 "DELETE FROM aggregate_queue WHERE organization_id = ?1"
	 " AND supporter_id IN (SELECT id FROM cs_agg)"},
	{STEP_SOME, "agg.dequeue_some",
	 "DELETE FROM aggregate_queue WHERE organization_id = ?1"
	 " AND supporter_id IN (SELECT id FROM cs_agg)"},
};

/* Active plans of queued supporters whose frequency has no factor. */
static const char unknown_freq_sql[] =
	"SELECT p.id, p.supporter_id, p.frequency FROM cs_agg"
	" JOIN recurring_plans p ON p.supporter_id = cs_agg.id"
	" WHERE p.status = 'active' AND p.deleted_at IS NULL"
	" AND NOT EXISTS (SELECT 1 FROM frequency_factors f WHERE" CS_AGG_FACTOR_OF_P ")"
	" ORDER BY p.id";

static int run_step(cs_sql_store *s, const struct recompute_step *step, long long org,
		    long long limit, const char *stamp, long long *changes, cs_err *err)
{
	cs_sql_stmt *st = NULL;
	const char *sql = cs_sql_text(s->c->dia, step->key, step->sql);
	if (!*sql) /* a step this dialect does not need (another of its steps does it) */
		return 0;
	int rc = cs_sql_prepare(s->c, sql, "prepare the aggregates recompute", &st, err);
	if (rc < 0)
		return rc;
	st->what = "recompute supporter aggregates";
	/* the steps use ?1 and ?2 in order, so a step binds what it names */
	if (strstr(sql, "?1"))
		cs_sql_bind_int(st, 1, org);
	if (strstr(sql, "?2"))
		cs_sql_bind_time(st, 2, stamp);
	if (strstr(sql, "?3"))
		cs_sql_bind_int(st, 3, limit);
	rc = cs_sql_step(st, err);
	if (rc >= 0 && changes)
		*changes = cs_sql_changes(s->c);
	cs_sql_finalize(st);
	return rc < 0 ? rc : 0;
}

/* Whether most of the org's supporters are queued (a quarter or more):
 * then reading all its transactions in order beats looking each queued
 * supporter up. */
static int many_queued(cs_sql_store *s, long long org, long long queued, int *many, cs_err *err)
{
	long long all = 0;
	int rc = cs_sql_query_int(s->c, "SELECT COUNT(*) FROM supporters WHERE organization_id = ?1",
				  "count supporters", CS_SQL_ARGS(CS_V_INT(org)), &all, NULL, err);
	*many = rc == 0 && queued * 4 >= all && queued > 0;
	return rc;
}

#define MAX_FREQ_WARNINGS 10

typedef struct freq_warn {
	long long org, n;
} freq_warn;

static int warn_row(cs_sql_stmt *st, void *arg)
{
	freq_warn *w = arg;
	if (++w->n > MAX_FREQ_WARNINGS)
		return 0;
	const char *freq = cs_sql_col_text(st, 2);
	cs_warn("recurring plan %lld of supporter %lld (org %lld) has %s%s%s: counted as "
		"0 per month; add the frequency to frequency_factors",
		cs_sql_col_int(st, 0), cs_sql_col_int(st, 1), w->org,
		freq ? "unknown frequency '" : "no frequency", freq ? freq : "", freq ? "'" : "");
	return 0;
}

/* Unknown frequencies are data problems, not failures: the plan counts as
 * 0 per month and the operator is told which plans to look at (the first
 * few by id, then how many more, so a big sync does not flood the log). */
static int warn_unknown_frequencies(cs_sql_store *s, long long org, cs_err *err)
{
	freq_warn w = {org, 0};
	int rc = cs_sql_query(s->c, unknown_freq_sql, "check recurring plan frequencies",
			      CS_SQL_NOARGS, warn_row, &w, err);
	if (rc == 0 && w.n > MAX_FREQ_WARNINGS)
		cs_warn("%lld more active recurring plans of org %lld have an unknown frequency",
			w.n - MAX_FREQ_WARNINGS, org);
	return rc;
}

static const char clamped_sql[] =
	"SELECT id, CASE WHEN amt4 >= " MONEY_MAX " OR amt4 <= -" MONEY_MAX
	" THEN 'lifetime amount' ELSE 'monthly recurring amount' END FROM cs_agg"
	" WHERE amt4 >= " MONEY_MAX " OR amt4 <= -" MONEY_MAX " OR monthly4 >= " MONEY_MAX
	" OR monthly4 <= -" MONEY_MAX " ORDER BY id";

static int clamped_row(cs_sql_stmt *st, void *arg)
{
	freq_warn *w = arg;
	if (++w->n <= MAX_FREQ_WARNINGS)
		cs_warn("supporter %lld (org %lld): its %s is beyond the largest amount that can be "
			"stored (922337203685477.5807) and is stored as that; check the amounts of "
			"its gifts and plans in Classy",
			cs_sql_col_int(st, 0), w->org, cs_sql_col_text(st, 1));
	return 0;
}

/* Totals held at the largest amount (CLAMP_MONEY) are data problems, not
 * failures: said per supporter, the first few, then how many more. */
static int warn_clamped(cs_sql_store *s, long long org, cs_err *err)
{
	freq_warn w = {org, 0};
	int rc = cs_sql_query(s->c, clamped_sql, "check supporter totals", CS_SQL_NOARGS,
			      clamped_row, &w, err);
	if (rc == 0 && w.n > MAX_FREQ_WARNINGS)
		cs_warn("%lld more supporters of org %lld have a total beyond the largest amount",
			w.n - MAX_FREQ_WARNINGS, org);
	return rc;
}

/* The recompute's steps in order, those of its kind (the whole queue or a
 * chunk) and of its size (few or many queued); the supporters the filling
 * step queued decide the size, and when it queued none there is nothing
 * more to do (a no-op sync reads no transaction and counts nothing). */
static int run_steps(cs_sql_store *s, long long org, long long limit, const char *stamp,
		     long long *changes, cs_err *err)
{
	long long queued = -1;
	int many = -1, rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(recompute_steps) / sizeof(recompute_steps[0]);
	     i++) {
		const struct recompute_step *step = &recompute_steps[i];
		if ((step->flags & STEP_ALL && limit) || (step->flags & STEP_SOME && !limit))
			continue;
		if (queued == 0)
			break;
		if ((step->flags & (STEP_FEW | STEP_MANY)) && many < 0)
			rc = many_queued(s, org, queued, &many, err);
		if (rc || ((step->flags & STEP_FEW) && many) || ((step->flags & STEP_MANY) && !many))
			continue;
		if (step->flags & STEP_WARN_FIRST)
			rc = warn_unknown_frequencies(s, org, err);
		if (rc == 0 && (step->flags & STEP_WARN_CLAMPED))
			rc = warn_clamped(s, org, err);
		if (rc == 0)
			rc = run_step(s, step, org, limit, stamp,
				      (step->flags & STEP_COUNTS)  ? changes
				      : (step->flags & STEP_FILLS) ? &queued
								   : NULL,
				      err);
	}
	return rc;
}

/* The queued supporters of org (all of them when limit is 0, else up to
 * limit of them), in one transaction. */
static int recompute(cs_sql_store *s, long long org, long long limit, long long *updated,
		     cs_err *err)
{
	char stamp[CS_TIME_BUFSZ];
	long long changes = 0;
	int rc;

	if (updated)
		*updated = 0;
	if (s->in_page)
		return cs_err_set(err, CS_ERR,
				  "cannot recompute aggregates of org %lld while a page is open: "
				  "commit or abort the page first",
				  org);
	/* one stamp for the whole batch, in the stored time form */
	cs_time_format(cs_time_now_ms(), 1, stamp);
	rc = cs_sql_begin(s->c, 1, "start the aggregates transaction", err);
	if (rc != 0)
		return rc;
	rc = run_steps(s, org, limit, stamp, &changes, err);
	rc = cs_sql_end(s->c, rc, "commit supporter aggregates", err);
	if (rc != 0)
		return rc;
	if (updated)
		*updated = changes;
	cs_debug("recomputed aggregates of %lld supporters of org %lld", changes, org);
	return 0;
}

/* A database server breaks a deadlock (a worker's page upsert locks a
 * supporter, then its queue row; the recompute the other way round) by
 * rolling one side back whole: that side runs again, as the servers
 * advise. SQLite has already waited its busy timeout: no retry there. */
#define DEADLOCK_TRIES 3

static int recompute_retrying(cs_sql_store *s, long long org, long long limit,
			      long long *updated, cs_err *err)
{
	for (int tries = 1;; tries++) {
		int rc = recompute(s, org, limit, updated, err);
		if (rc != CS_EBUSY || !s->hooks.reconnect || tries == DEADLOCK_TRIES)
			return rc;
		cs_info("aggregates of org %lld: %s; running them again", org, err->msg);
		memset(err, 0, sizeof(*err));
	}
}

int cs_sql_recompute(cs_store *store, long long org, long long *updated, cs_err *err)
{
	return recompute_retrying((cs_sql_store *)store, org, 0, updated, err);
}

int cs_sql_recompute_some(cs_sql_store *s, cs_recompute_some *r, cs_err *err)
{
	r->updated = 0;
	if (r->limit <= 0)
		return cs_err_set(err, CS_EUSAGE, "cannot recompute a chunk of no supporters");
	return recompute_retrying(s, r->org_id, r->limit, &r->updated, err);
}
