/* Plugin state in the store (migration v4): contact_segments merges
 * supporters by folded email under the documented rule, the contacts walk
 * joins the last-sent state of one plugin and scope, state and outcome
 * writes land in one transaction, and the status summary reads them. */
#include "test_store_fixture.h"

#include <cjson/cJSON.h>

/* A supporter with aggregates; updated is an SQL time expression, opt_in
 * an SQL boolean. */
static void sup(cs_sql *db, long long id, long long org, const char *email, const char *opt_in,
		const char *first, const char *amount, int count, const char *updated)
{
	char first_gift[32] = "NULL", last_gift[32] = "NULL";
	if (count > 0) {
		snprintf(first_gift, sizeof(first_gift), "'2024-01-0%lldT10:00:00Z'", id % 9 + 1);
		snprintf(last_gift, sizeof(last_gift), "'2025-06-0%lldT10:00:00.000Z'", id % 9 + 1);
	}
	exec(db,
	     "INSERT INTO supporters (id, organization_id, first_name, last_name, email_address,"
	     " opt_in, raw_json, synced_at, updated_at, lifetime_donation_amount,"
	     " lifetime_donation_count, first_donation_date, last_donation_date,"
	     " monthly_recurring_amount, active_recurring_plans, aggregates_at)"
	     " VALUES (%lld, %lld, %Q, 'L', %Q, %s, '{}', " T_FILL ", %s, %s, %d,"
	     " %s, %s, 0, 0, " T_FILL ")",
	     id, org, first, email, opt_in, updated, amount, count, first_gift, last_gift);
}

static void test_contact_merge_rule(void **state)
{
	fx *f = *state;
	/* the same person twice, differing only in case and spaces */
	sup(f->db, 1, 1, "Ann@Example.org", "FALSE", "Old", "100.10", 1, "'2025-01-01T00:00:00Z'");
	sup(f->db, 2, 1, " ann@example.ORG ", "TRUE", "New", "900.00", 3, "'2025-02-01T00:00:00Z'");
	sup(f->db, 3, 1, "bob@example.org", "TRUE", "Bob", "10", 1, "'2025-02-01T00:00:00Z'");
	sup(f->db, 4, 1, "   ", "TRUE", "Blank", "10", 1, "'2025-02-01T00:00:00Z'");
	sup(f->db, 5, 2, "ann@example.org", "TRUE", "Other org", "5", 1, "'2025-02-01T00:00:00Z'");
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM contact_segments WHERE organization_id = 1"), 2);
	cs_sql_stmt *st = row(f->db,
			       "SELECT supporter_id, merged_supporters, first_name, opt_in,"
			       " lifetime_donation_amount, lifetime_donation_count, value_tier,"
			       " first_donation_date, last_donation_date, email_address"
			       " FROM contact_segments WHERE organization_id = 1"
			       " AND email_key = 'ann@example.org'");
	/* the latest record speaks for the person; the figures add up */
	assert_int_equal(cs_sql_col_int(st, 0), 2);
	assert_int_equal(cs_sql_col_int(st, 1), 2);
	assert_string_equal(cs_sql_col_text(st, 2), "New");
	assert_int_equal(cs_sql_col_int(st, 3), 1);
	assert_true(cs_sql_col_real(st, 4) == 1000.10);
	assert_int_equal(cs_sql_col_int(st, 5), 4);
	assert_string_equal(cs_sql_col_text(st, 6), "Major Donor"); /* 1000.10 merged */
	assert_string_equal(cs_sql_col_text(st, 7), "2024-01-02");
	assert_string_equal(cs_sql_col_text(st, 8), "2025-06-03");
	assert_string_equal(cs_sql_col_text(st, 9), "ann@example.ORG");
	cs_sql_finalize(st);
}

typedef struct walk {
	int n;
	char keys[8][64];
	char sent[8][16];
	long long sup[8];
} walk;

static int on_contact(const cs_contact *c, void *ctx)
{
	walk *w = ctx;
	assert_true(w->n < 8);
	snprintf(w->keys[w->n], sizeof(w->keys[0]), "%s", c->email_key);
	snprintf(w->sent[w->n], sizeof(w->sent[0]), "%s", c->sent_status ? c->sent_status : "-");
	w->sup[w->n] = c->supporter_id;
	w->n++;
	return 0;
}

static void test_walk_joins_state_of_plugin_and_scope(void **state)
{
	fx *f = *state;
	cs_err err = {0};
	sup(f->db, 1, 1, "b@example.org", "TRUE", "B", "10", 1, "'2025-01-01T00:00:00Z'");
	sup(f->db, 2, 1, "a@example.org", "TRUE", "A", "10", 1, "'2025-01-01T00:00:00Z'");
	cs_plugin_run run = {.org_id = 1};
	snprintf(run.plugin, sizeof(run.plugin), "mailchimp");
	assert_int_equal(f->st->plugin_run_begin(f->st, &run, &err), 0);
	cs_plugin_state s = {.scope = "list1", .email_key = "b@example.org", .org_id = 1,
			     .supporter_id = 1, .hash = "h1", .payload = "{}", .status = "sent"};
	cs_plugin_outcome o = {.org_id = 1, .supporter_id = 1, .email_key = "b@example.org",
			       .action = "create", .status = "rejected", .error_title = "Invalid Resource",
			       .error_detail = "looks fake", .request_id = "req-1"};
	assert_int_equal(f->st->plugin_record(f->st, "mailchimp", run.id, &s, 1, &o, 1, &err), 0);
	walk w = {0};
	assert_int_equal(f->st->contacts(f->st, 1, "mailchimp", "list1", on_contact, &w, &err), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.keys[0], "a@example.org"); /* ordered by email */
	assert_string_equal(w.sent[0], "-");
	assert_string_equal(w.sent[1], "sent");
	assert_int_equal(w.sup[1], 1);
	/* another scope or plugin sees no state */
	memset(&w, 0, sizeof(w));
	assert_int_equal(f->st->contacts(f->st, 1, "mailchimp", "list2", on_contact, &w, &err), 0);
	assert_string_equal(w.sent[1], "-");
	memset(&w, 0, sizeof(w));
	assert_int_equal(f->st->contacts(f->st, 1, "jsonl", "list1", on_contact, &w, &err), 0);
	assert_string_equal(w.sent[1], "-");

	run.status = CS_RUN_PARTIAL;
	run.counts.rejected = 1;
	assert_int_equal(f->st->plugin_run_finish(f->st, &run, &err), 0);
	cJSON *js = NULL;
	assert_int_equal(f->st->plugin_status(f->st, "mailchimp", &js, &err), 0);
	cJSON *last = cJSON_GetArrayItem(cJSON_GetObjectItem(js, "last_runs"), 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(last, "status")), "partial");
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(last, "rejected")), 1);
	cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(js, "recent_errors"), 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "request_id")), "req-1");
	cJSON_Delete(js);
}

/* A failed write leaves neither the state nor the outcomes half-written. */
static void test_record_is_atomic(void **state)
{
	fx *f = *state;
	cs_err err = {0};
	cs_plugin_state s[2] = {
		{.scope = "l", .email_key = "x@example.org", .org_id = 1, .status = "sent"},
		{.scope = "l", .email_key = "y@example.org", .org_id = 1, .status = NULL},
	};
	/* status NULL violates NOT NULL on the second row */
	assert_int_not_equal(f->st->plugin_record(f->st, "p", 1, s, 2, NULL, 0, &err), 0);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM plugin_state"), 0);
	assert_int_equal(f->st->plugin_record(f->st, "p", 1, s, 1, NULL, 0, &err), 0);
	assert_int_equal(count(f->db, "SELECT COUNT(*) FROM plugin_state"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_contact_merge_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_joins_state_of_plugin_and_scope, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_record_is_atomic, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
