/* Store registry, organizations, runs, status and error messages. */
#include "test_store_helpers.h"
#include "util/redact.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SYNC1 "2025-01-01T00:00:00.000Z"

/* --- registry --- */

static void test_backends_not_built(void **state)
{
	(void)state;
	static const struct {
		int type;
		const char *msg;
	} cases[] = {
		{CS_DB_POSTGRESQL, "DB_TYPE=postgresql: this build of classy-sync has no PostgreSQL "
				   "backend (not built); use DB_TYPE=sqlite"},
		{CS_DB_MYSQL, "DB_TYPE=mysql: this build of classy-sync has no MySQL backend (not "
			      "built); use DB_TYPE=sqlite"},
		{42, "DB_TYPE: unknown database type 42; use DB_TYPE=sqlite"},
	};
	for (size_t i = 0; i < N(cases); i++) {
		cs_config cfg = {.db_type = cases[i].type};
		cs_err err = {0};
		cs_store *st = (cs_store *)&cfg; /* must be reset to NULL */
		assert_int_equal(cs_store_open(&cfg, &st, &err), CS_EUSAGE);
		assert_null(st);
		assert_string_equal(err.msg, cases[i].msg);
	}
	cs_store_close(NULL);
}

static void test_bad_db_path(void **state)
{
	(void)state;
	cs_config cfg = {.db_type = CS_DB_SQLITE};
	cs_err err = {0};
	cs_store *st = NULL;
	snprintf(cfg.db_path, sizeof(cfg.db_path), "/nope/x.db");
	assert_int_equal(cs_store_open(&cfg, &st, &err), CS_EUSAGE);
	assert_null(st);
	assert_string_equal(err.msg, "cannot open database '/nope/x.db': directory '/nope' does not "
				     "exist; set DB_PATH to a writable path");

	snprintf(cfg.db_path, sizeof(cfg.db_path), "/tmp");
	assert_int_equal(cs_store_open(&cfg, &st, &err), CS_EUSAGE);
	assert_string_equal(err.msg, "cannot open database '/tmp': it is a directory; set DB_PATH "
				     "to a file path");
}

static void test_not_a_database(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	tstore_open(&t);
	cs_store_close(t.st);
	t.st = NULL;
	FILE *f = fopen(t.path, "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database at all, just text. ", f);
	fclose(f);
	cs_config cfg = {.db_type = CS_DB_SQLITE};
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", t.path);
	assert_int_equal(cs_store_open(&cfg, &t.st, &err), CS_EIO);
	assert_null(t.st);
	char want[512];
	snprintf(want, sizeof(want), "cannot open database '%s': the file is not an SQLite "
				     "database; set DB_PATH to a classy-sync database or a new file",
		 t.path);
	assert_string_equal(err.msg, want);
	tstore_close(&t);
}

static void test_failure_messages(void **state)
{
	(void)state;
	static const struct {
		int rc, code;
		const char *why;
	} cases[] = {
		{SQLITE_FULL, CS_EIO, "the disk is full; free space and rerun: nothing was lost, the "
				      "page in flight was rolled back"},
		{SQLITE_READONLY_DBMOVED, CS_EIO, "the database is read-only"},
		{SQLITE_BUSY, CS_EBUSY, "the database is locked by another process"},
		{SQLITE_LOCKED, CS_EBUSY, "the database is locked by another process"},
		{SQLITE_CORRUPT, CS_EIO, "the database file is corrupt"},
		{SQLITE_NOTADB, CS_EIO, "the file is not an SQLite database"},
		{SQLITE_CANTOPEN, CS_EIO, "the file cannot be opened"},
		{SQLITE_IOERR_WRITE, CS_EIO, "a disk I/O error occurred"},
		{SQLITE_MISMATCH, CS_ERR, "datatype mismatch"},
	};
	for (size_t i = 0; i < N(cases); i++) {
		cs_err err = {0};
		assert_int_equal(cs_sqlite_map_error("x.db", cases[i].rc, NULL, "commit a page", &err),
				 cases[i].code);
		assert_int_equal(err.code, cases[i].code);
		const char *prefix = "cannot commit a page in database 'x.db': ";
		assert_memory_equal(err.msg, prefix, strlen(prefix));
		if (strncmp(err.msg + strlen(prefix), cases[i].why, strlen(cases[i].why)))
			fail_msg("rc %d: %s", cases[i].rc, err.msg);
	}
}

static void test_ctrl_unknown_op(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	tstore_open(&t);
	assert_int_equal(t.st->ctrl(t.st, 12345, NULL, &err), CS_ENOTFOUND);
	assert_non_null(strstr(err.msg, "12345"));
	assert_string_equal(t.st->name, "sqlite");
	assert_int_equal(t.st->abi, CS_STORE_ABI);
	assert_string_equal(cs_run_status_name(CS_RUN_INTERRUPTED), "interrupted");
	assert_string_equal(cs_run_status_name(CS_RUN_SUCCESS), "success");
	assert_string_equal(cs_run_status_name(-1), "unknown");
	tstore_close(&t);
}

/* --- organizations --- */

static void put_org(tstore *t, long long id, const char *name, const char *secret)
{
	cs_org o;
	cs_err err = {0};
	memset(&o, 0, sizeof(o));
	o.id = id;
	snprintf(o.name, sizeof(o.name), "%s", name);
	snprintf(o.client_id, sizeof(o.client_id), "client-%lld", id);
	o.secret_enc = (char *)secret;
	if (t->st->org_put(t->st, &o, &err))
		fail_msg("org_put: %s", err.msg);
}

typedef struct org_seen {
	int n;
	long long ids[8];
	char secrets[8][32];
} org_seen;

static int see_org(const cs_org *o, void *ctx)
{
	org_seen *s = ctx;
	s->ids[s->n] = o->id;
	snprintf(s->secrets[s->n], sizeof(s->secrets[0]), "%s", o->secret_enc ? o->secret_enc : "-");
	return ++s->n == 8 ? 1 : 0;
}

static void test_org_crud(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	cs_org o;
	org_seen seen = {0};
	tstore_open(&t);
	put_org(&t, 20, "Second", "c2VjcmV0Mg==");
	put_org(&t, 10, "First \xc3\xa9", "c2VjcmV0MQ==");
	put_org(&t, 20, "Second renamed", NULL); /* keeps its secret */
	assert_int_equal(t.st->org_get(t.st, 20, &o, &err), 0);
	assert_string_equal(o.name, "Second renamed");
	assert_string_equal(o.client_id, "client-20");
	assert_string_equal(o.secret_enc, "c2VjcmV0Mg==");
	assert_int_equal(strlen(o.created_at), 24);
	cs_org_release(&o);
	assert_null(o.secret_enc);
	cs_org_release(NULL);

	assert_int_equal(t.st->org_list(t.st, see_org, &seen, &err), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.ids[0], 10);
	assert_int_equal(seen.ids[1], 20);
	assert_string_equal(seen.secrets[0], "c2VjcmV0MQ==");

	assert_int_equal(t.st->org_get(t.st, 99, &o, &err), CS_ENOTFOUND);
	assert_string_equal(err.msg, "organization 99 is not registered; add it with 'classy-sync "
				     "org add' or see 'classy-sync org list'");
	assert_null(o.secret_enc);
	tstore_close(&t);
}

/* Rows of org 1 in every per-org table, and of org 2 in transactions. */
static void fill_two_orgs(tstore *t)
{
	cs_err err = {0};
	static const char *const one[] = {"{\"id\":1,\"supporter_id\":100}"};
	static const char *const two[] = {"{\"id\":2,\"supporter_id\":200}"};
	cs_sync_state ss = {.org_id = 1, .entity = CS_ENT_CAMPAIGNS, .lookback_s = 300};
	put_org(t, 1, "One", "enc1");
	put_org(t, 2, "Two", "enc2");
	for (int e = 0; e < CS_ENT_COUNT; e++)
		put_page(t, e, 1, SYNC1, one, 1);
	put_page(t, CS_ENT_TRANSACTIONS, 2, SYNC1, two, 1);
	assert_int_equal(t->st->page_begin(t->st, SYNC1, &err), 0);
	assert_int_equal(t->st->page_commit(t->st, &ss, &err), 0);
	cs_run run = {.org_id = 1, .entity = CS_ENT_CAMPAIGNS};
	assert_int_equal(t->st->run_begin(t->st, &run, &err), 0);
}

static long long org_rows(tstore *t, long long org)
{
	static const char *const tables[] = {"campaigns", "supporters",    "transactions",
					     "recurring_plans", "sync_state", "sync_runs",
					     "aggregate_queue"};
	long long n = 0;
	for (size_t i = 0; i < N(tables); i++)
		n += q_int(t, "SELECT count(*) FROM %s WHERE organization_id = %lld", tables[i], org);
	return n;
}

static void test_org_remove_keep_vs_purge(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	tstore_open(&t);
	fill_two_orgs(&t);
	assert_int_equal(org_rows(&t, 1), 8); /* 4 entities, state, run, 2 queued */

	assert_int_equal(t.st->org_remove(t.st, 1, 0, &err), 0);
	assert_int_equal(q_int(&t, "SELECT count(*) FROM organizations WHERE id = 1"), 0);
	assert_int_equal(org_rows(&t, 1), 8); /* data kept */
	assert_int_equal(t.st->org_remove(t.st, 1, 0, &err), CS_ENOTFOUND);
	assert_string_equal(err.msg, "organization 1 is not registered; see 'classy-sync org list'");

	/* purge still removes what a plain remove left */
	assert_int_equal(t.st->org_remove(t.st, 1, 1, &err), 0);
	assert_int_equal(org_rows(&t, 1), 0);
	assert_int_equal(org_rows(&t, 2), 2); /* other org untouched */
	assert_int_equal(q_int(&t, "SELECT count(*) FROM organizations"), 1);
	assert_int_equal(t.st->org_remove(t.st, 1, 1, &err), CS_ENOTFOUND);
	assert_string_equal(err.msg, "organization 1 is not registered and has no synced data; see "
				     "'classy-sync org list'");

	assert_int_equal(t.st->org_remove(t.st, 2, 1, &err), 0);
	assert_int_equal(org_rows(&t, 2), 0);
	assert_int_equal(q_int(&t, "SELECT count(*) FROM organizations"), 0);
	tstore_close(&t);
}

/* --- runs and status --- */

static void test_runs(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	tstore_open(&t);
	cs_run run = {.org_id = 3, .entity = CS_ENT_SUPPORTERS, .full = 1};
	assert_int_equal(t.st->run_begin(t.st, &run, &err), 0);
	assert_true(run.id > 0);
	assert_int_equal(strlen(run.started_at), 24);
	assert_string_equal(q_text(&t, "SELECT entity || mode || status || quote(finished_at) FROM "
				       "sync_runs WHERE id = %lld", run.id),
			    "supportersfullrunningNULL");
	run.status = CS_RUN_PARTIAL;
	run.records = 250;
	run.pages = 3;
	run.requests = 4;
	run.retries = 1;
	snprintf(run.error, sizeof(run.error), "transactions: HTTP 400 'bad filter'");
	snprintf(run.finished_at, sizeof(run.finished_at), "2025-01-01T00:01:00.000Z");
	assert_int_equal(t.st->run_finish(t.st, &run, &err), 0);
	assert_string_equal(q_text(&t, "SELECT status || records || pages || requests || retries || "
				       "finished_at || error FROM sync_runs"),
			    "partial250341" "2025-01-01T00:01:00.000Z"
			    "transactions: HTTP 400 'bad filter'");
	run.id = 999;
	assert_int_equal(t.st->run_finish(t.st, &run, &err), CS_ENOTFOUND);
	tstore_close(&t);
}

/* Values are always bound, never spliced into SQL: text that is SQL, a
 * parameter marker or a dialect word is stored as it came, and nothing runs.
 * Run errors are stored redacted (util/redact.h). */
#define HOSTILE "x'); DROP TABLE organizations; -- \" \\ ?1 $1 @now %s"
static void test_values_are_bound_never_spliced(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	tstore_open(&t);
	put_org(&t, 5, HOSTILE, HOSTILE);
	cs_org o;
	assert_int_equal(t.st->org_get(t.st, 5, &o, &err), 0);
	assert_string_equal(o.name, HOSTILE);
	assert_string_equal(o.secret_enc, HOSTILE);
	cs_org_release(&o);
	static const char *const rec[] = {
		"{\"id\":7,\"first_name\":\"x'); DROP TABLE supporters; --\",\"last_name\":\"@now\"}"};
	put_page(&t, CS_ENT_SUPPORTERS, 5, SYNC1, rec, 1);
	assert_string_equal(q_text(&t, "SELECT first_name || '|' || last_name FROM supporters"),
			    "x'); DROP TABLE supporters; --|@now");
	cs_redact_add("run-error-secret-0123");
	cs_run run = {.org_id = 5, .entity = CS_ENT_SUPPORTERS};
	assert_int_equal(t.st->run_begin(t.st, &run, &err), 0);
	run.status = CS_RUN_FAILED;
	snprintf(run.error, sizeof(run.error), "%s and run-error-secret-0123", HOSTILE);
	assert_int_equal(t.st->run_finish(t.st, &run, &err), 0);
	assert_string_equal(q_text(&t, "SELECT error FROM sync_runs"), HOSTILE " and [redacted]");
	cs_redact_reset();
	assert_int_equal(q_int(&t, "SELECT count(*) FROM sqlite_master WHERE name IN "
				   "('organizations', 'supporters', 'sync_runs')"),
			 3);
	tstore_close(&t);
}

static const cJSON *get(const cJSON *o, const char *path)
{
	char key[64];
	while (o && *path) {
		size_t n = strcspn(path, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		o = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, atoi(key))
				     : cJSON_GetObjectItemCaseSensitive(o, key);
		path += n + (path[n] == '.');
	}
	return o;
}

static long long num(const cJSON *o, const char *path)
{
	const cJSON *v = get(o, path);
	if (!cJSON_IsNumber(v))
		fail_msg("%s is not a number", path);
	return (long long)v->valuedouble;
}

static void test_status(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	cJSON *st = NULL;
	long long marked;
	tstore_open_only(&t);
	assert_int_equal(t.st->status(t.st, &st, &err), 0);
	assert_int_equal(num(st, "schema_version"), 0);
	assert_int_equal(cJSON_GetArraySize(get(st, "organizations")), 0);
	cJSON_Delete(st);
	int applied;
	assert_int_equal(t.st->migrate(t.st, &applied, &err), 0);

	put_org(&t, 5, "Five", "secret-enc-5");
	static const char *const sup[] = {"{\"id\":1}", "{\"id\":2}"};
	static const char *const tx[] = {"{\"id\":10,\"supporter_id\":1}",
					 "{\"id\":11,\"supporter_id\":404}",
					 "{\"id\":12,\"supporter_id\":405}", "{\"id\":13}"};
	static const char *const gone[] = {"{\"id\":30,\"supporter_id\":1}"};
	put_page(&t, CS_ENT_SUPPORTERS, 5, SYNC1, sup, 2);
	put_page(&t, CS_ENT_TRANSACTIONS, 5, SYNC1, tx, 4);
	put_page(&t, CS_ENT_TRANSACTIONS, 3, SYNC1, gone, 1); /* org 3 has no row */
	assert_int_equal(t.st->mark_absent(t.st, &cs_entities[CS_ENT_SUPPORTERS], 5,
					   "2026-01-01T00:00:00.000Z", &marked, &err), 0);
	cs_run r1 = {.org_id = 5, .entity = CS_ENT_TRANSACTIONS, .full = 1};
	cs_run r2 = {.org_id = 5, .entity = CS_ENT_TRANSACTIONS};
	assert_int_equal(t.st->run_begin(t.st, &r1, &err), 0);
	r1.status = CS_RUN_SUCCESS;
	assert_int_equal(t.st->run_finish(t.st, &r1, &err), 0);
	assert_int_equal(t.st->run_begin(t.st, &r2, &err), 0);

	assert_int_equal(t.st->status(t.st, &st, &err), 0);
	char *text = cJSON_PrintUnformatted(st);
	assert_null(strstr(text, "secret-enc-5")); /* never shows secrets */
	free(text);
	assert_string_equal(get(st, "database")->valuestring, t.path);
	assert_int_equal(num(st, "schema_version"), (int)cs_sql_nmigrations);
	assert_int_equal(cJSON_GetArraySize(get(st, "organizations")), 2);
	/* sorted by id: the removed-without-purge org 3 first, name null */
	assert_int_equal(num(st, "organizations.0.id"), 3);
	assert_true(cJSON_IsNull(get(st, "organizations.0.name")));
	assert_int_equal(num(st, "organizations.0.counts.transactions"), 1);
	assert_int_equal(num(st, "organizations.0.orphan_transactions"), 0);
	assert_int_equal(num(st, "organizations.1.id"), 5);
	assert_string_equal(get(st, "organizations.1.name")->valuestring, "Five");
	assert_string_equal(get(st, "organizations.1.client_id")->valuestring, "client-5");
	assert_int_equal(num(st, "organizations.1.counts.supporters"), 0);
	assert_int_equal(num(st, "organizations.1.deleted.supporters"), 2);
	assert_int_equal(num(st, "organizations.1.counts.transactions"), 4);
	assert_int_equal(num(st, "organizations.1.deleted.transactions"), 0);
	assert_int_equal(num(st, "organizations.1.counts.campaigns"), 0);
	assert_int_equal(num(st, "organizations.1.counts.recurring_plans"), 0);
	assert_int_equal(num(st, "organizations.1.orphan_transactions"), 2);
	const cJSON *run = get(st, "organizations.1.last_runs.transactions");
	assert_int_equal(num(run, "id"), r2.id); /* the latest run */
	assert_string_equal(get(run, "mode")->valuestring, "incremental");
	assert_string_equal(get(run, "status")->valuestring, "running");
	assert_true(cJSON_IsNull(get(run, "finished_at")));
	assert_true(cJSON_IsNull(get(run, "error")));
	assert_int_equal(num(run, "records"), 0);
	assert_null(get(st, "organizations.1.last_runs.supporters"));
	cJSON_Delete(st);
	tstore_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backends_not_built),
		cmocka_unit_test(test_bad_db_path),
		cmocka_unit_test(test_not_a_database),
		cmocka_unit_test(test_failure_messages),
		cmocka_unit_test(test_ctrl_unknown_op),
		cmocka_unit_test(test_org_crud),
		cmocka_unit_test(test_org_remove_keep_vs_purge),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_values_are_bound_never_spliced),
		cmocka_unit_test(test_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
