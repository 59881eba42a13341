/* Supporter aggregates (the recompute through the vtable) on a real,
 * migrated and seeded database: exact sums, which transactions count, first
 * and last gift across time forms, the monthly factor of every frequency,
 * and that only queued supporters are touched. */
#include "test_store_fixture.h"
#include "util/money.h"

static void supporter(cs_sql *db, long long id, long long org)
{
	exec(db,
	     "INSERT INTO supporters (id, organization_id, raw_json, synced_at)"
	     " VALUES (%lld, %lld, '{}', " T_FILL ")",
	     id, org);
}

static void tx(cs_sql *db, long long id, long long sup, const char *status, const char *amount,
	       const char *when)
{
	exec(db,
	     "INSERT INTO transactions (id, organization_id, supporter_id, status,"
	     " total_gross_amount, purchased_at, raw_json, synced_at)"
	     " VALUES (%lld, 1, %lld, %Q, %s, %Q, '{}', " T_FILL ")",
	     id, sup, status, amount, when);
}

static void plan(cs_sql *db, long long id, long long sup, const char *status, const char *freq,
		 const char *amount)
{
	exec(db,
	     "INSERT INTO recurring_plans (id, organization_id, supporter_id, status, frequency,"
	     " donation_amount, raw_json, synced_at) VALUES (%lld, 1, %lld, %Q, %Q, %s, '{}',"
	     " " T_FILL ")",
	     id, sup, status, freq, amount);
}

static long long recompute(fx *f, long long org)
{
	cs_err err = {0};
	long long updated = -1;
	if (f->st->recompute_aggregates(f->st, org, &updated, &err))
		fail_msg("recompute: %s", err.msg);
	return updated;
}

static void test_exact_sum(void **state)
{
	fx *f = *state;
	supporter(f->db, 1, 1);
	exec(f->db, "INSERT INTO transactions (id, organization_id, supporter_id, status,"
		    " total_gross_amount, purchased_at, raw_json, synced_at)"
		    " SELECT i + 1, 1, 1, 'success', 0.10, '2024-01-01T00:00:00Z', '{}', " T_FILL
		    " FROM " N10000 " n");
	assert_int_equal(recompute(f, 1), 1);
	cs_sql_stmt *st = row(f->db, "SELECT lifetime_donation_amount, lifetime_donation_count"
				      " FROM supporters WHERE id = 1");
	/* a float SUM of 0.10 drifts to 1000.0000000001588 */
	assert_true(cs_sql_col_real(st, 0) == 1000.0);
	assert_int_equal(cs_sql_col_int(st, 1), 10000);
	cs_sql_finalize(st);
}

/* Only successful, non-deleted transactions count; first and last compare
 * as times, not strings (".500Z" sorts before "Z" but is later). */
static void test_which_gifts_count(void **state)
{
	fx *f = *state;
	supporter(f->db, 1, 1);
	tx(f->db, 1, 1, "success", "10.25", "2024-03-01T10:00:00.500Z");
	tx(f->db, 2, 1, "success", "20.50", "2024-03-01T10:00:00Z");
	tx(f->db, 3, 1, "success", "5", "2023-12-31T23:59:59Z");
	tx(f->db, 4, 1, "failed", "1000", "2025-01-01T00:00:00Z");
	tx(f->db, 5, 1, "refunded", "1000", "2022-01-01T00:00:00Z");
	tx(f->db, 6, 1, "success", "1000", "2025-06-01T00:00:00Z");
	exec(f->db, "UPDATE transactions SET deleted_at = " T_FILL " WHERE id = 6");
	tx(f->db, 7, 2, "success", "77", "2025-01-01T00:00:00Z"); /* someone else */
	assert_int_equal(recompute(f, 1), 1);
	cs_sql_stmt *st = row(f->db,
			       "SELECT lifetime_donation_amount, lifetime_donation_count,"
			       " first_donation_date, last_donation_date, aggregates_at"
			       " FROM supporters WHERE id = 1");
	assert_true(cs_sql_col_real(st, 0) == 35.75);
	assert_int_equal(cs_sql_col_int(st, 1), 3);
	assert_same_time(cs_sql_col_text(st, 2), "2023-12-31T23:59:59Z");
	assert_string_equal(cs_sql_col_text(st, 3), "2024-03-01T10:00:00.500Z");
	assert_non_null(cs_sql_col_text(st, 4));
	cs_sql_finalize(st);

	/* every gift refunded later: the figures fall back once requeued */
	exec(f->db, "UPDATE transactions SET status = 'refunded' WHERE id IN (1, 2, 3);"
		    "INSERT INTO aggregate_queue VALUES (1, 1)");
	assert_int_equal(recompute(f, 1), 1);
	st = row(f->db, "SELECT lifetime_donation_amount, lifetime_donation_count,"
			" first_donation_date, last_donation_date FROM supporters WHERE id = 1");
	assert_true(cs_sql_col_real(st, 0) == 0.0);
	assert_int_equal(cs_sql_col_int(st, 1), 0);
	assert_true(col_null(st, 2));
	assert_true(col_null(st, 3));
	cs_sql_finalize(st);
}

static const struct freq_case {
	const char *frequency, *amount;
	double monthly;
} freq_cases[] = {
	{"daily", "10", 304.375},      {"weekly", "12", 52.0},       {"bi-weekly", "12", 26.0},
	{"monthly", "10.10", 10.10},   {"bi-monthly", "10", 5.0},    {"quarterly", "10", 3.3333},
	{"semi-annually", "10", 1.6667}, {"yearly", "120", 10.0},    {"Monthly", "7", 7.0},
	{" YEARLY ", "24", 2.0},       {"fortnightly", "50", 0.0},   {NULL, "50", 0.0},
};

/* Each spelling gets its own supporter, so each factor is checked alone. */
static void test_monthly_factors(void **state)
{
	fx *f = *state;
	size_t n = sizeof(freq_cases) / sizeof(freq_cases[0]);
	for (size_t i = 0; i < n; i++) {
		supporter(f->db, 100 + (long long)i, 1);
		plan(f->db, 100 + (long long)i, 100 + (long long)i, "active",
		     freq_cases[i].frequency, freq_cases[i].amount);
	}
	assert_int_equal(recompute(f, 1), (long long)n);
	for (size_t i = 0; i < n; i++) {
		cs_sql_stmt *st = row(f->db,
				       "SELECT monthly_recurring_amount, active_recurring_plans"
				       " FROM supporters WHERE id = %lld",
				       100 + (long long)i);
		if (cs_sql_col_real(st, 0) != freq_cases[i].monthly)
			fail_msg("'%s': want %.4f, got %.6f", freq_cases[i].frequency,
				 freq_cases[i].monthly, cs_sql_col_real(st, 0));
		/* an unknown frequency adds 0 but is still an active plan */
		assert_int_equal(cs_sql_col_int(st, 1), 1);
		cs_sql_finalize(st);
	}
}

/* SQL and util/money.c must agree on every spelling in cs_money_frequencies. */
static void test_factors_match_money(void **state)
{
	fx *f = *state;
	const char *amount = "123.4567";
	cs_money m, want;
	assert_int_equal(cs_money_parse(amount, &m), 0);
	for (unsigned i = 0; i < cs_money_nfrequencies; i++) {
		supporter(f->db, 1 + i, 1);
		plan(f->db, 1 + i, 1 + i, "active", cs_money_frequencies[i].name, amount);
	}
	assert_int_equal(recompute(f, 1), (long long)cs_money_nfrequencies);
	for (unsigned i = 0; i < cs_money_nfrequencies; i++) {
		assert_int_equal(cs_money_monthly(m, cs_money_frequencies[i].name, &want), 0);
		cs_sql_stmt *st = row(f->db,
				       "SELECT @x4(monthly_recurring_amount)"
				       " FROM supporters WHERE id = %u",
				       1 + i);
		assert_int_equal(cs_sql_col_int(st, 0), want);
		cs_sql_finalize(st);
	}
}

static void test_active_plans_only(void **state)
{
	fx *f = *state;
	supporter(f->db, 1, 1);
	plan(f->db, 1, 1, "active", "monthly", "25.50");
	plan(f->db, 2, 1, "active", "yearly", "1200");
	plan(f->db, 3, 1, "cancelled", "monthly", "1000");
	plan(f->db, 4, 1, "active", "monthly", "1000");
	exec(f->db, "UPDATE recurring_plans SET deleted_at = " T_FILL " WHERE id = 4");
	assert_int_equal(recompute(f, 1), 1);
	cs_sql_stmt *st = row(f->db, "SELECT monthly_recurring_amount, active_recurring_plans"
				      " FROM supporters WHERE id = 1");
	assert_true(cs_sql_col_real(st, 0) == 125.50);
	assert_int_equal(cs_sql_col_int(st, 1), 2);
	cs_sql_finalize(st);
}

/* After a first pass, only queued supporters are recomputed: an untouched
 * supporter keeps its figures and its aggregates_at even though its
 * transactions changed behind the queue's back. */
static void test_queue_only(void **state)
{
	fx *f = *state;
	supporter(f->db, 1, 1);
	supporter(f->db, 2, 1);
	supporter(f->db, 3, 2);
	tx(f->db, 1, 1, "success", "10", "2024-01-01T00:00:00Z");
	tx(f->db, 2, 2, "success", "20", "2024-01-01T00:00:00Z");
	/* supporters never aggregated are picked up without a queue row */
	assert_int_equal(recompute(f, 1), 2);
	exec(f->db, "UPDATE supporters SET aggregates_at = '2000-01-01T00:00:00Z'");
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM aggregate_queue"), 0);

	tx(f->db, 3, 1, "success", "5", "2024-02-01T00:00:00Z");
	tx(f->db, 4, 2, "success", "500", "2024-02-01T00:00:00Z");
	exec(f->db, "INSERT INTO aggregate_queue VALUES (1, 1), (2, 3)");
	assert_int_equal(recompute(f, 1), 1);

	cs_sql_stmt *st = row(f->db, "SELECT lifetime_donation_amount, aggregates_at"
				      " FROM supporters WHERE id = 1");
	assert_true(cs_sql_col_real(st, 0) == 15.0);
	assert_false(tstore_same_time(cs_sql_col_text(st, 1), "2000-01-01T00:00:00Z"));
	cs_sql_finalize(st);
	st = row(f->db, "SELECT lifetime_donation_amount, aggregates_at FROM supporters"
			" WHERE id = 2");
	assert_true(cs_sql_col_real(st, 0) == 20.0);
	assert_same_time(cs_sql_col_text(st, 1), "2000-01-01T00:00:00Z");
	cs_sql_finalize(st);
	/* org 2's queue is left for org 2's recompute */
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM aggregate_queue"
				      " WHERE organization_id = 2 AND supporter_id = 3"),
			 1);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM aggregate_queue"
				      " WHERE organization_id = 1"),
			 0);
	st = row(f->db, "SELECT aggregates_at FROM supporters WHERE id = 3");
	assert_same_time(cs_sql_col_text(st, 0), "2000-01-01T00:00:00Z");
	cs_sql_finalize(st);

	/* nothing queued: nothing touched */
	assert_int_equal(recompute(f, 1), 0);
}

/* A queued id whose supporter has not arrived (an orphan's) is consumed
 * without error; the supporter is picked up when it arrives. */
static void test_orphan_then_arrival(void **state)
{
	fx *f = *state;
	tx(f->db, 1, 42, "success", "12.34", "2024-01-01T00:00:00Z");
	exec(f->db, "INSERT INTO aggregate_queue VALUES (1, 42)");
	assert_int_equal(recompute(f, 1), 0);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM aggregate_queue"), 0);
	supporter(f->db, 42, 1);
	assert_int_equal(recompute(f, 1), 1);
	cs_sql_stmt *st = row(f->db, "SELECT lifetime_donation_amount FROM supporters"
				      " WHERE id = 42");
	assert_true(cs_sql_col_real(st, 0) == 12.34);
	cs_sql_finalize(st);
}

static void test_refused_inside_page(void **state)
{
	fx *f = *state;
	cs_err err = {0};
	long long updated = -1;
	assert_int_equal(f->st->page_begin(f->st, "2024-01-01T00:00:00Z", &err), 0);
	assert_int_equal(f->st->recompute_aggregates(f->st, 1, &updated, &err), CS_ERR);
	assert_non_null(strstr(err.msg, "while a page is open"));
	f->st->page_abort(f->st);
}

/* The two ways of reading gifts (through the supporter_id index for a few
 * queued supporters, the org's rows in order for many) give the same
 * figures: 40 supporters computed with all queued, then 5 recomputed alone
 * (a quarter is the switch) after their figures were wiped; three of the
 * five have a failed gift beside successful ones, which neither way counts. */
static void test_few_and_many_agree(void **state)
{
	fx *f = *state;
	for (long long s = 1; s <= 40; s++)
		supporter(f->db, s, 1);
	for (long long t = 1; t <= 200; t++) {
		char amount[16], when[32];
		snprintf(amount, sizeof(amount), "%lld.%02lld", t % 37, t % 100);
		snprintf(when, sizeof(when), "2024-%02lld-%02lldT10:00:00Z", 1 + t % 12, 1 + t % 28);
		tx(f->db, t, 1 + (t * 7) % 40, t % 7 ? "success" : "failed", amount, when);
	}
	assert_int_equal(recompute(f, 1), 40);
	exec(f->db, "CREATE TABLE want AS SELECT id, lifetime_donation_amount AS a,"
		    " lifetime_donation_count AS c, first_donation_date AS fd,"
		    " last_donation_date AS ld FROM supporters WHERE id IN (3, 9, 17, 28, 40)");
	exec(f->db, "UPDATE supporters SET lifetime_donation_amount = -1,"
		    " lifetime_donation_count = -1, first_donation_date = NULL,"
		    " last_donation_date = NULL WHERE id IN (3, 9, 17, 28, 40);"
		    "INSERT INTO aggregate_queue VALUES (1, 3), (1, 9), (1, 17), (1, 28), (1, 40)");
	assert_int_equal(recompute(f, 1), 5);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM want w JOIN supporters s ON s.id = w.id"
				      " WHERE s.lifetime_donation_amount = w.a AND"
				      " s.lifetime_donation_count = w.c AND s.first_donation_date ="
				      " w.fd AND s.last_donation_date = w.ld AND w.c > 0"),
			 5);
}

/* Chunks: the lowest queued ids first, taken off the queue; a supporter
 * queued again after its chunk (a newer gift) is done again; the full
 * recompute after them finds only what is left and ends equal. */
static void test_chunks_then_the_rest(void **state)
{
	fx *f = *state;
	for (long long s = 1; s <= 5; s++) {
		supporter(f->db, s, 1);
		tx(f->db, s, s, "success", "10", "2024-01-01T00:00:00Z");
	}
	exec(f->db, "INSERT INTO aggregate_queue VALUES (1, 1), (1, 2), (1, 3), (1, 4), (1, 5);"
		    "UPDATE supporters SET aggregates_at = NULL"); /* a chunk stamps what it did */
	cs_recompute_some r = {.org_id = 1, .limit = 2};
	cs_err err = {0};
	assert_int_equal(f->st->ctrl(f->st, CS_CTRL_RECOMPUTE_SOME, &r, &err), 0);
	assert_int_equal(r.updated, 2);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM aggregate_queue"), 3);
	assert_int_equal(count(f->db, "SELECT MIN(supporter_id) FROM aggregate_queue"), 3);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM supporters"
				      " WHERE aggregates_at IS NOT NULL"),
			 2);
	/* supporter 1 gives again after its chunk: queued again, as an upsert does */
	tx(f->db, 6, 1, "success", "5", "2024-02-01T00:00:00Z");
	exec(f->db, "INSERT INTO aggregate_queue VALUES (1, 1)");
	assert_int_equal(recompute(f, 1), 4); /* 1, 3, 4 and 5 */
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM aggregate_queue"), 0);
	assert_int_equal(count(f->db, "SELECT lifetime_donation_count FROM supporters WHERE id = 1"),
			 2);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM supporters WHERE"
				      " lifetime_donation_amount = 10 AND id > 1"),
			 4);
}

/* A full scan's soft-delete of gifts and plans queues their supporters, so
 * figures computed before (a chunk during the scan) do not keep counting
 * them. */
static void test_absent_rows_queue_their_supporters(void **state)
{
	fx *f = *state;
	supporter(f->db, 1, 1);
	supporter(f->db, 2, 1);
	tx(f->db, 1, 1, "success", "10", "2024-01-01T00:00:00Z");
	tx(f->db, 2, 2, "success", "20", "2024-01-01T00:00:00Z");
	plan(f->db, 1, 2, "active", "monthly", "5");
	assert_int_equal(recompute(f, 1), 2);
	exec(f->db, "UPDATE transactions SET synced_at = '2001-01-01T00:00:00Z' WHERE id = 1;"
		    "UPDATE transactions SET synced_at = '2099-01-01T00:00:00Z' WHERE id = 2;"
		    "UPDATE recurring_plans SET synced_at = '2000-01-01T00:00:00Z'");
	cs_err err = {0};
	long long marked = 0;
	assert_int_equal(f->st->mark_absent(f->st, &cs_entities[CS_ENT_TRANSACTIONS], 1,
					    "2050-01-01T00:00:00Z", &marked, &err), 0);
	assert_int_equal(marked, 1); /* transaction 1, of supporter 1 */
	assert_int_equal(f->st->mark_absent(f->st, &cs_entities[CS_ENT_RECURRING_PLANS], 1,
					    "2050-01-01T00:00:00Z", &marked, &err), 0);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM aggregate_queue WHERE organization_id = 1"
				      " AND supporter_id IN (1, 2)"),
			 2);
	assert_int_equal(recompute(f, 1), 2);
	assert_int_equal(count(f->db, "SELECT lifetime_donation_count FROM supporters WHERE id = 1"),
			 0);
	assert_int_equal(count(f->db, "SELECT active_recurring_plans FROM supporters WHERE id = 2"),
			 0);
}

/* CS_CTRL_HAS_ROWS: whether an org has a row of an entity (a first full
 * scan skips its soft-delete pass when it has none). */
static void test_has_rows(void **state)
{
	fx *f = *state;
	cs_err err = {0};
	cs_has_rows h = {.org_id = 1, .entity = CS_ENT_SUPPORTERS, .any = 1};
	assert_int_equal(f->st->ctrl(f->st, CS_CTRL_HAS_ROWS, &h, &err), 0);
	assert_false(h.any);
	supporter(f->db, 1, 1);
	assert_int_equal(f->st->ctrl(f->st, CS_CTRL_HAS_ROWS, &h, &err), 0);
	assert_true(h.any);
	h = (cs_has_rows){.org_id = 2, .entity = CS_ENT_SUPPORTERS, .any = 1};
	assert_int_equal(f->st->ctrl(f->st, CS_CTRL_HAS_ROWS, &h, &err), 0);
	assert_false(h.any);
	h = (cs_has_rows){.org_id = 1, .entity = CS_ENT_RECURRING_PLANS, .any = 1};
	assert_int_equal(f->st->ctrl(f->st, CS_CTRL_HAS_ROWS, &h, &err), 0);
	assert_false(h.any);
	plan(f->db, 1, 1, "active", "monthly", "5");
	assert_int_equal(f->st->ctrl(f->st, CS_CTRL_HAS_ROWS, &h, &err), 0);
	assert_true(h.any);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact_sum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_which_gifts_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monthly_factors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_factors_match_money, setup, teardown),
		cmocka_unit_test_setup_teardown(test_active_plans_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphan_then_arrival, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_inside_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_few_and_many_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunks_then_the_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_rows_queue_their_supporters, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_has_rows, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
