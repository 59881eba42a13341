/* Store registry, organizations, runs and status, on every backend. */
#include "test_store_helpers.h"
#include "util/redact.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SYNC1 "2025-01-01T00:00:00.000Z"

/* --- registry --- */

/* A server backend whose client library was missing at build time is a
 * stub that says so; one that was built is reached (CMake says which were:
 * CS_TEST_HAVE_PGSQL, CS_TEST_HAVE_MYSQL). An unknown type is refused. */
static void test_backends_not_built(void **state)
{
	(void)state;
	static const struct {
		int type, built;
		const char *msg;
	} cases[] = {
		{CS_DB_POSTGRESQL, CS_TEST_HAVE_PGSQL,
		 "DB_TYPE=postgresql: this build of classy-sync has no PostgreSQL backend (not "
		 "built); use DB_TYPE=sqlite"},
		{CS_DB_MYSQL, CS_TEST_HAVE_MYSQL,
		 "DB_TYPE=mysql: this build of classy-sync has no MySQL backend (not built); use "
		 "DB_TYPE=sqlite"},
		{42, 0, "DB_TYPE: unknown database type 42; use DB_TYPE=sqlite"},
	};
	for (size_t i = 0; i < N(cases); i++) {
		cs_config cfg = {.db_type = cases[i].type};
		cs_err err = {0};
		cs_store *st = (cs_store *)&cfg; /* must be reset to NULL */
		snprintf(cfg.db_host, sizeof(cfg.db_host), "/nonexistent-socket-dir");
		assert_int_equal(cs_store_open(&cfg, &st, &err), CS_EUSAGE);
		assert_null(st);
		if (cases[i].built)
			assert_null(strstr(err.msg, "not built"));
		else
			assert_string_equal(err.msg, cases[i].msg);
	}
	cs_store_close(NULL);
}

/* A server backend that cannot connect says where it tried (never with the
 * password) and which settings to check. */
static void test_server_unreachable(void **state)
{
	(void)state;
	cs_config cfg = {.db_type = CS_DB_POSTGRESQL};
	cs_err err = {0};
	cs_store *st = NULL;
	snprintf(cfg.db_host, sizeof(cfg.db_host), "/nonexistent-socket-dir");
	snprintf(cfg.db_password, sizeof(cfg.db_password), "hunter2");
	snprintf(cfg.db_name, sizeof(cfg.db_name), "classy");
	assert_int_equal(cs_store_open(&cfg, &st, &err), CS_EUSAGE);
	assert_null(st);
	assert_non_null(strstr(err.msg, "cannot connect to PostgreSQL at 'postgresql://"));
	assert_non_null(strstr(err.msg, "/nonexistent-socket-dir"));
	assert_non_null(strstr(err.msg, "check DB_HOST"));
	assert_null(strstr(err.msg, "hunter2"));
}

static void test_ctrl_unknown_op(void **state)
{
	(void)state;
	tstore t;
	cs_err err = {0};
	tstore_open(&t);
	assert_int_equal(t.st->ctrl(t.st, 12345, NULL, &err), CS_ENOTFOUND);
	assert_non_null(strstr(err.msg, "12345"));
	assert_string_equal(t.st->name, tstore_backend());
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
	assert_string_equal(q_list(&t, "SELECT entity FROM sync_runs WHERE id = %lld UNION ALL "
				       "SELECT mode FROM sync_runs WHERE id = %lld UNION ALL "
				       "SELECT status FROM sync_runs WHERE id = %lld", run.id, run.id,
				   run.id),
			    "supporters,full,running");
	assert_string_equal(q_quote(&t, 0, "SELECT finished_at FROM sync_runs WHERE id = %lld",
				    run.id),
			    "NULL");
	run.status = CS_RUN_PARTIAL;
	run.records = 250;
	run.pages = 3;
	run.requests = 4;
	run.retries = 1;
	snprintf(run.error, sizeof(run.error), "transactions: HTTP 400 'bad filter'");
	snprintf(run.finished_at, sizeof(run.finished_at), "2025-01-01T00:01:00.000Z");
	assert_int_equal(t.st->run_finish(t.st, &run, &err), 0);
	assert_string_equal(q_text(&t, "SELECT status FROM sync_runs"), "partial");
	assert_int_equal(q_int(&t, "SELECT records FROM sync_runs"), 250);
	assert_int_equal(q_int(&t, "SELECT pages FROM sync_runs"), 3);
	assert_int_equal(q_int(&t, "SELECT requests FROM sync_runs"), 4);
	assert_int_equal(q_int(&t, "SELECT retries FROM sync_runs"), 1);
	assert_string_equal(q_text(&t, "SELECT finished_at FROM sync_runs"),
			    "2025-01-01T00:01:00.000Z");
	assert_string_equal(q_text(&t, "SELECT error FROM sync_runs"),
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
	/* the tables the hostile values named are all still there */
	assert_int_equal(q_int(&t, "SELECT (SELECT count(*) FROM organizations) + "
				   "(SELECT count(*) FROM supporters) + (SELECT count(*) FROM sync_runs)"),
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

/* The password of "scheme://user:password@host...", "" when there is none. */
static void url_password(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://");
	const char *at = p ? strchr(p + 3, '@') : NULL;
	const char *colon = p ? strchr(p + 3, ':') : NULL;
	*out = '\0';
	if (at && colon && colon < at)
		snprintf(out, n, "%.*s", (int)(at - colon - 1), colon + 1);
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
	/* the file, or the server's database by a name without the password */
	assert_string_equal(get(st, "database")->valuestring, t.db ? t.path : t.sql->name);
	char pw[128];
	url_password(t.cfg.database_url, pw, sizeof(pw));
	assert_true(!*pw || !strstr(get(st, "database")->valuestring, pw));
	assert_int_equal(num(st, "schema_version"),
			 cs_sql_migrations[cs_sql_nmigrations - 1].version);
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
		cmocka_unit_test(test_server_unreachable),
		cmocka_unit_test(test_ctrl_unknown_op),
		cmocka_unit_test(test_org_crud),
		cmocka_unit_test(test_org_remove_keep_vs_purge),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_values_are_bound_never_spliced),
		cmocka_unit_test(test_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
