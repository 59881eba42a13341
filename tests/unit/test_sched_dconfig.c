#include "sched/dconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define SRC "/etc/classy-sync/daemon-config.json"

static int parse(const char *text, cs_dconfig *cfg, cs_err *err)
{
	cs_err_clear(err);
	return cs_dconfig_parse(text, SRC, cfg, err);
}

/* Parses text expecting CS_EUSAGE with every needle in the message. */
static void expect_error(const char *text, const char *needle1, const char *needle2)
{
	cs_dconfig cfg;
	cs_err err;
	memset(&cfg, 0x5a, sizeof(cfg));
	cs_dconfig before = cfg;
	assert_int_equal(parse(text, &cfg, &err), CS_EUSAGE);
	if (!strstr(err.msg, needle1) || (needle2 && !strstr(err.msg, needle2)))
		fail_msg("message '%s' lacks '%s' / '%s'", err.msg, needle1,
			 needle2 ? needle2 : "");
	/* a failed parse never touches *out: the SIGHUP swap relies on it */
	assert_memory_equal(&cfg, &before, sizeof(cfg));
}

static void test_empty_object_gives_defaults(void **state)
{
	(void)state;
	cs_dconfig cfg;
	cs_err err;
	assert_int_equal(parse("{}", &cfg, &err), 0);
	assert_int_equal(cfg.interval_ms[CS_ENT_SUPPORTERS], 1800000);
	assert_int_equal(cfg.interval_ms[CS_ENT_TRANSACTIONS], 900000);
	assert_int_equal(cfg.interval_ms[CS_ENT_CAMPAIGNS], 3600000);
	assert_int_equal(cfg.interval_ms[CS_ENT_RECURRING_PLANS], 3600000);
	assert_int_equal(cfg.interval_ms[CS_SCHED_JOB_PLUGINS], 3600000);
	assert_int_equal(cfg.health_interval_ms, 300000);
	assert_int_equal(cfg.health_alert_on_failure, 1);
	assert_int_equal(cfg.restart_enabled, 1);
	assert_int_equal(cfg.restart_max, 5);
	assert_int_equal(cfg.restart_delay_ms, 30000);
	assert_int_equal(cfg.restart_window_ms, 600000);
	assert_int_equal(cfg.nightly_minute, 180);
	assert_int_equal(cfg.max_concurrent_jobs, 2);
	assert_int_equal(cfg.alert_consecutive_failures, 3);
	assert_int_equal(cfg.alert_cooldown_ms, 3600000);
	assert_int_equal(cfg.alert_stale_factor, 2);
	assert_int_equal(cfg.norgs, 0);
	assert_true(cs_dconfig_org_enabled(&cfg, 1001));
	cs_dconfig_release(&cfg);
}

static void test_values_and_org_overrides(void **state)
{
	(void)state;
	const char *text = "{\n"
			   " \"syncIntervals\": {\"supporters\": 60000, \"plugins\": 1000},\n"
			   " \"healthCheck\": {\"alertOnFailure\": false},\n"
			   " \"autoRestart\": {\"window\": 1e6, \"restartDelay\": 0},\n"
			   " \"nightlyFullSync\": \"23:59\", \"maxConcurrentJobs\": 16,\n"
			   " \"alerts\": {\"staleFactor\": 5},\n"
			   " \"organizations\": {\n"
			   "  \"2002\": {\"enabled\": false},\n"
			   "  \"1001\": {\"syncIntervals\": {\"transactions\": 5000},\n"
			   "            \"nightlyFullSync\": \"\"},\n"
			   "  \"3003\": {\"nightlyFullSync\": \"00:30\"}}}";
	cs_dconfig cfg;
	cs_err err;
	assert_int_equal(parse(text, &cfg, &err), 0);
	assert_int_equal(cfg.interval_ms[CS_ENT_SUPPORTERS], 60000);
	assert_int_equal(cfg.interval_ms[CS_SCHED_JOB_PLUGINS], 1000);
	assert_int_equal(cfg.health_alert_on_failure, 0);
	assert_int_equal(cfg.restart_window_ms, 1000000);
	assert_int_equal(cfg.restart_delay_ms, 0);
	assert_int_equal(cfg.nightly_minute, 23 * 60 + 59);
	assert_int_equal(cfg.max_concurrent_jobs, 16);
	assert_int_equal(cfg.alert_stale_factor, 5);
	assert_int_equal(cfg.norgs, 3);
	assert_true(cfg.orgs[0].org_id == 1001 && cfg.orgs[2].org_id == 3003); /* sorted */

	assert_int_equal(cs_dconfig_interval_ms(&cfg, 1001, CS_ENT_TRANSACTIONS), 5000);
	assert_int_equal(cs_dconfig_interval_ms(&cfg, 1001, CS_ENT_SUPPORTERS), 60000);
	assert_int_equal(cs_dconfig_interval_ms(&cfg, 9999, CS_ENT_TRANSACTIONS), 900000);
	assert_int_equal(cs_dconfig_interval_ms(&cfg, 1001, CS_SCHED_JOB_KINDS), 0);
	assert_int_equal(cs_dconfig_interval_ms(&cfg, 1001, -1), 0);
	assert_false(cs_dconfig_org_enabled(&cfg, 2002));
	assert_true(cs_dconfig_org_enabled(&cfg, 1001));
	assert_true(cs_dconfig_org_enabled(&cfg, 4004));
	assert_int_equal(cs_dconfig_nightly_minute(&cfg, 1001), CS_DCONFIG_OFF);
	assert_int_equal(cs_dconfig_nightly_minute(&cfg, 3003), 30);
	assert_int_equal(cs_dconfig_nightly_minute(&cfg, 2002), 23 * 60 + 59);
	cs_dconfig_release(&cfg);
	cs_dconfig_release(NULL);
}

static void test_nightly_off_forms(void **state)
{
	(void)state;
	cs_dconfig cfg;
	cs_err err;
	assert_int_equal(parse("{\"nightlyFullSync\": \"\"}", &cfg, &err), 0);
	assert_int_equal(cfg.nightly_minute, CS_DCONFIG_OFF);
	assert_int_equal(parse("{\"nightlyFullSync\": null}", &cfg, &err), 0);
	assert_int_equal(cfg.nightly_minute, CS_DCONFIG_OFF);
	assert_int_equal(parse("{\"nightlyFullSync\": \"00:00\"}", &cfg, &err), 0);
	assert_int_equal(cfg.nightly_minute, 0);
}

static void test_unknown_keys(void **state)
{
	(void)state;
	expect_error("{\"syncIntervals\": {\"supporter\": 1000}}",
		     "unknown key 'syncIntervals.supporter' in '" SRC "'",
		     "known keys: supporters, transactions, campaigns, recurringPlans, plugins");
	expect_error("{\"syncInterval\": {}}", "unknown key 'syncInterval'",
		     "known keys: syncIntervals, healthCheck, autoRestart, nightlyFullSync, "
		     "maxConcurrentJobs, alerts, organizations");
	expect_error("{\"organizations\": {\"1001\": {\"syncIntervals\": {\"x\": 1}}}}",
		     "unknown key 'organizations.1001.syncIntervals.x'", "plugins");
	/* top-level-only keys are unknown inside an org */
	expect_error("{\"organizations\": {\"1001\": {\"maxConcurrentJobs\": 1}}}",
		     "unknown key 'organizations.1001.maxConcurrentJobs'",
		     "known keys: syncIntervals, nightlyFullSync, enabled");
	/* and org-only keys at the top */
	expect_error("{\"enabled\": true}", "unknown key 'enabled'", NULL);
	/* a dotted member name is not the nested form */
	expect_error("{\"syncIntervals.supporters\": 1000}",
		     "unknown key 'syncIntervals.supporters'", NULL);
	expect_error("{\"alerts\": {\"\": 1}}", "unknown key 'alerts.'", NULL);
	expect_error("{\"alerts\": {\"cooldown\": 1000, \"cooldown\": 2000}}",
		     "duplicate key 'alerts.cooldown'", NULL);
}

static void test_types_and_ranges(void **state)
{
	(void)state;
	expect_error("{\"syncIntervals\": {\"supporters\": \"30m\"}}",
		     "'syncIntervals.supporters' in '" SRC "' must be a whole number of "
		     "milliseconds from 1000 to 604800000",
		     "got \"30m\"");
	expect_error("{\"syncIntervals\": {\"supporters\": 999}}",
		     "'syncIntervals.supporters' in '" SRC "' is 999, out of range",
		     "allowed 1000 to 604800000 milliseconds");
	expect_error("{\"syncIntervals\": {\"campaigns\": 604800001}}",
		     "is 604800001, out of range", NULL);
	expect_error("{\"syncIntervals\": {\"campaigns\": 1500.5}}",
		     "is 1500.5, not a whole number", NULL);
	expect_error("{\"maxConcurrentJobs\": 17}", "'maxConcurrentJobs'",
		     "is 17, out of range (allowed 1 to 16)");
	expect_error("{\"maxConcurrentJobs\": 0}", "is 0, out of range (allowed 1 to 16)", NULL);
	expect_error("{\"maxConcurrentJobs\": true}", "must be a whole number from 1 to 16",
		     "got true");
	expect_error("{\"healthCheck\": {\"alertOnFailure\": 1}}",
		     "'healthCheck.alertOnFailure' in '" SRC "' must be true or false", "got 1");
	expect_error("{\"healthCheck\": 5}", "'healthCheck' in '" SRC "' must be an object", NULL);
	expect_error("{\"nightlyFullSync\": \"24:00\"}", "'nightlyFullSync'", "got \"24:00\"");
	expect_error("{\"nightlyFullSync\": \"3:00\"}", "must be a UTC time \"HH:MM\"", NULL);
	expect_error("{\"nightlyFullSync\": 300}", "must be a UTC time", "got 300");
	expect_error("{\"organizations\": {\"1001\": {\"syncIntervals\": {\"plugins\": 10}}}}",
		     "'organizations.1001.syncIntervals.plugins' in '" SRC "' is 10, out of range",
		     NULL);
	expect_error("{\"organizations\": {\"1001\": {\"enabled\": \"no\"}}}",
		     "'organizations.1001.enabled'", "must be true or false");
	expect_error("{\"organizations\": []}", "'organizations' in '" SRC "' must be an object",
		     NULL);
	expect_error("{\"organizations\": {\"acme\": {}}}", "'acme' is not an org id", NULL);
	expect_error("{\"organizations\": {\"0\": {}}}", "'0' is not an org id", NULL);
	expect_error("{\"organizations\": {\"01001\": {}}}", "'01001' is not an org id", NULL);
	expect_error("{\"organizations\": {\"1001\": true}}", "'organizations.1001'",
		     "must be an object");
	expect_error("[]", "the top level of '" SRC "' must be a JSON object", NULL);
}

static void test_invalid_json_position(void **state)
{
	(void)state;
	expect_error("{\n  \"maxConcurrentJobs\": 2\n  \"alerts\": {}\n}",
		     "invalid JSON in '" SRC "' near line 3", NULL);
	expect_error("{\"a\": 1} trailing", "invalid JSON", "line 1");
	expect_error("  \n ", "'" SRC "' is empty", NULL);
}

static void test_load_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/cs-dconfig-XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/daemon-config.json", dir);
	cs_dconfig cfg, before;
	cs_err err;
	memset(&cfg, 0x5a, sizeof(cfg));
	before = cfg;
	assert_int_equal(cs_dconfig_load(path, &cfg, &err), CS_ENOTFOUND);
	assert_non_null(strstr(err.msg, path));
	assert_memory_equal(&cfg, &before, sizeof(cfg));

	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("{\"maxConcurrentJobs\": 4, \"organizations\": {\"7\": {\"enabled\": false}}}", fp);
	fclose(fp);
	assert_int_equal(cs_dconfig_load(path, &cfg, &err), 0);
	assert_int_equal(cfg.max_concurrent_jobs, 4);
	assert_false(cs_dconfig_org_enabled(&cfg, 7));

	/* a bad edit keeps the loaded config as it was (the SIGHUP path) */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("{\"maxConcurrentJobs\": 40}", fp);
	fclose(fp);
	before = cfg;
	assert_int_equal(cs_dconfig_load(path, &cfg, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, path));
	assert_memory_equal(&cfg, &before, sizeof(cfg));
	cs_dconfig_release(&cfg);
	unlink(path);
	rmdir(dir);
}

/* The dump has the file's shape: feeding it back gives the same config. */
static void test_to_json_round_trip(void **state)
{
	(void)state;
	cs_dconfig cfg, again;
	cs_err err;
	assert_int_equal(parse("{\"syncIntervals\": {\"supporters\": 2000},"
			       "\"nightlyFullSync\": null,"
			       "\"organizations\": {\"1001\": {"
			       "\"syncIntervals\": {\"campaigns\": 3000},"
			       "\"nightlyFullSync\": \"04:15\"}}}",
			       &cfg, &err),
			 0);
	cJSON *j = cs_dconfig_to_json(&cfg);
	assert_non_null(j);
	char *text = cJSON_Print(j);
	assert_non_null(text);
	assert_int_equal(parse(text, &again, &err), 0);
	assert_memory_equal(again.interval_ms, cfg.interval_ms, sizeof(cfg.interval_ms));
	assert_int_equal(again.nightly_minute, CS_DCONFIG_OFF);
	assert_int_equal(cs_dconfig_interval_ms(&again, 1001, CS_ENT_CAMPAIGNS), 3000);
	assert_int_equal(cs_dconfig_interval_ms(&again, 1001, CS_ENT_SUPPORTERS), 2000);
	assert_int_equal(cs_dconfig_nightly_minute(&again, 1001), 4 * 60 + 15);

	const cJSON *org = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "organizations"), "1001");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(org, "enabled")));
	assert_string_equal(cJSON_GetObjectItem(org, "nightlyFullSync")->valuestring, "04:15");
	assert_int_equal(cJSON_GetObjectItem(j, "maxConcurrentJobs")->valueint, 2);
	cJSON_free(text);
	cJSON_Delete(j);
	cs_dconfig_release(&cfg);
	cs_dconfig_release(&again);
}

static void count_key(const cs_dconfig_keyinfo *k, void *ctx)
{
	int *n = ctx;
	assert_non_null(k->help);
	assert_non_null(k->def);
	(*n)++;
}

static void test_key_reference(void **state)
{
	(void)state;
	int n = 0;
	cs_dconfig_visit_keys(count_key, &n);
	assert_int_equal(n, 18);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	cs_dconfig_keys_markdown(out);
	fclose(out);
	assert_non_null(
		strstr(buf, "| `syncIntervals.recurringPlans` | milliseconds | `3600000` |"));
	assert_non_null(strstr(buf, "| `organizations.<id>.enabled` | boolean | `true` |"));
	assert_non_null(strstr(buf, "| `nightlyFullSync` | \"HH:MM\" UTC | `\"03:00\"` |"));
	free(buf);
	assert_string_equal(cs_sched_job_kind_name(CS_SCHED_JOB_PLUGINS), "plugins");
	assert_string_equal(cs_sched_job_kind_name(CS_ENT_RECURRING_PLANS), "recurring_plans");
	assert_string_equal(cs_sched_job_kind_name(99), "unknown");
}

/* The source tree, from this file's path (CMake compiles with absolute
 * paths), so the docs and the sample file are checked against the table. */
static int source_path(const char *rel, char *out, size_t n)
{
	const char *self = __FILE__, *tail = strstr(self, "tests/unit/");
	if (self[0] != '/' || !tail)
		return -1;
	snprintf(out, n, "%.*s%s", (int)(tail - self), self, rel);
	return access(out, R_OK);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int c;
	while ((c = fgetc(fp)) != EOF)
		fputc(c, out);
	fclose(out);
	fclose(fp);
	return buf;
}

static void test_docs_and_sample_match_table(void **state)
{
	(void)state;
	char path[4096];
	if (source_path("contrib/daemon-config.example.json", path, sizeof(path)))
		skip();
	cs_dconfig cfg, def;
	cs_err err;
	if (cs_dconfig_load(path, &cfg, &err))
		fail_msg("%s", err.msg);
	/* the sample's global values are the defaults */
	cs_dconfig_defaults(&def);
	cs_dconfig_org *orgs = cfg.orgs;
	size_t norgs = cfg.norgs;
	cfg.orgs = NULL;
	cfg.norgs = 0;
	assert_memory_equal(&cfg, &def, sizeof(cfg));
	cfg.orgs = orgs;
	cfg.norgs = norgs;
	cs_dconfig_release(&cfg);

	char *table = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&table, &len);
	cs_dconfig_keys_markdown(out);
	fclose(out);
	/* users read the table in the README, engineers in ARCHITECTURE */
	static const char *const docs[] = {"docs/ARCHITECTURE.md", "README.md"};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		assert_int_equal(source_path(docs[i], path, sizeof(path)), 0);
		char *doc = slurp(path);
		if (!strstr(doc, table))
			fail_msg("%s lacks the key table; paste this:\n%s", docs[i], table);
		free(doc);
	}
	free(table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_object_gives_defaults),
		cmocka_unit_test(test_values_and_org_overrides),
		cmocka_unit_test(test_nightly_off_forms),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_types_and_ranges),
		cmocka_unit_test(test_invalid_json_position),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_to_json_round_trip),
		cmocka_unit_test(test_key_reference),
		cmocka_unit_test(test_docs_and_sample_match_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
