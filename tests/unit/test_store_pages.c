/* The store's pages on every backend: migrations, the upsert's type
 * mapping, raw_json, page transactions, sync state and mark_absent. What
 * only SQLite has (declared types, pragmas, WAL, the file) is in
 * test_store_sqlite.c. */
#include "test_store_helpers.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SYNC1 "2025-01-01T00:00:00.000Z"
#define SYNC2 "2025-01-02T00:00:00.000Z"

/* --- schema and migrations --- */

typedef struct mig_list {
	int n, applied;
	int versions[32];
} mig_list;

static int collect_migration(const cs_migration_info *m, void *ctx)
{
	mig_list *l = ctx;
	if (l->n < 32)
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

static void q_run_ok(tstore *t, const char *sql)
{
	cs_err err = {0};
	if (cs_sql_script(t->sql, sql, "run a test statement", &err))
		fail_msg("%s: %s", sql, err.msg);
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
	assert_int_equal(l.versions[n - 1], cs_sql_migrations[n - 1].version);
	assert_int_equal(t.st->migrate(t.st, &applied, &err), 0);
	assert_int_equal(applied, 0);

	/* down to v2 (reference): no view is left, the tables are */
	for (int i = n - 1; i >= 2; i--) {
		assert_int_equal(t.st->rollback(t.st, &version, &err), 0);
		assert_int_equal(version, cs_sql_migrations[i].version);
	}
	assert_int_equal(tstore_count_views(&t), 0);
	list_migrations(&t, &l);
	assert_int_equal(l.applied, 2);
	assert_int_equal(t.st->migrate(t.st, &applied, &err), 0);
	assert_int_equal(applied, n - 2);
	assert_true(tstore_count_views(&t) > 0);

	for (int i = n - 1; i >= 0; i--) {
		assert_int_equal(t.st->rollback(t.st, &version, &err), 0);
		assert_int_equal(version, cs_sql_migrations[i].version);
	}
	assert_int_equal(cs_sql_has_table(t.sql, "supporters"), 0);
	assert_int_equal(t.st->rollback(t.st, &version, &err), 0);
	assert_int_equal(version, 0); /* nothing left to roll back */
	assert_int_equal(t.st->migrate(t.st, &applied, &err), 0);
	assert_int_equal(applied, n);
	tstore_close(&t);
}

/* Migration 6 adds host to sync_runs and plugin_runs; its rollback takes it
 * away. Where DDL is not transactional (MySQL), a migration that stopped
 * after a column was added, or a rollback after it was dropped, is finished
 * by running the same command again. */
static void test_added_column_migration(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	int applied = -1, version = -1;
	const int n = (int)cs_sql_nmigrations;
	tstore_open(&t);
	assert_true(has_column(&t, "sync_runs", "host"));
	assert_true(has_column(&t, "plugin_runs", "host"));
	for (int i = n - 1; cs_sql_migrations[i].version >= 6; i--) { /* newer ones first */
		assert_int_equal(t.st->rollback(t.st, &version, &err), 0);
		assert_int_equal(version, cs_sql_migrations[i].version);
	}
	assert_false(has_column(&t, "sync_runs", "host"));
	assert_false(has_column(&t, "plugin_runs", "host"));
	assert_true(has_column(&t, "sync_runs", "pid"));
	assert_int_equal(t.st->migrate(t.st, &applied, &err), 0);
	assert_int_equal(applied, n - 5);
	assert_true(has_column(&t, "sync_runs", "host"));
	if (t.sql->dia->ddl_rerunnable) {
		/* stopped before its record: the columns are there, the row is not */
		q_run_ok(&t, "DELETE FROM schema_migrations WHERE version = 6");
		assert_int_equal(t.st->migrate(t.st, &applied, &err), 0);
		assert_int_equal(applied, 1);
		/* a rollback that stopped after one column went */
		for (int i = n - 1; cs_sql_migrations[i].version > 6; i--) {
			assert_int_equal(t.st->rollback(t.st, &version, &err), 0);
			assert_int_equal(version, cs_sql_migrations[i].version);
		}
		q_run_ok(&t, "ALTER TABLE sync_runs DROP COLUMN host");
		assert_int_equal(t.st->rollback(t.st, &version, &err), 0);
		assert_int_equal(version, 6);
		assert_false(has_column(&t, "plugin_runs", "host"));
		assert_int_equal(t.st->migrate(t.st, &applied, &err), 0);
		assert_true(has_column(&t, "sync_runs", "host"));
		assert_true(has_column(&t, "plugin_runs", "host"));
	}
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

	/* SQLite gives the file's space back (VACUUM); a server keeps its own */
	long long before = t.db ? q_int(&t, "PRAGMA page_count") : 0;
	assert_int_equal(t.st->reset(t.st, &err), 0);
	if (t.db)
		assert_true(q_int(&t, "PRAGMA page_count") < before);
	assert_int_equal(tstore_count_objects(&t), 0);
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
	/* the largest amount util/money.h holds (a server's type holds it too) */
	{CS_ENT_TRANSACTIONS, "total_gross_amount", "\"922337203685477.5807\"",
	 "real:922337203685478.0"},
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

/* 'time' and 'time' quoted by render_quote hold the same stored time */
static int same_quoted_time(const char *a, const char *b)
{
	char x[64], y[64];
	snprintf(x, sizeof(x), "%.*s", (int)strlen(a) - 2, a + 1);
	snprintf(y, sizeof(y), "%.*s", (int)strlen(b) - 2, b + 1);
	return tstore_same_time(x, y);
}

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
		const char *got = q_quote(&t, 1, "SELECT \"%s\" FROM %s WHERE id = %zu",
					  mapping[i].field, cs_entities[mapping[i].entity].name,
					  100 + i);
		/* a time: the same instant on a server (tstore_same_time) */
		if (strcmp(got, mapping[i].want) &&
		    !(!strncmp(got, "text:'", 6) && !strncmp(mapping[i].want, "text:'", 6) &&
		      same_quoted_time(got + 5, mapping[i].want + 5)))
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
	static const struct {
		const char *col, *want; /* as SQLite's quote() shows the value */
	} cols[] = {
		{"supporter_id", "7"},		 {"campaign_id", "8"},
		{"status", "'success'"},	 {"total_gross_amount", "100.1"},
		{"is_anonymous", "0"},		 {"organization_id", "3"},
		{"refunded_at", "NULL"},	 {"deleted_at", "NULL"},
		{"fees_amount", "NULL"},
	};
	for (size_t i = 0; i < N(cols); i++) {
		const char *got = q_quote(&t, 0, "SELECT %s FROM transactions WHERE id = 5",
					  cols[i].col);
		if (strcmp(got, cols[i].want))
			fail_msg("%s: want %s, got %s", cols[i].col, cols[i].want, got);
	}
	assert_same_time(q_text(&t, "SELECT purchased_at FROM transactions WHERE id = 5"),
			 "2021-04-23T08:23:21Z");
	assert_string_equal(q_text(&t, "SELECT synced_at FROM transactions WHERE id = 5"), SYNC1);
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
	/* byte for byte; on jsonb (PostgreSQL) the same JSON value, the bytes
	 * being the server's (ARCHITECTURE.md, invariant 5) */
	assert_raw_json(&t, q_text(&t, "SELECT raw_json FROM supporters WHERE id = 42"), start, len);
	assert_string_equal(q_text(&t, "SELECT first_name FROM supporters"),
			    "J\xc3\xb6rg \xf0\x9f\x98\x80");
	assert_string_equal(q_text(&t, "SELECT last_name FROM supporters"), "a/b\"c");
	tstore_close(&t);
}

/* A NUL character in a string (valid JSON) does not keep a record out:
 * where raw_json is a document (jsonb holds no NUL) it becomes U+FFFD there;
 * the column keeps the text before it, as cJSON decodes it everywhere. */
static void test_nul_character_stored(void **state)
{
	(void)state;
	tstore t;
	/* an escaped NUL, and an escaped backslash before "u0000" (no NUL) */
	static const char rec[] = "{\"id\":7,\"first_name\":\"Ann\\u0000x\","
				  "\"last_name\":\"a\\\\u0000\"}";
	tstore_open(&t);
	const char *recs[] = {rec};
	put_page(&t, CS_ENT_SUPPORTERS, 1, SYNC1, recs, 1);
	assert_string_equal(q_text(&t, "SELECT first_name FROM supporters WHERE id = 7"), "Ann");
	assert_string_equal(q_text(&t, "SELECT last_name FROM supporters WHERE id = 7"),
			    "a\\u0000");
	const char *raw = q_text(&t, "SELECT raw_json FROM supporters WHERE id = 7");
	if (tstore_json_is_document(&t))
		assert_raw_json(&t, raw, "{\"id\":7,\"first_name\":\"Ann\\ufffdx\","
				    "\"last_name\":\"a\\\\u0000\"}", strlen(rec));
	else
		assert_raw_json(&t, raw, rec, strlen(rec));
	tstore_close(&t);
}

/* Bytes that are not UTF-8 inside a string (cJSON passes them through) do
 * not keep a record out: kept as they are where the product stores bytes,
 * each replaced by U+FFFD where it accepts UTF-8 only. */
static void test_invalid_utf8_stored(void **state)
{
	(void)state;
	tstore t;
	static const char rec[] = "{\"id\":9,\"first_name\":\"Ren\xe9\","
				  "\"last_name\":\"\xc3\xa9t\xc3\"}";
	static const char fixed[] = "{\"id\":9,\"first_name\":\"Ren\xef\xbf\xbd\","
				    "\"last_name\":\"\xc3\xa9t\xef\xbf\xbd\"}";
	tstore_open(&t);
	const char *recs[] = {rec};
	put_page(&t, CS_ENT_SUPPORTERS, 1, SYNC1, recs, 1);
	assert_string_equal(q_text(&t, "SELECT first_name FROM supporters WHERE id = 9"),
			    t.db ? "Ren\xe9" : "Ren\xef\xbf\xbd");
	assert_string_equal(q_text(&t, "SELECT last_name FROM supporters WHERE id = 9"),
			    t.db ? "\xc3\xa9t\xc3" : "\xc3\xa9t\xef\xbf\xbd");
	const char *want = t.db ? rec : fixed;
	assert_raw_json(&t, q_text(&t, "SELECT raw_json FROM supporters WHERE id = 9"), want,
			strlen(want));
	tstore_close(&t);
}

/* A time of year 0 (ISO 8601's 1 BC, which PostgreSQL's calendar lacks)
 * does not keep a record out: the column holds it where the product can,
 * NULL where it cannot, and raw_json keeps it everywhere. */
static void test_year_zero_stored(void **state)
{
	(void)state;
	tstore t;
	static const char rec[] = "{\"id\":8,\"purchased_at\":\"0000-01-01T00:00:00Z\","
				  "\"status\":\"success\"}";
	tstore_open(&t);
	const char *recs[] = {rec};
	put_page(&t, CS_ENT_TRANSACTIONS, 1, SYNC1, recs, 1);
	const char *at = q_text(&t, "SELECT purchased_at FROM transactions WHERE id = 8");
	if (t.db || strcmp(at, "(null)")) /* SQLite's text holds it, MariaDB's DATETIME too */
		assert_same_time(at, "0000-01-01T00:00:00Z");
	assert_string_equal(q_text(&t, "SELECT status FROM transactions WHERE id = 8"), "success");
	assert_raw_json(&t, q_text(&t, "SELECT raw_json FROM transactions WHERE id = 8"), rec,
			strlen(rec));
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
	assert_string_equal(q_text(&t, "SELECT status FROM transactions"), "success");
	assert_string_equal(q_quote(&t, 0, "SELECT fees_amount FROM transactions"), "NULL");
	assert_string_equal(q_quote(&t, 0, "SELECT deleted_at FROM transactions"), "NULL");
	assert_string_equal(q_text(&t, "SELECT synced_at FROM transactions"), SYNC2);
	assert_int_equal(q_int(&t, "SELECT organization_id FROM transactions"), 2);
	static const char v2_raw[] = "{\"id\":9,\"status\":\"success\"}";
	assert_raw_json(&t, q_text(&t, "SELECT raw_json FROM transactions"), v2_raw,
			strlen(v2_raw));
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
	assert_same_time(out.cursor, in.cursor);
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
	assert_string_equal(q_list(&t, "SELECT supporter_id FROM aggregate_queue WHERE "
				       "organization_id = 1 ORDER BY 1"),
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
	assert_string_equal(q_list(&t, "SELECT id FROM supporters WHERE deleted_at IS NOT NULL "
				       "ORDER BY id"), "1,3");
	assert_string_equal(q_quote(&t, 0, "SELECT deleted_at FROM supporters WHERE id = 50"),
			    "NULL");
	assert_int_equal(q_int(&t, "SELECT count(*) FROM supporters"), 4); /* never deleted */
	assert_int_equal(t.st->mark_absent(t.st, sup, 1, SYNC2, &marked, &err), 0);
	assert_int_equal(marked, 0); /* already marked rows keep their time */
	tstore_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_rollback_cycle),
		cmocka_unit_test(test_added_column_migration),
		cmocka_unit_test(test_reset_leaves_nothing),
		cmocka_unit_test(test_type_mapping),
		cmocka_unit_test(test_full_record_and_absent_columns),
		cmocka_unit_test(test_raw_json_byte_exact),
		cmocka_unit_test(test_nul_character_stored),
		cmocka_unit_test(test_year_zero_stored),
		cmocka_unit_test(test_invalid_utf8_stored),
		cmocka_unit_test(test_upsert_twice_keeps_newer),
		cmocka_unit_test(test_page_abort_leaves_nothing),
		cmocka_unit_test(test_state_written_with_page),
		cmocka_unit_test(test_aggregate_queue),
		cmocka_unit_test(test_record_without_numeric_id),
		cmocka_unit_test(test_mark_absent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
