/* The analytics views (migration v3) on a real, fully migrated and seeded
 * database: every segment boundary, NULL segments without a gift, special
 * tags, user edits to thresholds, supporter_summary, campaign_performance and
 * the distributions. Fixture rows are written with SQL so each boundary is
 * exact; times are relative to now with half a day of slack on each side.
 * Runs on every backend; numbers are compared as numbers (a PostgreSQL
 * numeric is read as a real), booleans as 0/1. */
#include "test_store_fixture.h"

static void assert_col_text(cs_sql_stmt *st, int i, const char *want)
{
	const char *got = cs_sql_col_text(st, i);
	if (!want) {
		if (got)
			fail_msg("column %s: want NULL, got '%s'", cs_sql_col_name(st, i), got);
		return;
	}
	if (!got || strcmp(got, want))
		fail_msg("column %s: want '%s', got '%s'", cs_sql_col_name(st, i), want,
			 got ? got : "NULL");
}

/* A supporter with aggregates given directly; days < 0 means no gift date. */
static void supporter(cs_sql *db, long long id, long long org, const char *amount, int count,
		      int days, const char *monthly, int plans)
{
	exec(db,
	     "INSERT INTO supporters (id, organization_id, first_name, last_name, email_address,"
	     " raw_json, synced_at, lifetime_donation_amount, lifetime_donation_count,"
	     " last_donation_date, monthly_recurring_amount, active_recurring_plans, aggregates_at)"
	     " VALUES (%lld, %lld, 'F%lld', 'L', 'x%lld@example.org', '{}', " T_FILL ", %s, %d,"
	     " %s, %s, %d, " T_FILL ")",
	     id, org, id, id, amount, count, days >= 0 ? ago(days, 12) : "NULL", monthly, plans);
}

static const struct seg_case {
	const char *amount;
	int count, days;
	const char *value, *engagement, *frequency;
} seg_cases[] = {
	{"0", 1, 0, "First-Time", "Recent Donor", "One-Time Donor"},
	{"24.99", 1, 30, "First-Time", "Recent Donor", "One-Time Donor"},
	{"25.00", 2, 31, "Small Donor", "Active Donor", "Repeat Donor"},
	{"99.99", 3, 90, "Small Donor", "Active Donor", "Repeat Donor"},
	{"100.00", 4, 91, "Regular Donor", "Warm Donor", "Frequent Donor"},
	{"999.99", 10, 180, "Regular Donor", "Warm Donor", "Frequent Donor"},
	{"1000.00", 11, 181, "Major Donor", "Cooling Donor", "Loyal Donor"},
	{"4999.99", 25, 365, "Major Donor", "Cooling Donor", "Loyal Donor"},
	{"5000.00", 26, 366, "Principal Donor", "Lapsed Donor", "Champion Donor"},
	{"9999.99", 27, 730, "Principal Donor", "Lapsed Donor", "Champion Donor"},
	{"10000.00", 100, 731, "Transformational", "Dormant Donor", "Champion Donor"},
	{"123456.78", 500, 3000, "Transformational", "Dormant Donor", "Champion Donor"},
};

static void test_segment_boundaries(void **state)
{
	fx *f = *state;
	size_t n = sizeof(seg_cases) / sizeof(seg_cases[0]);
	for (size_t i = 0; i < n; i++)
		supporter(f->db, 100 + (long long)i, 1, seg_cases[i].amount, seg_cases[i].count,
			  seg_cases[i].days, "0", 0);
	for (size_t i = 0; i < n; i++) {
		const struct seg_case *c = &seg_cases[i];
		cs_sql_stmt *st = row(f->db,
				       "SELECT value_tier, value_tag, engagement_segment,"
				       " engagement_tag, frequency_segment, frequency_tag,"
				       " days_since_last_gift FROM supporter_segments"
				       " WHERE supporter_id = %lld",
				       100 + (long long)i);
		assert_col_text(st, 0, c->value);
		assert_col_text(st, 1, c->value);
		assert_col_text(st, 2, c->engagement);
		assert_col_text(st, 3, c->engagement);
		assert_col_text(st, 4, c->frequency);
		assert_col_text(st, 5, c->frequency);
		assert_int_equal(cs_sql_col_int(st, 6), c->days);
		cs_sql_finalize(st);
	}
}

static void test_no_gift_null_segments(void **state)
{
	fx *f = *state;
	supporter(f->db, 1, 1, "0", 0, -1, "0", 0);
	/* a stale date without a counted gift still yields no segment */
	supporter(f->db, 2, 1, "0", 0, 5, "0", 0);
	for (int id = 1; id <= 2; id++) {
		cs_sql_stmt *st = row(f->db,
				       "SELECT value_tier, value_tag, engagement_segment,"
				       " engagement_tag, frequency_segment, frequency_tag,"
				       " is_monthly_recurring, is_lifetime_1k FROM supporter_segments"
				       " WHERE supporter_id = %d",
				       id);
		for (int c = 0; c < 6; c++)
			assert_true(col_null(st, c));
		assert_int_equal(cs_sql_col_int(st, 6), 0);
		assert_int_equal(cs_sql_col_int(st, 7), 0);
		cs_sql_finalize(st);
	}
	cs_sql_stmt *st = row(f->db, "SELECT days_since_last_gift FROM supporter_segments"
				      " WHERE supporter_id = 1");
	assert_true(col_null(st, 0));
	cs_sql_finalize(st);
}

static const struct special_case {
	const char *amount, *monthly;
	int plans;
	int recurring, k1, k5, m100;
} special_cases[] = {
	{"999.99", "99.99", 0, 0, 0, 0, 0},
	{"1000.00", "100.00", 1, 1, 1, 0, 1},
	{"4999.99", "0", 2, 1, 1, 0, 0},
	{"5000.00", "250.5", 1, 1, 1, 1, 1},
};

static void test_special_tags(void **state)
{
	fx *f = *state;
	size_t n = sizeof(special_cases) / sizeof(special_cases[0]);
	for (size_t i = 0; i < n; i++)
		supporter(f->db, 10 + (long long)i, 1, special_cases[i].amount, 3, 10,
			  special_cases[i].monthly, special_cases[i].plans);
	for (size_t i = 0; i < n; i++) {
		const struct special_case *c = &special_cases[i];
		cs_sql_stmt *st = row(f->db,
				       "SELECT is_monthly_recurring, is_lifetime_1k, is_lifetime_5k,"
				       " is_monthly_100, monthly_recurring_tag, lifetime_1k_tag,"
				       " lifetime_5k_tag, monthly_100_tag FROM supporter_segments"
				       " WHERE supporter_id = %lld",
				       10 + (long long)i);
		assert_int_equal(cs_sql_col_int(st, 0), c->recurring);
		assert_int_equal(cs_sql_col_int(st, 1), c->k1);
		assert_int_equal(cs_sql_col_int(st, 2), c->k5);
		assert_int_equal(cs_sql_col_int(st, 3), c->m100);
		assert_col_text(st, 4, "Monthly Recurring");
		assert_col_text(st, 5, "$1K+ Lifetime");
		assert_col_text(st, 6, "$5K+ Lifetime");
		assert_col_text(st, 7, "$100+ Monthly");
		cs_sql_finalize(st);
	}
}

/* Thresholds and tags are read by join, so an edit applies at once. */
static void test_user_edits_apply(void **state)
{
	fx *f = *state;
	supporter(f->db, 1, 1, "150", 1, 10, "0", 0);
	exec(f->db, "UPDATE segment_thresholds SET tag = 'Classy Regular' WHERE segment ="
		    " 'Regular Donor'");
	cs_sql_stmt *st = row(f->db, "SELECT value_tier, value_tag FROM supporter_segments");
	assert_col_text(st, 0, "Regular Donor");
	assert_col_text(st, 1, "Classy Regular");
	cs_sql_finalize(st);

	exec(f->db, "UPDATE segment_thresholds SET max_value = 200 WHERE segment = 'Small Donor';"
		    "UPDATE segment_thresholds SET min_value = 200 WHERE segment = 'Regular Donor';"
		    "UPDATE special_tags SET tag = 'VIP' WHERE \"key\" = 'lifetime_1k'");
	st = row(f->db, "SELECT value_tier, lifetime_1k_tag FROM supporter_segments");
	assert_col_text(st, 0, "Small Donor");
	assert_col_text(st, 1, "VIP");
	cs_sql_finalize(st);
}

static void test_deleted_supporters_left_out(void **state)
{
	fx *f = *state;
	supporter(f->db, 1, 1, "50", 1, 10, "0", 0);
	supporter(f->db, 2, 1, "50", 1, 10, "0", 0);
	exec(f->db, "UPDATE supporters SET deleted_at = " T_FILL " WHERE id = 2");
	const char *views[] = {"supporter_segments", "supporter_summary"};
	for (size_t i = 0; i < 2; i++) {
		cs_sql_stmt *st = row(f->db, "SELECT COUNT(*), MIN(supporter_id) FROM %s", views[i]);
		assert_int_equal(cs_sql_col_int(st, 0), 1);
		assert_int_equal(cs_sql_col_int(st, 1), 1);
		cs_sql_finalize(st);
	}
}

static void tx(cs_sql *db, long long id, long long sup, long long campaign, const char *status,
	       const char *amount, const char *when)
{
	exec(db,
	     "INSERT INTO transactions (id, organization_id, supporter_id, campaign_id, status,"
	     " total_gross_amount, purchased_at, raw_json, synced_at)"
	     " VALUES (%lld, 1, %lld, %lld, '%q', %s, %s, '{}', " T_FILL ")",
	     id, sup, campaign, status, amount, when);
}

/* exact integer sum of a money column, in ten-thousandths (the dialect's
 * word for it: CAST(ROUND(x * 10000) AS INTEGER) in SQLite) */
#define X4(col) "SUM(@x4(" col "))"

#define AGO(days) ago(days, 0)

static void test_supporter_summary(void **state)
{
	fx *f = *state;
	supporter(f->db, 1, 1, "60", 3, 10, "25", 1);  /* recurring */
	supporter(f->db, 2, 1, "30", 1, 400, "0", 0);  /* one-time */
	supporter(f->db, 3, 1, "0", 0, -1, "0", 0);    /* none */
	exec(f->db, "UPDATE supporters SET first_name = NULL, last_name = NULL WHERE id = 3");
	const char *t1 = AGO(10);
	tx(f->db, 1, 1, 0, "success", "10.10", t1);
	/* same day, later by milliseconds: the latest gift despite sorting
	 * before it as a string */
	exec(f->db, "INSERT INTO transactions (id, organization_id, supporter_id, status,"
		    " total_gross_amount, purchased_at, raw_json, synced_at) VALUES (2, 1, 1,"
		    " 'success', 19.90, '%.19s.500Z', '{}', " T_FILL ")", t1 + 1);
	tx(f->db, 3, 1, 0, "success", "30", AGO(366));
	tx(f->db, 4, 1, 0, "failed", "500", AGO(1));
	tx(f->db, 5, 2, 0, "success", "30", AGO(364));

	cs_sql_stmt *st = row(f->db,
			       "SELECT name, donor_type, last_gift_amount, gifts_last_12_months,"
			       " amount_last_12_months, lifetime_donation_count FROM"
			       " supporter_summary WHERE supporter_id = 1");
	assert_col_text(st, 0, "F1 L");
	assert_col_text(st, 1, "recurring");
	assert_true(cs_sql_col_real(st, 2) == 19.90);
	assert_int_equal(cs_sql_col_int(st, 3), 2);
	assert_true(cs_sql_col_real(st, 4) == 30.0);
	assert_int_equal(cs_sql_col_int(st, 5), 3);
	cs_sql_finalize(st);

	st = row(f->db, "SELECT donor_type, gifts_last_12_months, amount_last_12_months"
			" FROM supporter_summary WHERE supporter_id = 2");
	assert_col_text(st, 0, "one-time");
	assert_int_equal(cs_sql_col_int(st, 1), 1);
	assert_true(cs_sql_col_real(st, 2) == 30.0);
	cs_sql_finalize(st);

	st = row(f->db, "SELECT donor_type, name, last_gift_amount, gifts_last_12_months"
			" FROM supporter_summary WHERE supporter_id = 3");
	assert_col_text(st, 0, "none");
	assert_col_text(st, 1, NULL);
	assert_col_text(st, 2, NULL);
	assert_int_equal(cs_sql_col_int(st, 3), 0);
	cs_sql_finalize(st);
}

static void campaign(cs_sql *db, long long id, const char *goal, const char *started,
		     const char *ended)
{
	exec(db,
	     "INSERT INTO campaigns (id, organization_id, name, status, goal, started_at,"
	     " ended_at, raw_json, synced_at) VALUES (%lld, 1, 'C%lld', 'active', %s, %s, %s,"
	     " '{}', " T_FILL ")",
	     id, id, goal, started, ended);
}

static void test_campaign_performance(void **state)
{
	fx *f = *state;
	campaign(f->db, 1, "100", AGO(10), AGO(4));
	campaign(f->db, 2, "0", AGO(20), "NULL");
	campaign(f->db, 3, "NULL", AGO(5), ago(-30, 0));
	campaign(f->db, 4, "500", "NULL", "NULL");
	tx(f->db, 1, 7, 1, "success", "10.00", AGO(5));
	tx(f->db, 2, 7, 1, "success", "20.00", AGO(5));
	tx(f->db, 3, 8, 1, "success", "5.55", AGO(5));
	tx(f->db, 4, 8, 1, "failed", "1000", AGO(5));
	tx(f->db, 5, 9, 1, "success", "1000", AGO(5));
	exec(f->db, "UPDATE transactions SET deleted_at = " T_FILL " WHERE id = 5");
	/* 10,000 x 0.10 must raise exactly 1000 */
	exec(f->db, "INSERT INTO transactions (id, organization_id, supporter_id, campaign_id,"
		    " status, total_gross_amount, purchased_at, raw_json, synced_at)"
		    " SELECT 1001 + i, 1, (i + 1) %% 3, 2, 'success', 0.10,"
		    " '2024-01-01T00:00:00Z', '{}', " T_FILL " FROM " N10000 " n");

	cs_sql_stmt *st = row(f->db,
			       "SELECT raised, unique_donors, gift_count, average_gift,"
			       " percent_of_goal, duration_days, name, goal"
			       " FROM campaign_performance WHERE campaign_id = 1");
	assert_true(cs_sql_col_real(st, 0) == 35.55);
	assert_int_equal(cs_sql_col_int(st, 1), 2);
	assert_int_equal(cs_sql_col_int(st, 2), 3);
	assert_true(cs_sql_col_real(st, 3) == 11.85);
	assert_true(cs_sql_col_real(st, 4) == 35.55);
	assert_int_equal(cs_sql_col_int(st, 5), 6);
	assert_col_text(st, 6, "C1");
	cs_sql_finalize(st);

	st = row(f->db, "SELECT raised, unique_donors, gift_count, average_gift, percent_of_goal,"
			" duration_days FROM campaign_performance WHERE campaign_id = 2");
	assert_true(cs_sql_col_real(st, 0) == 1000.0);
	assert_int_equal(cs_sql_col_int(st, 1), 3);
	assert_int_equal(cs_sql_col_int(st, 2), 10000);
	assert_true(cs_sql_col_real(st, 3) == 0.10);
	assert_true(col_null(st, 4)); /* goal 0 */
	assert_int_equal(cs_sql_col_int(st, 5), 20);           /* not ended: to now */
	cs_sql_finalize(st);

	/* no gifts, no goal, ends in the future: runs to now */
	st = row(f->db, "SELECT raised, gift_count, average_gift, percent_of_goal, duration_days"
			" FROM campaign_performance WHERE campaign_id = 3");
	assert_true(cs_sql_col_real(st, 0) == 0.0);
	assert_int_equal(cs_sql_col_int(st, 1), 0);
	assert_true(col_null(st, 2));
	assert_true(col_null(st, 3));
	assert_int_equal(cs_sql_col_int(st, 4), 5);
	cs_sql_finalize(st);

	st = row(f->db, "SELECT percent_of_goal, duration_days FROM campaign_performance"
			" WHERE campaign_id = 4");
	assert_true(cs_sql_col_real(st, 0) == 0.0);
	assert_true(col_null(st, 1));
	cs_sql_finalize(st);
}

static void test_distributions_sum(void **state)
{
	fx *f = *state;
	size_t n = sizeof(seg_cases) / sizeof(seg_cases[0]);
	for (size_t i = 0; i < n; i++)
		supporter(f->db, 100 + (long long)i, 1 + (long long)(i % 2), seg_cases[i].amount,
			  seg_cases[i].count, seg_cases[i].days, "12.5", 1);
	supporter(f->db, 1, 1, "0", 0, -1, "0", 0);
	supporter(f->db, 2, 2, "0", 0, -1, "0", 0);
	supporter(f->db, 3, 2, "0", 0, -1, "0", 0);
	const char *views[] = {"donor_value_distribution", "donor_engagement_distribution"};
	for (size_t v = 0; v < 2; v++) {
		for (int org = 1; org <= 2; org++) {
			cs_sql_stmt *st = row(
				f->db,
				"SELECT d.n, d.total, d.monthly, s.n, s.total, s.monthly FROM"
				" (SELECT SUM(supporters) AS n, " X4("total_lifetime_value") " AS total,"
				" " X4("monthly_recurring_amount") " AS monthly FROM %s"
				" WHERE organization_id = %d) d,"
				" (SELECT COUNT(*) AS n, " X4("lifetime_donation_amount") " AS total,"
				" " X4("monthly_recurring_amount") " AS monthly FROM supporters"
				" WHERE organization_id = %d AND deleted_at IS NULL) s",
				views[v], org, org);
			assert_int_equal(cs_sql_col_int(st, 0), cs_sql_col_int(st, 3));
			assert_int_equal(cs_sql_col_int(st, 1), cs_sql_col_int(st, 4));
			assert_int_equal(cs_sql_col_int(st, 2), cs_sql_col_int(st, 5));
			assert_true(cs_sql_col_int(st, 1) > 0);
			cs_sql_finalize(st);
		}
	}
	/* org 1 holds the even seg_cases: Major Donor is 1000.00 alone */
	cs_sql_stmt *st = row(f->db, "SELECT supporters, total_lifetime_value,"
				      " average_lifetime_value, sort FROM donor_value_distribution"
				      " WHERE organization_id = 1 AND value_tier = 'Major Donor'");
	assert_int_equal(cs_sql_col_int(st, 0), 1);
	assert_true(cs_sql_col_real(st, 1) == 1000.0);
	assert_true(cs_sql_col_real(st, 2) == 1000.0);
	assert_int_equal(cs_sql_col_int(st, 3), 3);
	cs_sql_finalize(st);
	st = row(f->db, "SELECT supporters, total_lifetime_value FROM donor_value_distribution"
			" WHERE organization_id = 2 AND value_tier IS NULL");
	assert_int_equal(cs_sql_col_int(st, 0), 2);
	assert_true(cs_sql_col_real(st, 1) == 0.0);
	cs_sql_finalize(st);
}

static void test_views_roll_back(void **state)
{
	fx *f = *state;
	int version = 0;
	cs_err err = {0};
	/* down to v2: the later migrations hold every view */
	do
		assert_int_equal(f->st->rollback(f->st, &version, &err), 0);
	while (version > 3);
	assert_int_equal(version, 3); /* the version rolled back */
	assert_int_equal(tstore_count_views(&f->t), 0);
	assert_int_equal(cs_sql_has_table(f->db, "segment_thresholds"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_segment_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_gift_null_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_edits_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_supporters_left_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_supporter_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_campaign_performance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_distributions_sum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_views_roll_back, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
