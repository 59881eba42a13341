/* Supporter aggregates, recomputed only for the supporters the upserts
 * queued in aggregate_queue (plus any supporter that never had them), never
 * by rescanning everything.
 *
 * The work is set-based and driven by the queue: the queued ids go into a
 * temp table, their successful gifts are copied once (through the index on
 * transactions(supporter_id)) into a narrow temp table the figures are
 * computed from, plans are read through recurring_plans(supporter_id), and
 * one UPDATE copies the results into supporters. Money is summed as integer
 * ten-thousandths so it never drifts. */
#include "store/sqlite_int.h"
#include "util/log.h"
#include "util/timeutil.h"

#define X4(col) "CAST(ROUND(" col " * 10000) AS INTEGER)"

#define ACTIVE_PLANS \
	" FROM recurring_plans p WHERE p.supporter_id = cs_agg.id AND p.status = 'active'" \
	" AND p.deleted_at IS NULL"
/* Frequencies match case-insensitively, as the API spells them loosely. */
#define FACTOR_OF_P " f.frequency = LOWER(TRIM(p.frequency))"

enum step_flags {
	STEP_WARN_FIRST = 1 << 0, /* log unknown frequencies before this step */
	STEP_COUNTS = 1 << 1      /* its changes are the supporters updated */
};

/* ?1 is the organization, ?2 the aggregates_at stamp. */
static const struct recompute_step {
	int flags;
	const char *sql;
} recompute_steps[] = {
	/* Supporters that arrived after the transactions pointing at them
	 * (orphans at the time) never had aggregates: queue them too. */
	{0, "INSERT OR IGNORE INTO aggregate_queue (organization_id, supporter_id)"
	    " SELECT organization_id, id FROM supporters"
	    " WHERE organization_id = ?1 AND aggregates_at IS NULL"},
	{0, "CREATE TEMP TABLE IF NOT EXISTS cs_agg (id INTEGER PRIMARY KEY,"
	    " amt4 INTEGER NOT NULL DEFAULT 0, cnt INTEGER NOT NULL DEFAULT 0,"
	    " first_at TEXT, last_at TEXT, plans INTEGER NOT NULL DEFAULT 0,"
	    " monthly4 INTEGER NOT NULL DEFAULT 0)"},
	{0, "CREATE TEMP TABLE IF NOT EXISTS cs_gift (sid INTEGER NOT NULL, jd REAL, at TEXT,"
	    " amt4 INTEGER)"},
	{0, "DELETE FROM temp.cs_agg"},
	{0, "DELETE FROM temp.cs_gift"},
	{0, "INSERT OR IGNORE INTO temp.cs_agg (id) SELECT supporter_id FROM aggregate_queue"
	    " WHERE organization_id = ?1 AND supporter_id IS NOT NULL"},
	/* The only read of transaction rows: each is about a page of raw_json,
	 * so the figures below come from this narrow copy, not three more
	 * passes. CROSS JOIN keeps the small queue as the outer loop. */
	{0, "INSERT INTO temp.cs_gift SELECT t.supporter_id, julianday(t.purchased_at),"
	    " t.purchased_at, " X4("t.total_gross_amount") " FROM temp.cs_agg a"
	    " CROSS JOIN transactions t ON t.supporter_id = a.id"
	    " WHERE t.status = 'success' AND t.deleted_at IS NULL"},
	{0, "UPDATE temp.cs_agg SET amt4 = g.amt4, cnt = g.cnt FROM (SELECT sid,"
	    " COALESCE(SUM(amt4), 0) AS amt4, COUNT(*) AS cnt FROM temp.cs_gift GROUP BY sid) g"
	    " WHERE g.sid = cs_agg.id"},
	/* with a single MIN() or MAX(), SQLite takes the bare column `at` from
	 * that row: the stored text of the earliest or latest gift, compared as
	 * a time */
	{0, "UPDATE temp.cs_agg SET first_at = g.at FROM (SELECT sid, at, MIN(jd)"
	    " FROM temp.cs_gift WHERE jd IS NOT NULL GROUP BY sid) g WHERE g.sid = cs_agg.id"},
	{0, "UPDATE temp.cs_agg SET last_at = g.at FROM (SELECT sid, at, MAX(jd)"
	    " FROM temp.cs_gift WHERE jd IS NOT NULL GROUP BY sid) g WHERE g.sid = cs_agg.id"},
	/* each plan rounded to ten-thousandths, half away from zero; an
	 * unknown frequency has no factor and contributes 0 */
	{0, "UPDATE temp.cs_agg SET (plans, monthly4) = (SELECT COUNT(*), COALESCE(SUM((SELECT"
	    " CAST(ROUND(" X4("p.donation_amount") " * f.num * 1.0 / f.den) AS INTEGER)"
	    " FROM frequency_factors f WHERE" FACTOR_OF_P ")), 0)" ACTIVE_PLANS ")"},
	/* IN (...) drives the update from the small temp table, so only queued
	 * supporters are visited. */
	{STEP_WARN_FIRST | STEP_COUNTS,
	 "UPDATE supporters SET (lifetime_donation_amount, lifetime_donation_count,"
	 " first_donation_date, last_donation_date, active_recurring_plans,"
	 " monthly_recurring_amount, aggregates_at) = (SELECT a.amt4 / 10000.0, a.cnt,"
	 " a.first_at, a.last_at, a.plans, a.monthly4 / 10000.0, ?2"
	 " FROM temp.cs_agg a WHERE a.id = supporters.id)"
	 " WHERE id IN (SELECT id FROM temp.cs_agg)"},
	{0, "DELETE FROM aggregate_queue WHERE organization_id = ?1"},
};

/* Active plans of queued supporters whose frequency has no factor. */
static const char unknown_freq_sql[] =
	"SELECT p.id, p.supporter_id, p.frequency FROM temp.cs_agg"
	" JOIN recurring_plans p ON p.supporter_id = cs_agg.id"
	" WHERE p.status = 'active' AND p.deleted_at IS NULL"
	" AND NOT EXISTS (SELECT 1 FROM frequency_factors f WHERE" FACTOR_OF_P ")"
	" ORDER BY p.id";

static int run_step(cs_sqlite *s, const char *sql, long long org, const char *stamp,
		    long long *changes, cs_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cs_sqlite_fail(s, rc, "prepare the aggregates recompute", err);
	int np = sqlite3_bind_parameter_count(st);
	if (np >= 1)
		sqlite3_bind_int64(st, 1, org);
	if (np >= 2)
		sqlite3_bind_text(st, 2, stamp, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cs_sqlite_fail(s, rc, "recompute supporter aggregates", err);
	if (changes)
		*changes = sqlite3_changes(s->db);
	return 0;
}

#define MAX_FREQ_WARNINGS 10

/* Unknown frequencies are data problems, not failures: the plan counts as
 * 0 per month and the operator is told which plans to look at (the first
 * few by id, then how many more, so a big sync does not flood the log). */
static int warn_unknown_frequencies(cs_sqlite *s, long long org, cs_err *err)
{
	sqlite3_stmt *st = NULL;
	long long n = 0;
	int rc = sqlite3_prepare_v2(s->db, unknown_freq_sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return cs_sqlite_fail(s, rc, "check recurring plan frequencies", err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (++n > MAX_FREQ_WARNINGS)
			continue;
		const char *freq = (const char *)sqlite3_column_text(st, 2);
		cs_warn("recurring plan %lld of supporter %lld (org %lld) has %s%s%s: counted as "
			"0 per month; add the frequency to frequency_factors",
			(long long)sqlite3_column_int64(st, 0),
			(long long)sqlite3_column_int64(st, 1), org,
			freq ? "unknown frequency '" : "no frequency", freq ? freq : "",
			freq ? "'" : "");
	}
	if (n > MAX_FREQ_WARNINGS)
		cs_warn("%lld more active recurring plans of org %lld have an unknown frequency",
			n - MAX_FREQ_WARNINGS, org);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return cs_sqlite_fail(s, rc, "check recurring plan frequencies", err);
	return 0;
}

int cs_sqlite_recompute(cs_sqlite *s, long long org, long long *updated, cs_err *err)
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
	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return cs_sqlite_fail(s, rc, "start the aggregates transaction", err);
	for (size_t i = 0; i < sizeof(recompute_steps) / sizeof(recompute_steps[0]); i++) {
		const struct recompute_step *step = &recompute_steps[i];
		if ((step->flags & STEP_WARN_FIRST) && (rc = warn_unknown_frequencies(s, org, err)))
			goto out_rollback;
		rc = run_step(s, step->sql, org, stamp,
			      (step->flags & STEP_COUNTS) ? &changes : NULL, err);
		if (rc)
			goto out_rollback;
	}
	rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = cs_sqlite_fail(s, rc, "commit supporter aggregates", err);
		goto out_rollback;
	}
	if (updated)
		*updated = changes;
	cs_debug("recomputed aggregates of %lld supporters of org %lld", changes, org);
	return 0;
out_rollback:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
