/* health over a real SQLite store: the run history ctrl op (newest run,
 * newest success, the failure window across entities) and the freshness,
 * errors and org checks built on it, on a fixed clock. */
#include "test_store_fixture.h"

#include "health/health.h"
#include "util/timeutil.h"

#define T0 "2024-03-10T12:00:00Z"

typedef struct hfx {
	fx *f;
	cs_config cfg;
	cs_dconfig dcfg;
	int64_t now;
} hfx;

static int hsetup(void **state)
{
	hfx *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	h->f = fx_open();
	h->cfg.db_type = CS_DB_SQLITE;
	snprintf(h->cfg.db_path, sizeof(h->cfg.db_path), "%s", h->f->t.path);
	cs_dconfig_defaults(&h->dcfg);
	assert_int_equal(cs_time_parse(T0, &h->now, NULL), 0);
	exec(h->f->db, "INSERT INTO organizations (id, name, client_id, client_secret_enc, "
		       "created_at, updated_at) VALUES (1001, 'a', 'c', 'enc', '%s', '%s'), "
		       "(2002, 'demo', 'd', NULL, '%s', '%s')", T0, T0, T0, T0);
	*state = h;
	return 0;
}

static int hteardown(void **state)
{
	hfx *h = *state;
	void *fs = h->f;
	cs_dconfig_release(&h->dcfg);
	free(h);
	return teardown(&fs);
}

/* A finished run of org 1001 `min_ago` minutes before T0. */
static void run(hfx *h, const char *entity, const char *status, int min_ago)
{
	char at[CS_TIME_BUFSZ];
	cs_time_format(h->now - (int64_t)min_ago * 60000, 0, at);
	exec(h->f->db, "INSERT INTO sync_runs (organization_id, entity, mode, started_at, "
		       "finished_at, status, error) VALUES (1001, '%q', 'incremental', '%q', '%q', "
		       "'%q', %Q)", entity, at, at, status,
	     strcmp(status, "success") ? "boom" : NULL);
}

static void test_facts(void **state)
{
	hfx *h = *state;
	cs_err err = {0};
	run(h, "supporters", "success", 100);
	run(h, "supporters", "failed", 50);
	run(h, "campaigns", "success", 40);
	run(h, "campaigns", "running", 1);
	cs_run_facts f = {.org_id = 1001, .window = 20};
	assert_int_equal(h->f->st->ctrl(h->f->st, CS_CTRL_RUN_FACTS, &f, &err), 0);
	assert_int_equal(f.ent[CS_ENT_SUPPORTERS].last_status, CS_RUN_FAILED);
	assert_string_equal(f.ent[CS_ENT_SUPPORTERS].last_error, "boom");
	assert_int_equal(f.ent[CS_ENT_CAMPAIGNS].last_status, CS_RUN_RUNNING);
	assert_int_equal(f.ent[CS_ENT_TRANSACTIONS].last_status, -1);
	assert_string_equal(f.ent[CS_ENT_TRANSACTIONS].last_success_at, "");
	int64_t ms = 0;
	assert_int_equal(cs_time_parse(f.ent[CS_ENT_SUPPORTERS].last_success_at, &ms, NULL), 0);
	assert_int_equal(h->now - ms, 100 * 60000);
	assert_int_equal(f.recent, 3); /* running runs are not in the window */
	assert_int_equal(f.recent_failed, 1);
	/* the window takes the newest runs across entities */
	for (int i = 0; i < 3; i++)
		run(h, "transactions", "success", 10 - i);
	f.window = 2;
	assert_int_equal(h->f->st->ctrl(h->f->st, CS_CTRL_RUN_FACTS, &f, &err), 0);
	assert_int_equal(f.recent, 2);
	assert_int_equal(f.recent_failed, 0);
}

static const cs_health_check *find(const cs_health_report *rep, const char *name)
{
	for (size_t i = 0; i < rep->n; i++)
		if (!strcmp(rep->v[i].name, name))
			return &rep->v[i];
	fail_msg("no check named '%s'", name);
	return NULL;
}

static void health(hfx *h, const char *only, cs_health_report *rep)
{
	cs_err err = {0};
	cs_health_opts o = {.store = h->f->st, .cfg = &h->cfg, .dcfg = &h->dcfg, .only = only,
			    .detailed = 1, .now_ms = h->now};
	assert_int_equal(cs_health_run(&o, rep, &err), 0);
}

static void test_freshness_and_errors(void **state)
{
	hfx *h = *state;
	cs_health_report rep;
	run(h, "campaigns", "success", 119);     /* 60 min interval: 2x not passed */
	run(h, "supporters", "success", 61);     /* 30 min: beyond 2x */
	run(h, "transactions", "success", 61);   /* 15 min: beyond 4x */
	health(h, "freshness", &rep);
	assert_int_equal(rep.n, 4); /* org 1001 only: 2002 is demo data */
	assert_int_equal(find(&rep, "1001/campaigns")->level, CS_HEALTH_OK);
	const cs_health_check *c = find(&rep, "1001/supporters");
	assert_int_equal(c->level, CS_HEALTH_WARNING);
	assert_non_null(strstr(c->recommendation, "classy-sync sync supporters --org 1001"));
	assert_int_equal(find(&rep, "1001/transactions")->level, CS_HEALTH_CRITICAL);
	c = find(&rep, "1001/recurring_plans");
	assert_int_equal(c->level, CS_HEALTH_WARNING);
	assert_non_null(strstr(c->message, "never"));
	assert_int_equal(rep.worst, CS_HEALTH_CRITICAL);
	cs_health_report_release(&rep);

	run(h, "campaigns", "failed", 5);
	health(h, "errors", &rep);
	assert_int_equal(find(&rep, "org:1001")->level, CS_HEALTH_WARNING); /* 1 of 4 */
	cs_health_report_release(&rep);
	run(h, "campaigns", "partial", 4);
	health(h, "1001", &rep); /* org, freshness and errors of one org */
	assert_int_equal(find(&rep, "org:1001")->level, CS_HEALTH_WARNING); /* newest partial */
	assert_int_equal(rep.n, 1 + 4 + 1);
	cs_health_report_release(&rep);
}

static void test_unknown_component(void **state)
{
	hfx *h = *state;
	cs_health_report rep;
	cs_err err = {0};
	cs_health_opts o = {.store = h->f->st, .cfg = &h->cfg, .dcfg = &h->dcfg, .only = "nope"};
	assert_int_equal(cs_health_run(&o, &rep, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "'nope'"));
	cs_health_report_release(&rep);
	o.only = "org:9";
	assert_int_equal(cs_health_run(&o, &rep, &err), CS_EUSAGE);
	cs_health_report_release(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_facts, hsetup, hteardown),
		cmocka_unit_test_setup_teardown(test_freshness_and_errors, hsetup, hteardown),
		cmocka_unit_test_setup_teardown(test_unknown_component, hsetup, hteardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
