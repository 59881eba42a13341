/* `db seed` on a real, migrated database: the reference rows, their
 * uniqueness, idempotence, that a user's edit survives a reseed, and the
 * demo organization (through the backend's page path) populating every
 * segment the views know. */
#include "test_store_fixture.h"
#include "util/money.h"

#include <cjson/cJSON.h>

static long long seed(fx *f, int demo)
{
	cs_err err = {0};
	long long inserted = -1;
	if (f->st->seed(f->st, demo, &inserted, &err))
		fail_msg("seed: %s", err.msg);
	return inserted;
}

#define N_SEGMENTS 17 /* 6 value + 6 engagement + 5 frequency */
#define N_SPECIAL 4

static void test_reference_rows(void **state)
{
	fx *f = *state;
	assert_int_equal(seed(f, 0), N_SEGMENTS + N_SPECIAL + (long long)cs_money_nfrequencies);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM segment_thresholds WHERE kind ="
				      " 'value'"),
			 6);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM segment_thresholds WHERE kind ="
				      " 'engagement'"),
			 6);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM segment_thresholds WHERE kind ="
				      " 'frequency'"),
			 5);
	/* the 4-10 gift segment no longer reuses the value tier's name */
	cs_sql_stmt *st = row(f->db, "SELECT segment, tag FROM segment_thresholds WHERE"
				      " kind = 'frequency' AND min_value = 4 AND max_value = 11");
	assert_string_equal(cs_sql_col_text(st, 0), "Frequent Donor");
	cs_sql_finalize(st);
	st = row(f->db, "SELECT tag FROM special_tags WHERE \"key\" = 'monthly_100'");
	assert_string_equal(cs_sql_col_text(st, 0), "$100+ Monthly");
	cs_sql_finalize(st);
	/* ranges of a kind tile without gaps or overlaps, the last unbounded */
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM segment_thresholds a"
				      " JOIN segment_thresholds b ON a.kind = b.kind"
				      " AND b.min_value = a.max_value"),
			 N_SEGMENTS - 3);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM segment_thresholds WHERE"
				      " max_value IS NULL"),
			 3);
}

/* No name may mean two things: segment names are unique across kinds, and
 * tags are unique across every segment and special tag. */
static void test_names_unique(void **state)
{
	fx *f = *state;
	seed(f, 0);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM (SELECT segment FROM"
				      " segment_thresholds GROUP BY segment HAVING COUNT(*) > 1) d"),
			 0);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM (SELECT tag FROM (SELECT tag FROM"
				      " segment_thresholds UNION ALL SELECT tag FROM special_tags) a"
				      " GROUP BY tag HAVING COUNT(*) > 1) d"),
			 0);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM segment_thresholds WHERE tag ="
				      " 'Regular Donor'"),
			 1);
}

static void test_factors_from_money_table(void **state)
{
	fx *f = *state;
	seed(f, 0);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM frequency_factors"),
			 (long long)cs_money_nfrequencies);
	for (unsigned i = 0; i < cs_money_nfrequencies; i++) {
		cs_sql_stmt *st = row(f->db, "SELECT num, den FROM frequency_factors WHERE"
					      " frequency = %Q",
				       cs_money_frequencies[i].name);
		assert_int_equal(cs_sql_col_int(st, 0), cs_money_frequencies[i].num);
		assert_int_equal(cs_sql_col_int(st, 1), cs_money_frequencies[i].den);
		cs_sql_finalize(st);
	}
}

static void test_idempotent_keeps_edits(void **state)
{
	fx *f = *state;
	seed(f, 0);
	exec(f->db, "UPDATE segment_thresholds SET tag = 'Big Fish', min_value = 2000"
		    " WHERE segment = 'Major Donor';"
		    "UPDATE special_tags SET tag = 'Sustainer' WHERE \"key\" = 'monthly_recurring';"
		    "UPDATE frequency_factors SET num = 53 WHERE frequency = 'weekly';"
		    "DELETE FROM special_tags WHERE \"key\" = 'lifetime_5k'");
	/* only the deleted default comes back */
	assert_int_equal(seed(f, 0), 1);
	assert_int_equal(seed(f, 0), 0);
	cs_sql_stmt *st = row(f->db, "SELECT tag, min_value FROM segment_thresholds WHERE"
				      " segment = 'Major Donor'");
	assert_string_equal(cs_sql_col_text(st, 0), "Big Fish");
	assert_true(cs_sql_col_real(st, 1) == 2000.0);
	cs_sql_finalize(st);
	st = row(f->db, "SELECT tag FROM special_tags WHERE \"key\" = 'monthly_recurring'");
	assert_string_equal(cs_sql_col_text(st, 0), "Sustainer");
	cs_sql_finalize(st);
	assert_int_equal(count(f->db, "SELECT num FROM frequency_factors WHERE frequency ="
				      " 'weekly'"),
			 53);
}

static void test_seed_before_migrate_fails(void **state)
{
	fx *f = *state;
	cs_err err = {0};
	long long inserted = 0;
	/* the views that read the table go first: a server refuses to drop
	 * what a view still reads */
	exec(f->db, "DROP VIEW contact_segments; DROP VIEW donor_value_distribution;"
		    " DROP VIEW donor_engagement_distribution; DROP VIEW supporter_segments;"
		    " DROP TABLE segment_thresholds");
	assert_true(f->st->seed(f->st, 0, &inserted, &err) < 0);
	assert_non_null(strstr(err.msg, "db migrate"));
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM special_tags"), 0);
}

/* How many rows a condition holds for (a boolean column on a server). */
#define ONES(cond) "SUM(CASE WHEN " cond " THEN 1 ELSE 0 END)"

/* Every segment of every kind has at least one demo supporter. */
static void assert_all_segments_populated(cs_sql *db)
{
	static const char *const kinds[][2] = {
		{"value", "value_tier"},
		{"engagement", "engagement_segment"},
		{"frequency", "frequency_segment"},
	};
	for (size_t k = 0; k < 3; k++) {
		long long empty = count(db,
					"SELECT COUNT(*) FROM segment_thresholds t WHERE"
					" t.kind = '%s' AND NOT EXISTS (SELECT 1 FROM"
					" supporter_segments s WHERE s.organization_id = 1"
					" AND s.%s = t.segment)",
					kinds[k][0], kinds[k][1]);
		if (empty)
			fail_msg("%lld %s segments have no demo supporter", empty, kinds[k][0]);
	}
	/* the flags are booleans on a server: counted with CASE, not summed */
	cs_sql_stmt *st = row(db, "SELECT " ONES("is_monthly_recurring") ", " ONES("is_lifetime_1k")
				  ", " ONES("is_lifetime_5k") ", " ONES("is_monthly_100") ", "
				  ONES("value_tier IS NULL") " FROM supporter_segments"
				  " WHERE organization_id = 1");
	for (int c = 0; c < 5; c++)
		assert_true(cs_sql_col_int(st, c) > 0);
	cs_sql_finalize(st);
}

/* First names with a byte outside ASCII: UTF-8 with more bytes than
 * characters (counted here: products measure length differently). */
static long long non_ascii_names(tstore *t)
{
	long long n = 0;
	for (const char *p = q_list(t, "SELECT first_name FROM supporters"); *p; p++)
		if ((unsigned char)*p >= 0x80) {
			n++;
			p += strcspn(p, ",") - 1; /* on to the next name */
		}
	return n;
}

static void test_demo(void **state)
{
	fx *f = *state;
	long long inserted = seed(f, 1);
	cs_org org = {0};
	cs_err err = {0};

	assert_int_equal(f->st->org_get(f->st, 1, &org, &err), 0);
	assert_string_equal(org.name, "Demo Organization");
	assert_string_equal(org.client_id, "demo");
	assert_true(!org.secret_enc || !*org.secret_enc);
	cs_org_release(&org);

	long long campaigns = count(f->db, "SELECT COUNT(*) FROM campaigns");
	long long supporters = count(f->db, "SELECT COUNT(*) FROM supporters");
	long long txs = count(f->db, "SELECT COUNT(*) FROM transactions");
	long long plans = count(f->db, "SELECT COUNT(*) FROM recurring_plans");
	assert_int_equal(campaigns, 3);
	assert_int_equal(supporters, 60);
	assert_int_equal(plans, 15);
	assert_in_range(txs, 300, 500);
	assert_int_equal(inserted, N_SEGMENTS + N_SPECIAL + (long long)cs_money_nfrequencies +
					   campaigns + supporters + txs + plans + 1);

	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM transactions t WHERE NOT EXISTS"
				      " (SELECT 1 FROM supporters s WHERE s.id = t.supporter_id)"),
			 2);
	assert_true(count(f->db, "SELECT COUNT(DISTINCT status) FROM transactions") >= 3);
	assert_true(count(f->db, "SELECT COUNT(DISTINCT frequency) FROM recurring_plans") >= 6);
	assert_true(count(f->db, "SELECT COUNT(DISTINCT status) FROM recurring_plans") >= 2);
	assert_true(count(f->db, "SELECT COUNT(*) FROM supporters WHERE email_address IS NULL") >
		    0);
	assert_true(count(f->db, "SELECT COUNT(*) FROM supporters WHERE opt_in = FALSE") > 0);
	assert_true(count(f->db, "SELECT COUNT(*) FROM supporters WHERE opt_in = TRUE") > 0);
	/* unicode names: more bytes than characters */
	assert_true(non_ascii_names(&f->t) > 0);
	/* gifts span about three years */
	assert_true(count(f->db, "SELECT @days_between(@now, MIN(@ts(purchased_at)))"
				 " FROM transactions") > 900);

	/* the records went through the real mapping: raw_json is the record */
	cs_sql_stmt *st = row(f->db, "SELECT raw_json, total_gross_amount, supporter_id"
				      " FROM transactions ORDER BY id LIMIT 1");
	cJSON *j = cJSON_Parse(cs_sql_col_text(st, 0));
	assert_non_null(j);
	assert_true(cJSON_GetObjectItem(j, "total_gross_amount")->valuedouble ==
		    cs_sql_col_real(st, 1));
	assert_true(cJSON_GetObjectItem(j, "supporter_id")->valuedouble ==
		    cs_sql_col_real(st, 2));
	cJSON_Delete(j);
	cs_sql_finalize(st);

	/* aggregates were recomputed for everyone, and the queue drained */
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM supporters WHERE aggregates_at IS"
				      " NULL"),
			 0);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM aggregate_queue"), 0);
	assert_int_equal(count(f->db, "SELECT SUM(lifetime_donation_count) FROM supporters"),
			 count(f->db, "SELECT COUNT(*) FROM transactions t JOIN supporters s"
				      " ON s.id = t.supporter_id WHERE t.status = 'success'"));
	assert_all_segments_populated(f->db);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM campaign_performance WHERE"
				      " gift_count > 0"),
			 3);
}

static void test_demo_idempotent(void **state)
{
	fx *f = *state;
	seed(f, 1);
	long long txs = count(f->db, "SELECT COUNT(*) FROM transactions");
	exec(f->db, "UPDATE supporters SET first_name = 'Edited' WHERE id = 1001");
	assert_int_equal(seed(f, 1), 0);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM transactions"), txs);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM supporters WHERE first_name ="
				      " 'Edited'"),
			 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reference_rows, setup_migrated, teardown),
		cmocka_unit_test_setup_teardown(test_names_unique, setup_migrated, teardown),
		cmocka_unit_test_setup_teardown(test_factors_from_money_table, setup_migrated, teardown),
		cmocka_unit_test_setup_teardown(test_idempotent_keeps_edits, setup_migrated, teardown),
		cmocka_unit_test_setup_teardown(test_seed_before_migrate_fails, setup_migrated, teardown),
		cmocka_unit_test_setup_teardown(test_demo, setup_migrated, teardown),
		cmocka_unit_test_setup_teardown(test_demo_idempotent, setup_migrated, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
