/* Exact cents (migrations 8 and 10) on every backend: the writer fills each
 * amount's *_cents twin from the amount read exactly from the API's text,
 * so SUM() of cents is exact where SUM() of SQLite's REAL is not (0.1 +
 * 0.2); migration 8 fills the rows written before it from raw_json, by the
 * same rule; rolling it back drops the columns, and applying it again fills
 * them again. */
#include "test_store_fixture.h"
#include "store/sql/schema.h"

#define SYNC1 "2025-01-01T00:00:00Z"

/* Ten gifts of 0.10 and ten of 0.20, as JSON numbers and as strings. */
static void put_dimes(fx *f)
{
	char json[20][160];
	const char *recs[20];
	for (int i = 0; i < 20; i++) {
		const char *amount = i % 2 ? "\"0.20\"" : "0.1";
		if (i >= 10)
			amount = i % 2 ? "0.2" : "\"0.10\"";
		snprintf(json[i], sizeof(json[i]),
			 "{\"id\":%d,\"supporter_id\":7,\"status\":\"success\","
			 "\"total_gross_amount\":%s,\"fees_amount\":0.3}",
			 i + 1, amount);
		recs[i] = json[i];
	}
	put_page(&f->t, CS_ENT_TRANSACTIONS, 9, SYNC1, recs, 20);
}

static void test_writer_fills_exact_cents(void **state)
{
	fx *f = *state;
	put_dimes(f);
	assert_int_equal(q_int(&f->t, "SELECT SUM(total_gross_amount_cents) FROM transactions"), 300);
	assert_int_equal(q_int(&f->t, "SELECT SUM(fees_amount_cents) FROM transactions"), 600);
	assert_int_equal(q_int(&f->t, "SELECT COUNT(*) FROM transactions WHERE"
				      " total_gross_amount_cents * 1.0 <> ROUND(total_gross_amount * 100)"),
			 0);
	/* the amounts not sent stay NULL, as their money columns */
	assert_int_equal(q_int(&f->t, "SELECT COUNT(*) FROM transactions WHERE"
				      " donation_net_amount_cents IS NULL"),
			 20);
	/* half a cent and beyond, a large amount, the other entities */
	const char *more[] = {
		"{\"id\":101,\"total_gross_amount\":\"12.345\",\"fees_amount\":-0.005}",
		"{\"id\":102,\"total_gross_amount\":\"123456789012345.67\",\"fees_amount\":\"x\"}",
	};
	put_page(&f->t, CS_ENT_TRANSACTIONS, 9, SYNC1, more, 2);
	assert_int_equal(q_int(&f->t, "SELECT total_gross_amount_cents FROM transactions"
				      " WHERE id = 101"), 1235);
	assert_int_equal(q_int(&f->t, "SELECT fees_amount_cents FROM transactions WHERE id = 101"),
			 -1);
	assert_int_equal(q_int(&f->t, "SELECT total_gross_amount_cents FROM transactions"
				      " WHERE id = 102"), 12345678901234567LL);
	assert_int_equal(q_int(&f->t, "SELECT COUNT(*) FROM transactions WHERE id = 102"
				      " AND fees_amount_cents IS NULL"), 1);
	const char *camp[] = {"{\"id\":5,\"goal\":\"2500.50\"}"};
	put_page(&f->t, CS_ENT_CAMPAIGNS, 9, SYNC1, camp, 1);
	assert_int_equal(q_int(&f->t, "SELECT goal_cents FROM campaigns WHERE id = 5"), 250050);
	const char *plan[] = {"{\"id\":6,\"donation_amount\":19.99}"};
	put_page(&f->t, CS_ENT_RECURRING_PLANS, 9, SYNC1, plan, 1);
	assert_int_equal(q_int(&f->t, "SELECT donation_amount_cents FROM recurring_plans"
				      " WHERE id = 6"), 1999);
}

static void rollback_to(fx *f, int want)
{
	cs_err err = {0};
	int version = -1;
	/* from wherever it is (above want): each step rolls back one version */
	do
		assert_int_equal(f->st->rollback(f->st, &version, &err), 0);
	while (version > want + 1);
	assert_int_equal(version, want + 1);
}

/* Rows a version-7 writer stored (no cents columns) get their cents from
 * raw_json when migration 8 is applied: numbers as written (beyond what a
 * double holds exactly too), strings, and nothing for null, missing or
 * unparsable amounts. */
static void test_migration_backfills_from_raw_json(void **state)
{
	fx *f = *state;
	cs_err err = {0};
	int applied = 0;
	rollback_to(f, 7);
	static const struct {
		int id;
		const char *json;
		long long cents; /* -1: NULL */
	} rows[] = {
		{1, "{\"id\":1,\"total_gross_amount\":0.1}", 10},
		{2, "{\"id\":2,\"total_gross_amount\":\"0.20\"}", 20},
		{3, "{\"id\":3,\"total_gross_amount\":922337203685.4775}", 92233720368548},
		{4, "{\"id\":4,\"total_gross_amount\":null}", -1},
		{5, "{\"id\":5}", -1},
		{6, "{\"id\":6,\"total_gross_amount\":\"n/a\"}", -1},
		{7, "{\"id\":7,\"total_gross_amount\":1.5e2}", 15000},
		{8, "{\"id\":8, \"total_gross_amount\" : -12.345}", -1235},
	};
	/* more rows than one batch of the backfill reads */
	exec(f->db, "INSERT INTO transactions (id, organization_id, raw_json, synced_at)"
		    " SELECT i + 1000, 9, '{\"total_gross_amount\":0.01}', " T_FILL " FROM " N10000
		    " n WHERE i < 1234");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		exec(f->db, "INSERT INTO transactions (id, organization_id, raw_json, synced_at)"
			    " VALUES (%d, 9, %Q, " T_FILL ")", rows[i].id, rows[i].json);
	exec(f->db, "INSERT INTO campaigns (id, organization_id, raw_json, synced_at)"
		    " VALUES (1, 9, '{\"goal\":1000000.05}', " T_FILL ")");
	exec(f->db, "INSERT INTO recurring_plans (id, organization_id, raw_json, synced_at)"
		    " VALUES (1, 9, '{\"donation_amount\":\"25\"}', " T_FILL ")");
	assert_int_equal(f->st->migrate(f->st, &applied, &err), 0);
	assert_int_equal(applied, (int)cs_sql_nmigrations - 7);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		long long got = q_int(&f->t, "SELECT COALESCE(total_gross_amount_cents, -1)"
					     " FROM transactions WHERE id = %d", rows[i].id);
		if (got != rows[i].cents)
			fail_msg("%s: %lld cents, want %lld", rows[i].json, got, rows[i].cents);
	}
	assert_int_equal(q_int(&f->t, "SELECT SUM(total_gross_amount_cents) FROM transactions"
				      " WHERE id >= 1000"), 1234);
	assert_int_equal(q_int(&f->t, "SELECT goal_cents FROM campaigns WHERE id = 1"), 100000005);
	assert_int_equal(q_int(&f->t, "SELECT donation_amount_cents FROM recurring_plans"), 2500);
}

/* A rollback says what it drops: each cents column with its values, which
 * are no data to confirm (raw_json has them), and the typed views. */
typedef struct plan_seen {
	int cents, views, tables;
	long long cent_values;
} plan_seen;

static int see_item(const cs_drop_item *it, void *ctx)
{
	plan_seen *p = ctx;
	assert_int_equal(it->version, 8);
	if (!strcmp(it->kind, "column")) {
		assert_non_null(strstr(it->name, "_cents"));
		assert_non_null(it->about);
		p->cents++;
		p->cent_values += it->rows;
	}
	p->views += !strcmp(it->kind, "view");
	p->tables += !strcmp(it->kind, "table");
	return 0;
}

static void test_rollback_names_what_it_drops(void **state)
{
	fx *f = *state;
	cs_err err = {0};
	put_dimes(f);
	rollback_to(f, 8); /* the migrations after 8 first */
	plan_seen seen = {0};
	cs_drop_plan p = {0};
	p.cb = see_item;
	p.ctx = &seen;
	assert_int_equal(f->st->ctrl(f->st, CS_CTRL_DROP_PLAN, &p, &err), 0);
	assert_int_equal(p.version, 8);
	assert_int_equal(seen.cents, 8);
	assert_int_equal(seen.cent_values, 20 + 20); /* total_gross and fees */
	assert_int_equal(seen.views, 6);
	assert_int_equal(seen.tables, 1); /* view_column_types */
	assert_int_equal(p.rows, 0);      /* nothing that needs --yes */
	rollback_to(f, 7);
	assert_int_equal(tstore_count_views(&f->t), 6); /* as migration 4 left them */
	assert_int_equal(q_int(&f->t, "SELECT COUNT(*) FROM supporter_summary"), 0);
}

/* ---- every amount of the model, as migration 10 (`cents`) made it ---- */

/* Each amount's value in five records, as the API may send it: a number, a
 * string, digits a double does not hold (2.675 is 2.67499... as a double),
 * half cents either way; each record sets every money column of its entity
 * to one value, and the twins read back the cents, rounded half away from
 * zero, never through a float. */
static const struct {
	const char *json;
	long long cents;
} amounts[] = {{"0.1", 10}, {"\"0.2\"", 20}, {"2.675", 268}, {"-0.125", -13}, {"\"0.005\"", 1}};
#define NAMOUNTS (sizeof(amounts) / sizeof(amounts[0]))

static void put_amounts(fx *f, int e)
{
	const cs_entity *ent = &cs_entities[e];
	char json[NAMOUNTS][8192];
	const char *recs[NAMOUNTS];
	for (size_t r = 0; r < NAMOUNTS; r++) {
		size_t len = (size_t)snprintf(json[r], sizeof(json[r]), "{\"id\":%zu", r + 1);
		for (size_t i = 0; i < ent->ncolumns; i++)
			if (ent->columns[i].type == CS_COL_MONEY)
				len += (size_t)snprintf(json[r] + len, sizeof(json[r]) - len,
							",\"%s\":%s", ent->columns[i].name,
							amounts[r].json);
		assert_true(len + 2 < sizeof(json[r]));
		strcat(json[r], "}");
		recs[r] = json[r];
	}
	put_page(&f->t, e, 9, SYNC1, recs, NAMOUNTS);
}

/* Every money column has a twin but a percent's (CS_COLF_NOT_AMOUNT), each
 * twin holds the cents of each record's amount, and 0.1 + 0.2 sums to 30.
 * Returns how many twins it read. */
static int check_twins(fx *f, const char *when)
{
	int twins = 0;
	for (int e = 0; e < CS_ENT_COUNT; e++) {
		const cs_entity *ent = &cs_entities[e];
		for (size_t i = 0; i < ent->ncolumns; i++) {
			const cs_column *c = &ent->columns[i];
			if (c->type != CS_COL_MONEY)
				continue;
			char twin[96];
			snprintf(twin, sizeof(twin), "%s_cents", c->name);
			int amount = !(c->flags & CS_COLF_NOT_AMOUNT);
			if (amount && strstr(c->name, "_percent"))
				fail_msg("%s.%s: a percent is no amount (CS_COLF_NOT_AMOUNT)",
					 ent->name, c->name);
			if (has_column(&f->t, ent->name, twin) != amount)
				fail_msg("%s: %s.%s %s", when, ent->name, twin,
					 amount ? "is missing" : "exists for no amount");
			if (!amount)
				continue;
			twins++;
			for (size_t r = 0; r < NAMOUNTS; r++) {
				long long got = q_int(&f->t, "SELECT COALESCE(%s, -999) FROM %s"
							     " WHERE id = %zu", twin, ent->name, r + 1);
				if (got != amounts[r].cents)
					fail_msg("%s: %s.%s of %s is %lld, want %lld", when, ent->name,
						 twin, amounts[r].json, got, amounts[r].cents);
			}
			assert_int_equal(q_int(&f->t, "SELECT SUM(%s) FROM %s WHERE id <= 2", twin,
					       ent->name), 30);
		}
	}
	return twins;
}

static void test_every_amount_has_exact_cents(void **state)
{
	fx *f = *state;
	cs_err err = {0};
	int applied = 0;
	for (int e = 0; e < CS_ENT_COUNT; e++)
		put_amounts(f, e);
	int twins = check_twins(f, "written");
	assert_int_equal(twins, 8 + 24); /* migration 8's, migration 10's */
	/* migration 10 only, then from migration 8 on: each backfill fills what
	 * it added from raw_json as the writer did */
	rollback_to(f, 9);
	assert_true(has_column(&f->t, "transactions", "fees_amount_cents"));
	assert_false(has_column(&f->t, "transactions", "pp_fees_amount_cents"));
	assert_int_equal(f->st->migrate(f->st, &applied, &err), 0);
	assert_int_equal(check_twins(f, "backfilled by migration 10"), twins);
	rollback_to(f, 7);
	assert_int_equal(f->st->migrate(f->st, &applied, &err), 0);
	assert_int_equal(applied, (int)cs_sql_nmigrations - 7);
	assert_int_equal(check_twins(f, "backfilled by migrations 8 and 10"), twins);
}

/* Rolling back migration 10 names each twin it drops with its values, as
 * made again from raw_json: nothing to confirm. */
static int see_v10(const cs_drop_item *it, void *ctx)
{
	plan_seen *p = ctx;
	assert_int_equal(it->version, 10);
	assert_string_equal(it->kind, "column");
	assert_non_null(strstr(it->name, "_cents"));
	assert_non_null(strstr(it->about, "by migration 10"));
	p->cents++;
	p->cent_values += it->rows;
	return 0;
}

static void test_rollback_of_10_names_its_twins(void **state)
{
	fx *f = *state;
	cs_err err = {0};
	put_amounts(f, CS_ENT_TRANSACTIONS);
	plan_seen seen = {0};
	cs_drop_plan p = {0};
	p.cb = see_v10;
	p.ctx = &seen;
	assert_int_equal(f->st->ctrl(f->st, CS_CTRL_DROP_PLAN, &p, &err), 0);
	assert_int_equal(p.version, 10);
	assert_int_equal(seen.cents, 24);
	assert_int_equal(seen.cent_values, 19 * (long long)NAMOUNTS); /* transactions' 19 */
	assert_int_equal(p.rows, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_writer_fills_exact_cents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_backfills_from_raw_json, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rollback_names_what_it_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_amount_has_exact_cents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_of_10_names_its_twins, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
