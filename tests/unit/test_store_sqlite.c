/* SQLite backend: schema generated from the entity tables, migrations, the
 * upsert's type mapping, raw_json, page transactions, mark_absent and the
 * failure messages a user sees. */
#include "test_store_helpers.h"

#include <sys/stat.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SYNC1 "2025-01-01T00:00:00.000Z"
#define SYNC2 "2025-01-02T00:00:00.000Z"

/* --- schema and migrations --- */

static const char *const affinity[] = {"INTEGER", "TEXT", "INTEGER", "REAL", "TEXT", "TEXT"};

static void test_schema_follows_entities(void **state)
{
	(void)state;
	tstore t;
	tstore_open(&t);
	for (size_t e = 0; e < CS_ENT_COUNT; e++) {
		const cs_entity *ent = &cs_entities[e];
		for (size_t i = 0; i < ent->ncolumns; i++) {
			const cs_column *c = &ent->columns[i];
			assert_string_equal(q_text(&t, "SELECT type FROM pragma_table_info('%s') "
						       "WHERE name = '%s'",
						   ent->name, c->name),
					    affinity[c->type]);
			if (c->flags & CS_COLF_INDEX)
				assert_int_equal(q_int(&t, "SELECT count(*) FROM pragma_index_list('%s') "
							   "l, pragma_index_info(l.name) i WHERE "
							   "i.name = '%s'",
						       ent->name, c->name),
						 1);
		}
		assert_string_equal(q_text(&t, "SELECT \"notnull\" FROM pragma_table_info('%s') "
					       "WHERE name = 'raw_json'", ent->name), "1");
		assert_int_equal(q_int(&t, "SELECT pk FROM pragma_table_info('%s') WHERE name = 'id'",
				       ent->name), 1);
		/* id, organization_id, mirrored, raw_json, synced_at, deleted_at, extras */
		long long extra = e == CS_ENT_SUPPORTERS ? 7 : 0;
		assert_int_equal(q_int(&t, "SELECT count(*) FROM pragma_table_info('%s')", ent->name),
				 (long long)ent->ncolumns + 5 + extra);
	}
	assert_string_equal(q_text(&t, "SELECT dflt_value FROM pragma_table_info('supporters') "
				       "WHERE name = 'monthly_recurring_amount'"), "0");
	/* relationships are not foreign keys: orphans must be storable */
	assert_int_equal(q_int(&t, "SELECT count(*) FROM pragma_foreign_key_list('transactions')"), 0);
	assert_string_equal(q_text(&t, "PRAGMA journal_mode"), "wal");
	assert_int_equal(q_int(&t, "PRAGMA busy_timeout"), 5000);
	tstore_close(&t);
}

typedef struct mig_list {
	int n, applied;
	int versions[8];
} mig_list;

static int collect_migration(const cs_migration_info *m, void *ctx)
{
	mig_list *l = ctx;
	if (l->n < 8)
		l->versions[l->n] = m->version;
	l->n++;
	l->applied += m->applied;
	if (m->applied)
		assert_int_equal(strlen(m->applied_at), 24); /* ....T..:..:..sssZ */
	return 0;
}

static void list_migrations(tstore *t, mig_list *l)
{
	cs_err err = {0};
	memset(l, 0, sizeof(*l));
	assert_int_equal(t->st->migrations(t->st, collect_migration, l, &err), 0);
}

static void test_migrate_rollback_cycle(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	mig_list l;
	int applied = -1, version = -1;
	tstore_open_only(&t);
	list_migrations(&t, &l);
	assert_int_equal(l.n, (int)cs_sql_nmigrations);
	assert_int_equal(l.applied, 0);

	const int n = (int)cs_sql_nmigrations;
	assert_int_equal(t.st->migrate(t.st, &applied, &err), 0);
	assert_int_equal(applied, n);
	list_migrations(&t, &l);
	assert_int_equal(l.applied, n);
	assert_int_equal(l.versions[0], 1);
	assert_int_equal(l.versions[n - 1], n);
	assert_int_equal(t.st->migrate(t.st, &applied, &err), 0);
	assert_int_equal(applied, 0);

	/* down to v2 (reference): no view is left, the tables are */
	for (int v = n; v >= 3; v--) {
		assert_int_equal(t.st->rollback(t.st, &version, &err), 0);
		assert_int_equal(version, v);
	}
	assert_int_equal(q_int(&t, "SELECT count(*) FROM sqlite_master WHERE type = 'view'"), 0);
	list_migrations(&t, &l);
	assert_int_equal(l.applied, 2);
	assert_int_equal(t.st->migrate(t.st, &applied, &err), 0);
	assert_int_equal(applied, n - 2);
	assert_true(q_int(&t, "SELECT count(*) FROM sqlite_master WHERE type = 'view'") > 0);

	for (int v = n; v >= 1; v--) {
		assert_int_equal(t.st->rollback(t.st, &version, &err), 0);
		assert_int_equal(version, v);
	}
	assert_int_equal(q_int(&t, "SELECT count(*) FROM sqlite_master WHERE name = 'supporters'"),
			 0);
	assert_int_equal(t.st->rollback(t.st, &version, &err), 0);
	assert_int_equal(version, 0); /* nothing left to roll back */
	assert_int_equal(t.st->migrate(t.st, &applied, &err), 0);
	assert_int_equal(applied, n);
	tstore_close(&t);
}

static void test_reset_leaves_nothing(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	int applied = 0;
	tstore_open(&t);
	const char *recs[] = {"{\"id\":1,\"supporter_id\":2}"};
	put_page(&t, CS_ENT_TRANSACTIONS, 9, SYNC1, recs, 1);
	cs_run run = {.org_id = 9, .entity = CS_ENT_TRANSACTIONS};
	assert_int_equal(t.st->run_begin(t.st, &run, &err), 0);

	long long before = q_int(&t, "PRAGMA page_count");
	assert_int_equal(t.st->reset(t.st, &err), 0);
	assert_true(q_int(&t, "PRAGMA page_count") < before); /* the space is given back */
	assert_int_equal(q_int(&t, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE "
				   "'sqlite\\_%%' ESCAPE '\\'"),
			 0);
	assert_int_equal(t.st->migrate(t.st, &applied, &err), 0);
	assert_int_equal(applied, (int)cs_sql_nmigrations);
	assert_int_equal(q_int(&t, "SELECT count(*) FROM transactions"), 0);
	tstore_close(&t);
}

/* --- type mapping --- */

static const struct {
	int entity;
	const char *field;
	const char *json; /* the value as it appears in the record */
	const char *want; /* typeof(col) ':' quote(col) */
} mapping[] = {
	/* INT: number or numeric string; anything else NULL */
	{CS_ENT_TRANSACTIONS, "supporter_id", "123", "integer:123"},
	{CS_ENT_TRANSACTIONS, "supporter_id", "\"456\"", "integer:456"},
	{CS_ENT_TRANSACTIONS, "supporter_id", "-7", "integer:-7"},
	{CS_ENT_TRANSACTIONS, "supporter_id", "1.5", "null:NULL"},
	{CS_ENT_TRANSACTIONS, "supporter_id", "\"12abc\"", "null:NULL"},
	{CS_ENT_TRANSACTIONS, "supporter_id", "true", "null:NULL"},
	{CS_ENT_TRANSACTIONS, "supporter_id", "null", "null:NULL"},
	/* TEXT: strings, printed numbers, bools, compact JSON */
	{CS_ENT_TRANSACTIONS, "status", "\"success\"", "text:'success'"},
	{CS_ENT_TRANSACTIONS, "status", "\"\"", "text:''"},
	{CS_ENT_TRANSACTIONS, "status", "42", "text:'42'"},
	{CS_ENT_TRANSACTIONS, "status", "2.5", "text:'2.5'"},
	{CS_ENT_TRANSACTIONS, "status", "true", "text:'true'"},
	{CS_ENT_TRANSACTIONS, "status", "false", "text:'false'"},
	{CS_ENT_TRANSACTIONS, "status", "{ \"a\" : [1, 2] }", "text:'{\"a\":[1,2]}'"},
	{CS_ENT_TRANSACTIONS, "status", "[ \"x\" ,null ]", "text:'[\"x\",null]'"},
	{CS_ENT_TRANSACTIONS, "status", "null", "null:NULL"},
	/* BOOL */
	{CS_ENT_TRANSACTIONS, "is_anonymous", "true", "integer:1"},
	{CS_ENT_TRANSACTIONS, "is_anonymous", "false", "integer:0"},
	{CS_ENT_TRANSACTIONS, "is_anonymous", "1", "integer:1"},
	{CS_ENT_TRANSACTIONS, "is_anonymous", "0", "integer:0"},
	{CS_ENT_TRANSACTIONS, "is_anonymous", "\"true\"", "integer:1"},
	{CS_ENT_TRANSACTIONS, "is_anonymous", "\"false\"", "integer:0"},
	{CS_ENT_TRANSACTIONS, "is_anonymous", "\"1\"", "integer:1"},
	{CS_ENT_TRANSACTIONS, "is_anonymous", "\"0\"", "integer:0"},
	{CS_ENT_TRANSACTIONS, "is_anonymous", "\"t\"", "integer:1"},
	{CS_ENT_TRANSACTIONS, "is_anonymous", "\"f\"", "integer:0"},
	{CS_ENT_TRANSACTIONS, "is_anonymous", "2", "null:NULL"},
	{CS_ENT_TRANSACTIONS, "is_anonymous", "\"yes\"", "null:NULL"},
	/* MONEY: exact value, as REAL */
	{CS_ENT_TRANSACTIONS, "total_gross_amount", "10.1", "real:10.1"},
	{CS_ENT_TRANSACTIONS, "total_gross_amount", "0.1", "real:0.1"},
	{CS_ENT_TRANSACTIONS, "total_gross_amount", "25", "real:25.0"},
	{CS_ENT_TRANSACTIONS, "total_gross_amount", "\"12.345\"", "real:12.345"},
	{CS_ENT_TRANSACTIONS, "total_gross_amount", "\"-0.10\"", "real:-0.1"},
	{CS_ENT_TRANSACTIONS, "total_gross_amount", "\"1.23455\"", "real:1.2346"},
	{CS_ENT_TRANSACTIONS, "total_gross_amount", "\"abc\"", "null:NULL"},
	{CS_ENT_TRANSACTIONS, "total_gross_amount", "\"1e2\"", "null:NULL"},
	{CS_ENT_TRANSACTIONS, "total_gross_amount", "{}", "null:NULL"},
	/* TIME: every form the API sends, stored UTC with Z */
	{CS_ENT_TRANSACTIONS, "purchased_at", "\"2021-04-23T08:23:21Z\"",
	 "text:'2021-04-23T08:23:21Z'"},
	{CS_ENT_TRANSACTIONS, "purchased_at", "\"2021-04-23T08:23:21+0000\"",
	 "text:'2021-04-23T08:23:21Z'"},
	{CS_ENT_TRANSACTIONS, "purchased_at", "\"2024-10-05T14:48:00.000Z\"",
	 "text:'2024-10-05T14:48:00.000Z'"},
	{CS_ENT_TRANSACTIONS, "purchased_at", "\"2021-04-23T10:23:21+02:00\"",
	 "text:'2021-04-23T08:23:21Z'"},
	{CS_ENT_TRANSACTIONS, "purchased_at", "\"2021-04-22T23:23:21.250-0900\"",
	 "text:'2021-04-23T08:23:21.250Z'"},
	{CS_ENT_TRANSACTIONS, "purchased_at", "\"2021-04-23 08:23:21\"",
	 "text:'2021-04-23T08:23:21Z'"},
	{CS_ENT_TRANSACTIONS, "purchased_at", "\"2021-04-23\"", "text:'2021-04-23'"},
	{CS_ENT_TRANSACTIONS, "purchased_at", "\"2021-02-30T00:00:00Z\"", "null:NULL"},
	{CS_ENT_TRANSACTIONS, "purchased_at", "\"yesterday\"", "null:NULL"},
	{CS_ENT_TRANSACTIONS, "purchased_at", "1619166201", "null:NULL"},
	/* DATE: the UTC calendar date */
	{CS_ENT_RECURRING_PLANS, "next_processing_date", "\"2024-05-01\"", "text:'2024-05-01'"},
	{CS_ENT_RECURRING_PLANS, "next_processing_date", "\"2024-05-01T23:30:00-0200\"",
	 "text:'2024-05-02'"},
	{CS_ENT_RECURRING_PLANS, "next_processing_date", "\"2024-05-01T10:00:00Z\"",
	 "text:'2024-05-01'"},
	{CS_ENT_RECURRING_PLANS, "next_processing_date", "\"May 1\"", "null:NULL"},
};

static void test_type_mapping(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	char json[256];
	tstore_open(&t);
	assert_int_equal(t.st->page_begin(t.st, SYNC1, &err), 0);
	for (size_t i = 0; i < N(mapping); i++) {
		snprintf(json, sizeof(json), "{\"id\": %zu, \"%s\": %s}", 100 + i, mapping[i].field,
			 mapping[i].json);
		if (put_json(&t, mapping[i].entity, 1, json, &err))
			fail_msg("%s: %s", json, err.msg);
	}
	assert_int_equal(t.st->page_commit(t.st, NULL, &err), 0);
	for (size_t i = 0; i < N(mapping); i++) {
		const char *got = q_text(&t, "SELECT typeof(\"%s\") || ':' || quote(\"%s\") FROM %s "
					     "WHERE id = %zu",
					 mapping[i].field, mapping[i].field,
					 cs_entities[mapping[i].entity].name, 100 + i);
		if (strcmp(got, mapping[i].want))
			fail_msg("%s = %s: got %s, want %s", mapping[i].field, mapping[i].json, got,
				 mapping[i].want);
	}
	tstore_close(&t);
}

/* A record with every column of every type at once; absent ones are NULL. */
static void test_full_record_and_absent_columns(void **state)
{
	(void)state;
	tstore t;
	tstore_open(&t);
	const char *recs[] = {
		"{\"id\":5,\"supporter_id\":7,\"campaign_id\":\"8\",\"status\":\"success\","
		"\"total_gross_amount\":\"100.10\",\"is_anonymous\":false,"
		"\"purchased_at\":\"2021-04-23T08:23:21+0000\",\"unknown_field\":{\"x\":1}}",
	};
	put_page(&t, CS_ENT_TRANSACTIONS, 3, SYNC1, recs, 1);
	assert_string_equal(q_text(&t, "SELECT supporter_id || '|' || campaign_id || '|' || status "
				       "|| '|' || total_gross_amount || '|' || is_anonymous || '|' || "
				       "purchased_at || '|' || organization_id || '|' || synced_at "
				       "FROM transactions WHERE id = 5"),
			    "7|8|success|100.1|0|2021-04-23T08:23:21Z|3|" SYNC1);
	assert_string_equal(q_text(&t, "SELECT quote(refunded_at) || quote(deleted_at) || "
				       "quote(fees_amount) FROM transactions WHERE id = 5"),
			    "NULLNULLNULL");
	tstore_close(&t);
}

static void test_raw_json_byte_exact(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	/* odd whitespace, escapes and a neighbour after the record's end, as a
	 * record sits inside a page body */
	static const char body[] = "[ {  \"id\" :\t42 ,\n \"first_name\":\"J\\u00f6rg \\ud83d\\ude00\","
				   "\"last_name\" : \"a\\/b\\\"c\"  }, {\"id\":43}]";
	const char *start = body + 2;
	size_t len = (size_t)(strstr(body, "}, {") + 1 - start);
	tstore_open(&t);
	cJSON *j = cJSON_ParseWithLength(start, len);
	assert_non_null(j);
	cs_record rec = {j, start, len, 0, NULL};
	assert_int_equal(t.st->page_begin(t.st, SYNC1, &err), 0);
	assert_int_equal(t.st->page_upsert(t.st, &cs_entities[CS_ENT_SUPPORTERS], 1, &rec, &err), 0);
	assert_int_equal(t.st->page_commit(t.st, NULL, &err), 0);
	cJSON_Delete(j);
	assert_int_equal(q_int(&t, "SELECT length(CAST(raw_json AS BLOB)) FROM supporters"),
			 (long long)len);
	const char *raw = q_text(&t, "SELECT raw_json FROM supporters WHERE id = 42");
	assert_int_equal(strlen(raw), len);
	assert_memory_equal(raw, start, len);
	assert_string_equal(q_text(&t, "SELECT first_name FROM supporters"),
			    "J\xc3\xb6rg \xf0\x9f\x98\x80");
	assert_string_equal(q_text(&t, "SELECT last_name FROM supporters"), "a/b\"c");
	tstore_close(&t);
}

/* --- the page transaction --- */

static void test_upsert_twice_keeps_newer(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	long long marked = 0;
	tstore_open(&t);
	const char *v1[] = {"{\"id\":9,\"status\":\"pending\",\"fees_amount\":1.5}"};
	const char *v2[] = {"{\"id\":9,\"status\":\"success\"}"};
	put_page(&t, CS_ENT_TRANSACTIONS, 1, SYNC1, v1, 1);
	assert_int_equal(t.st->mark_absent(t.st, &cs_entities[CS_ENT_TRANSACTIONS], 1, SYNC2,
					   &marked, &err), 0);
	assert_int_equal(marked, 1);
	put_page(&t, CS_ENT_TRANSACTIONS, 2, SYNC2, v2, 1);
	assert_int_equal(q_int(&t, "SELECT count(*) FROM transactions"), 1);
	assert_string_equal(q_text(&t, "SELECT status || '|' || quote(fees_amount) || '|' || "
				       "quote(deleted_at) || '|' || synced_at || '|' || "
				       "organization_id || '|' || raw_json FROM transactions"),
			    "success|NULL|NULL|" SYNC2 "|2|{\"id\":9,\"status\":\"success\"}");
	tstore_close(&t);
}

static void test_page_abort_leaves_nothing(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	cs_sync_state ss;
	tstore_open(&t);
	assert_int_equal(t.st->page_begin(t.st, SYNC1, &err), 0);
	assert_int_equal(put_json(&t, CS_ENT_TRANSACTIONS, 1, "{\"id\":1,\"supporter_id\":5}", &err),
			 0);
	t.st->page_abort(t.st);
	t.st->page_abort(t.st); /* harmless twice */
	assert_int_equal(q_int(&t, "SELECT count(*) FROM transactions"), 0);
	assert_int_equal(q_int(&t, "SELECT count(*) FROM aggregate_queue"), 0);
	assert_int_equal(t.st->state_get(t.st, 1, CS_ENT_TRANSACTIONS, &ss, &err), 0);
	assert_string_equal(ss.cursor, "");
	assert_int_equal(ss.lookback_s, 300);
	/* upserts need a page */
	assert_int_not_equal(put_json(&t, CS_ENT_TRANSACTIONS, 1, "{\"id\":1}", &err), 0);
	tstore_close(&t);
}

static void test_state_written_with_page(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	cs_sync_state in = {.org_id = 4, .entity = CS_ENT_SUPPORTERS, .cursor = "2025-01-01T00:00:00Z",
			    .lookback_s = 120, .full_last_id = 77,
			    .full_started_at = "2025-01-01T00:00:00.000Z"};
	cs_sync_state out;
	tstore_open(&t);
	assert_int_equal(t.st->page_begin(t.st, SYNC1, &err), 0);
	assert_int_equal(put_json(&t, CS_ENT_SUPPORTERS, 4, "{\"id\":1}", &err), 0);
	assert_int_equal(t.st->page_commit(t.st, &in, &err), 0);
	assert_int_equal(t.st->state_get(t.st, 4, CS_ENT_SUPPORTERS, &out, &err), 0);
	assert_int_equal(out.org_id, 4);
	assert_int_equal(out.entity, CS_ENT_SUPPORTERS);
	assert_string_equal(out.cursor, in.cursor);
	assert_int_equal(out.lookback_s, 120);
	assert_int_equal(out.full_last_id, 77);
	assert_string_equal(out.full_started_at, in.full_started_at);
	assert_string_equal(out.last_full_at, "");
	/* other entities of the org are untouched */
	assert_int_equal(t.st->state_get(t.st, 4, CS_ENT_TRANSACTIONS, &out, &err), 0);
	assert_int_equal(out.full_last_id, 0);

	/* a commit whose state cannot be written keeps neither rows nor state */
	cs_sync_state bad = in;
	bad.entity = 99;
	assert_int_equal(t.st->page_begin(t.st, SYNC2, &err), 0);
	assert_int_equal(put_json(&t, CS_ENT_SUPPORTERS, 4, "{\"id\":2}", &err), 0);
	assert_int_not_equal(t.st->page_commit(t.st, &bad, &err), 0);
	assert_int_equal(q_int(&t, "SELECT count(*) FROM supporters"), 1);
	assert_int_equal(t.st->page_begin(t.st, SYNC2, &err), 0); /* no page is stuck open */
	in.full_last_id = 0;
	in.full_started_at[0] = '\0';
	snprintf(in.last_full_at, sizeof(in.last_full_at), SYNC2);
	assert_int_equal(t.st->page_commit(t.st, &in, &err), 0);
	assert_int_equal(t.st->state_get(t.st, 4, CS_ENT_SUPPORTERS, &out, &err), 0);
	assert_string_equal(out.full_started_at, "");
	assert_string_equal(out.last_full_at, SYNC2);
	tstore_close(&t);
}

static void test_aggregate_queue(void **state)
{
	(void)state;
	tstore t;
	tstore_open(&t);
	const char *tx[] = {"{\"id\":1,\"supporter_id\":10}", "{\"id\":2,\"supporter_id\":10}",
			    "{\"id\":3,\"supporter_id\":null}", "{\"id\":4}",
			    "{\"id\":5,\"supporter_id\":\"11\"}"};
	const char *plans[] = {"{\"id\":1,\"supporter_id\":12}"};
	const char *sup[] = {"{\"id\":13}"};
	const char *camp[] = {"{\"id\":14,\"designation_id\":15}"};
	put_page(&t, CS_ENT_TRANSACTIONS, 1, SYNC1, tx, N(tx));
	put_page(&t, CS_ENT_RECURRING_PLANS, 1, SYNC1, plans, 1);
	put_page(&t, CS_ENT_SUPPORTERS, 1, SYNC1, sup, 1);
	put_page(&t, CS_ENT_CAMPAIGNS, 1, SYNC1, camp, 1);
	assert_string_equal(q_text(&t, "SELECT group_concat(supporter_id, ',') FROM (SELECT "
				       "supporter_id FROM aggregate_queue WHERE organization_id = 1 "
				       "ORDER BY 1)"),
			    "10,11,12,13");
	tstore_close(&t);
}

static void test_record_without_numeric_id(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	/* no id, a string, not whole, not positive, beyond 2^53 without its
	 * digits (a tree built in memory: a double cannot say which id), and
	 * not an object */
	static const char *const bad[] = {"{\"name\":\"x\"}", "{\"id\":\"12\"}", "{\"id\":1.5}",
					  "{\"id\":0}",          "{\"id\":-3}",
					  "{\"id\":9007199254740993}", "[1]"};
	tstore_open(&t);
	assert_int_equal(t.st->page_begin(t.st, SYNC1, &err), 0);
	for (size_t i = 0; i < N(bad); i++) {
		assert_int_equal(put_json(&t, CS_ENT_CAMPAIGNS, 8, bad[i], &err), CS_EPROTO);
		assert_string_equal(err.msg, "cannot store a 'campaigns' record of organization 8: "
					     "it has no whole, positive numeric 'id'; check that "
					     "CLASSY_API_URL points to the Classy API");
	}
	t.st->page_abort(t.st);
	tstore_close(&t);
}

static void test_mark_absent(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	long long marked = -1;
	const cs_entity *sup = &cs_entities[CS_ENT_SUPPORTERS];
	tstore_open(&t);
	const char *old[] = {"{\"id\":1}", "{\"id\":2}", "{\"id\":3}"};
	const char *other[] = {"{\"id\":50}"};
	const char *seen[] = {"{\"id\":2}"};
	put_page(&t, CS_ENT_SUPPORTERS, 1, SYNC1, old, N(old));
	put_page(&t, CS_ENT_SUPPORTERS, 2, SYNC1, other, 1);
	put_page(&t, CS_ENT_SUPPORTERS, 1, SYNC2, seen, 1); /* the complete scan saw only 2 */
	assert_int_equal(t.st->mark_absent(t.st, sup, 1, SYNC2, &marked, &err), 0);
	assert_int_equal(marked, 2);
	assert_string_equal(q_text(&t, "SELECT group_concat(id) FROM supporters WHERE deleted_at "
				       "IS NOT NULL"), "1,3");
	assert_string_equal(q_text(&t, "SELECT quote(deleted_at) FROM supporters WHERE id = 50"),
			    "NULL");
	assert_int_equal(q_int(&t, "SELECT count(*) FROM supporters"), 4); /* never deleted */
	assert_int_equal(t.st->mark_absent(t.st, sup, 1, SYNC2, &marked, &err), 0);
	assert_int_equal(marked, 0); /* already marked rows keep their time */
	tstore_close(&t);
}

/* Past 4000 WAL pages the commit hands checkpoints to a background thread;
 * nothing is lost when the store closes with one pending or running. */
static void test_background_checkpoint(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	static char rec[4096];
	long long id = 0;
	tstore_open(&t);
	assert_false(cs_sqlite_has_checkpointer(t.st)); /* short commands never start it */
	for (int page = 0; page < 80; page++) {
		assert_int_equal(t.st->page_begin(t.st, SYNC1, &err), 0);
		for (int i = 0; i < 100; i++) {
			snprintf(rec, sizeof(rec), "{\"id\":%lld,\"name\":\"%0*d\"}", ++id, 2500, 0);
			assert_int_equal(put_json(&t, CS_ENT_CAMPAIGNS, 1, rec, &err), 0);
		}
		assert_int_equal(t.st->page_commit(t.st, NULL, &err), 0);
	}
	assert_true(cs_sqlite_has_checkpointer(t.st));
	cs_store_close(t.st);
	cs_config cfg = {.db_type = CS_DB_SQLITE};
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", t.path);
	assert_int_equal(cs_store_open(&cfg, &t.st, &err), 0);
	t.db = cs_sqlite_handle(t.st);
	assert_int_equal(q_int(&t, "SELECT count(*) FROM campaigns"), id);
	assert_string_equal(q_text(&t, "PRAGMA integrity_check"), "ok");
	tstore_close(&t);
}

/* --- failures a user sees --- */

static void test_disk_full(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	char big[8192];
	char cap[32];
	const char *earlier[] = {"{\"id\":999}"};
	tstore_open(&t);
	put_page(&t, CS_ENT_CAMPAIGNS, 1, SYNC1, earlier, 1);
	/* Reopen with the file capped just above its size, through the hook the
	 * integration test uses: a few rows later the "disk" is full. */
	snprintf(cap, sizeof(cap), "%lld", q_int(&t, "PRAGMA page_count") + 2);
	cs_store_close(t.st);
	setenv("CLASSY_SYNC_TEST_MAX_PAGE_COUNT", cap, 1);
	cs_config cfg = {.db_type = CS_DB_SQLITE};
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", t.path);
	assert_int_equal(cs_store_open(&cfg, &t.st, &err), 0);
	unsetenv("CLASSY_SYNC_TEST_MAX_PAGE_COUNT");
	t.db = cs_sqlite_handle(t.st);
	assert_int_equal(q_int(&t, "PRAGMA max_page_count"), atoll(cap));
	int rc = 0;
	assert_int_equal(t.st->page_begin(t.st, SYNC1, &err), 0);
	for (int i = 1; i <= 50 && rc == 0; i++) {
		snprintf(big, sizeof(big), "{\"id\":%d,\"name\":\"%0*d\"}", i, 6000, 0);
		rc = put_json(&t, CS_ENT_CAMPAIGNS, 1, big, &err);
	}
	if (rc == 0)
		rc = t.st->page_commit(t.st, NULL, &err);
	else
		t.st->page_abort(t.st);
	assert_int_equal(rc, CS_EIO);
	assert_non_null(strstr(err.msg, "the disk is full; free space and rerun: nothing was lost, "
					"the page in flight was rolled back"));
	assert_non_null(strstr(err.msg, t.path));
	/* the page in flight is gone, the earlier page is kept */
	assert_string_equal(q_text(&t, "SELECT group_concat(id) FROM campaigns"), "999");
	tstore_close(&t);
}

static void test_read_only_database(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	char want[512];
	tstore_open(&t);
	assert_int_equal(sqlite3_exec(t.db, "PRAGMA query_only = 1", NULL, NULL, NULL), SQLITE_OK);
	int rc = t.st->page_begin(t.st, SYNC1, &err);
	if (rc == 0) {
		rc = put_json(&t, CS_ENT_CAMPAIGNS, 1, "{\"id\":1}", &err);
		t.st->page_abort(t.st);
	}
	assert_int_equal(rc, CS_EIO);
	assert_non_null(strstr(err.msg, "the database is read-only; make the file and its directory "
					"writable, or set DB_PATH to a writable path"));
	tstore_close(&t);

	/* A read-only file is refused at open (root can write anyway: skip). */
	if (geteuid() == 0)
		return;
	tstore_open(&t);
	cs_store_close(t.st);
	assert_int_equal(chmod(t.path, 0444), 0);
	cs_config cfg = {.db_type = CS_DB_SQLITE};
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", t.path);
	assert_int_equal(cs_store_open(&cfg, &t.st, &err), CS_EIO);
	snprintf(want, sizeof(want), "cannot open database '%s': the database is read-only", t.path);
	assert_memory_equal(err.msg, want, strlen(want));
	tstore_close(&t);
}

static void test_locked_by_another_process(void **state)
{
	(void)state;
	tstore a, b;
	cs_err err = {0};
	tstore_open(&a);
	b = a;
	cs_config cfg = {.db_type = CS_DB_SQLITE};
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", a.path);
	assert_int_equal(cs_store_open(&cfg, &b.st, &err), 0);
	b.db = cs_sqlite_handle(b.st);
	sqlite3_busy_timeout(b.db, 0); /* no 5 s wait in a unit test */
	assert_int_equal(a.st->page_begin(a.st, SYNC1, &err), 0);
	assert_int_equal(b.st->page_begin(b.st, SYNC1, &err), CS_EBUSY);
	assert_non_null(strstr(err.msg, "cannot begin a page in database"));
	assert_non_null(strstr(err.msg, "the database is locked by another process"));
	/* the reader still reads while the writer holds its page (WAL) */
	cJSON *st = NULL;
	assert_int_equal(b.st->status(b.st, &st, &err), 0);
	cJSON_Delete(st);
	a.st->page_abort(a.st);
	cs_store_close(b.st);
	tstore_close(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_follows_entities),
		cmocka_unit_test(test_migrate_rollback_cycle),
		cmocka_unit_test(test_reset_leaves_nothing),
		cmocka_unit_test(test_type_mapping),
		cmocka_unit_test(test_full_record_and_absent_columns),
		cmocka_unit_test(test_raw_json_byte_exact),
		cmocka_unit_test(test_upsert_twice_keeps_newer),
		cmocka_unit_test(test_page_abort_leaves_nothing),
		cmocka_unit_test(test_state_written_with_page),
		cmocka_unit_test(test_aggregate_queue),
		cmocka_unit_test(test_record_without_numeric_id),
		cmocka_unit_test(test_mark_absent),
		cmocka_unit_test(test_background_checkpoint),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_read_only_database),
		cmocka_unit_test(test_locked_by_another_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
