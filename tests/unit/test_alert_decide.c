/* Alerts without a network: the cooldown decision table, the payload's
 * shape, the record store and the webhook URL configuration. Delivery is in
 * test_alert_send.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alert/alert.h"
#include "util/buf.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define COOLDOWN 60000
#define SECRET_PATH "/services/T000/B000/s3cr3tt0k3n"
/* ---- the decision ------------------------------------------------------- */

static void test_decision_table(void **state)
{
	(void)state;
	const cs_alert_record firing = {"stale:1:a", CS_ALERT_STATE_FIRING, 10000, 5000, 1, ""};
	const cs_alert_record resolved = {"stale:1:a", CS_ALERT_STATE_RESOLVED, 10000, 5000, 1,
					  ""};
	const struct {
		const cs_alert_record *prev;
		int firing;
		int64_t now;
		int want;
	} rows[] = {
		{NULL, 1, 0, CS_ALERT_SEND_FIRING},		       /* first fire */
		{NULL, 0, 0, CS_ALERT_NOTHING},		       /* clear, never fired */
		{&firing, 1, 10000, CS_ALERT_SUPPRESS},	       /* same instant */
		{&firing, 1, 10000 + COOLDOWN - 1, CS_ALERT_SUPPRESS}, /* within cooldown */
		{&firing, 1, 10000 + COOLDOWN, CS_ALERT_SEND_FIRING},  /* cooldown over */
		{&firing, 0, 10001, CS_ALERT_SEND_RESOLVED},	       /* clears */
		{&resolved, 0, 10001, CS_ALERT_NOTHING},	       /* resolved once only */
		{&resolved, 1, 10001, CS_ALERT_SEND_FIRING},	       /* a new episode */
		{&firing, 1, 9000, CS_ALERT_SEND_FIRING},	       /* clock moved back */
	};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++)
		assert_int_equal(cs_alert_decide(rows[i].prev, rows[i].firing, rows[i].now,
						 COOLDOWN),
				 rows[i].want);
	/* No cooldown: every firing observation sends. */
	assert_int_equal(cs_alert_decide(&firing, 1, 10000, 0), CS_ALERT_SEND_FIRING);
}

/* Observations over time through decide + apply, as the alerter does. */
static void test_decision_sequence(void **state)
{
	(void)state;
	static const struct {
		int64_t t;
		int firing;
		int want;
	} seq[] = {
		{1000, 0, CS_ALERT_NOTHING},	     {2000, 1, CS_ALERT_SEND_FIRING},
		{3000, 1, CS_ALERT_SUPPRESS},	     {61999, 1, CS_ALERT_SUPPRESS},
		{62000, 1, CS_ALERT_SEND_FIRING},    {63000, 0, CS_ALERT_SEND_RESOLVED},
		{64000, 0, CS_ALERT_NOTHING},	     {65000, 1, CS_ALERT_SEND_FIRING},
	};
	cs_alert_record rec = {"stale:1:a", 0, 0, 0, 0, ""};
	int have = 0;
	for (size_t i = 0; i < ARRAY_LEN(seq); i++) {
		int d = cs_alert_decide(have ? &rec : NULL, seq[i].firing, seq[i].t, COOLDOWN);
		assert_int_equal(d, seq[i].want);
		cs_alert_record_apply(&rec, d, seq[i].t, "msg");
		have |= d == CS_ALERT_SEND_FIRING;
		if (i == 4) { /* the reminder keeps the episode's start */
			assert_int_equal(rec.since, 2000);
			assert_int_equal(rec.count, 2);
		}
	}
	assert_int_equal(rec.state, CS_ALERT_STATE_FIRING);
	assert_int_equal(rec.since, 65000);
	assert_int_equal(rec.count, 1);
	assert_int_equal(rec.last_sent_at, 65000);
	assert_string_equal(rec.last_message, "msg");
}

static void test_keys(void **state)
{
	(void)state;
	char key[CS_ALERT_KEY_MAX];
	cs_alert a = {CS_ALERT_STALE, 1001, "supporters", NULL, 0};
	assert_int_equal(cs_alert_key(&a, key, sizeof(key)), 0);
	assert_string_equal(key, "stale:1001:supporters");
	cs_alert b = {CS_ALERT_SUPERVISOR_GAVE_UP, 0, NULL, NULL, 0};
	assert_int_equal(cs_alert_key(&b, key, sizeof(key)), 0);
	assert_string_equal(key, "supervisor_gave_up::");
	cs_alert c = {CS_ALERT__COUNT, 1, "x", NULL, 0};
	assert_int_equal(cs_alert_key(&c, key, sizeof(key)), CS_EUSAGE);
	assert_int_equal(cs_alert_key(&a, key, 8), CS_EUSAGE);
	assert_string_equal(cs_alert_event_name(CS_ALERT_JOB_FAILED), "job_failed");
	assert_null(cs_alert_event_name(-1));
}

/* ---- the payload -------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static cJSON *payload(const cs_alert *a, int status, int64_t since, int64_t now)
{
	cs_buf b = CS_BUF_INIT;
	cs_err err = {0};
	assert_int_equal(cs_alert_payload(a, status, since, now, &b, &err), 0);
	cJSON *j = cJSON_Parse(cs_buf_str(&b));
	assert_non_null(j);
	cs_buf_release(&b);
	return j;
}

/* fields[] as "title=value;..." for one comparison. */
static void fields_str(const cJSON *att, char *out, size_t n)
{
	out[0] = '\0';
	const cJSON *f;
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(att, "fields"))
	{
		size_t used = strlen(out);
		snprintf(out + used, n - used, "%s=%s;", jstr(f, "title"), jstr(f, "value"));
		assert_true(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(f, "short")));
	}
}

static void test_payload_shape(void **state)
{
	(void)state;
	/* 2024-05-01T10:00:00Z and 12:30:00Z */
	const int64_t since = 1714557600000LL, now = 1714566600000LL;
	cs_alert a = {CS_ALERT_CONSECUTIVE_FAILURES, 1001, "supporters",
		      "GET /2.0/organizations/1001/supporters: server error 500", 3};
	cJSON *j = payload(&a, CS_ALERT_STATE_FIRING, since, now);
	assert_string_equal(jstr(j, "text"),
			    ":red_circle: classy-sync: supporters for org 1001 failed 3 times in a "
			    "row: GET /2.0/organizations/1001/supporters: server error 500");
	assert_string_equal(jstr(j, "event"), "consecutive_failures");
	assert_string_equal(jstr(j, "status"), "firing");
	assert_string_equal(jstr(j, "condition"), "consecutive_failures:1001:supporters");
	assert_string_equal(jstr(j, "org"), "1001");
	assert_string_equal(jstr(j, "entity"), "supporters");
	assert_string_equal(jstr(j, "since"), "2024-05-01T10:00:00Z");
	assert_string_equal(jstr(j, "at"), "2024-05-01T12:30:00Z");
	const cJSON *atts = cJSON_GetObjectItemCaseSensitive(j, "attachments");
	assert_int_equal(cJSON_GetArraySize(atts), 1);
	const cJSON *att = cJSON_GetArrayItem(atts, 0);
	assert_string_equal(jstr(att, "color"), "danger");
	assert_string_equal(jstr(att, "fallback"), jstr(j, "text"));
	char f[1024];
	fields_str(att, f, sizeof(f));
	assert_string_equal(f, "org=1001;entity=supporters;event=consecutive_failures;"
			       "since=2024-05-01T10:00:00Z;detail=GET "
			       "/2.0/organizations/1001/supporters: server error 500;");
	cJSON_Delete(j);

	a.detail = NULL;
	j = payload(&a, CS_ALERT_STATE_RESOLVED, since, now);
	assert_string_equal(jstr(j, "text"),
			    ":large_green_circle: classy-sync: supporters for org 1001 succeeded "
			    "again");
	assert_string_equal(jstr(j, "status"), "resolved");
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "detail")));
	att = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "attachments"), 0);
	assert_string_equal(jstr(att, "color"), "good");
	cJSON_Delete(j);

	cs_alert s = {CS_ALERT_STALE, 1001, "supporters", "last success 26 h ago", 0};
	j = payload(&s, CS_ALERT_STATE_FIRING, since, now);
	assert_string_equal(jstr(j, "text"), ":warning: classy-sync: supporters for org 1001 is "
					     "stale: last success 26 h ago");
	att = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "attachments"), 0);
	assert_string_equal(jstr(att, "color"), "warning");
	cJSON_Delete(j);
}

static void test_payload_without_org_and_odd_details(void **state)
{
	(void)state;
	cs_alert a = {CS_ALERT_HEALTH_CRITICAL, 0, NULL, "bad \xff byte \"quoted\"\n", 0};
	cJSON *j = payload(&a, CS_ALERT_STATE_FIRING, 0, 1000);
	assert_string_equal(jstr(j, "text"), ":red_circle: classy-sync: health is critical for "
					     "the daemon: bad ? byte \"quoted\"\n");
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "org")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "entity")));
	assert_string_equal(jstr(j, "condition"), "health_critical::");
	char f[512];
	fields_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "attachments"), 0), f,
		   sizeof(f));
	assert_string_equal(f, "org=-;entity=-;event=health_critical;since=1970-01-01T00:00:00Z;"
			       "detail=bad ? byte \"quoted\"\n;");
	cJSON_Delete(j);

	/* 600 two-byte characters: cut on a character boundary. */
	char big[1201];
	for (int i = 0; i < 600; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	big[1200] = '\0';
	cs_alert b = {CS_ALERT_JOB_FAILED, 7, "plans", big, 0};
	j = payload(&b, CS_ALERT_STATE_FIRING, 0, 1000);
	assert_int_equal(strlen(jstr(j, "detail")), CS_ALERT_DETAIL_MAX);
	const char *text = jstr(j, "text");
	assert_true(strlen(text) < CS_ALERT_MSG_MAX);
	assert_true(strncmp(text, ":red_circle: classy-sync: plans for org 7 failed: \xc3\xa9",
			    52) == 0);
	cJSON_Delete(j);
}

/* ---- records ------------------------------------------------------------ */

static void test_memstore(void **state)
{
	(void)state;
	cs_alert_memstore *ms = cs_alert_memstore_new();
	cs_alert_store st = cs_alert_memstore_store(ms);
	cs_alert_record r, got;
	cs_err err = {0};
	assert_int_equal(st.load(st.ctx, "stale:1:a", &got, &err), CS_ENOTFOUND);
	for (int i = 0; i < 20; i++) { /* past the first growth */
		memset(&r, 0, sizeof(r));
		snprintf(r.key, sizeof(r.key), "stale:%d:a", i);
		r.count = i;
		assert_int_equal(st.save(st.ctx, &r, &err), 0);
	}
	r.count = 99; /* replaces stale:19:a */
	assert_int_equal(st.save(st.ctx, &r, &err), 0);
	assert_int_equal(st.load(st.ctx, "stale:19:a", &got, &err), 0);
	assert_int_equal(got.count, 99);
	assert_int_equal(st.load(st.ctx, "stale:3:a", &got, &err), 0);
	assert_int_equal(got.count, 3);
	cs_alert_memstore_free(ms);
	cs_alert_memstore_free(NULL);
}

/* ---- configuration ------------------------------------------------------ */

static void test_url_rules(void **state)
{
	(void)state;
	cs_err err = {0};
	char safe[128];
	assert_int_equal(cs_alert_check_url("https://hooks.slack.com" SECRET_PATH, 0, &err), 0);
	assert_int_equal(cs_alert_check_url("HTTPS://hooks.slack.com/x", 0, &err), 0);
	assert_int_equal(cs_alert_check_url("http://relay.local" SECRET_PATH, 0, &err),
			 CS_EUSAGE);
	assert_non_null(strstr(err.msg, "ALERT_WEBHOOK_URL"));
	assert_non_null(strstr(err.msg, "ALERT_ALLOW_HTTP=1"));
	assert_non_null(strstr(err.msg, "'http://relay.local'"));
	assert_null(strstr(err.msg, "s3cr3t"));
	assert_int_equal(cs_alert_check_url("http://relay.local" SECRET_PATH, 1, &err), 0);
	static const char *const bad[] = {
		"ftp://host/x" SECRET_PATH, "hooks.slack.com" SECRET_PATH, "https:///path",
		"https://host/a b", "https://host/\x01", "",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		assert_int_equal(cs_alert_check_url(bad[i], 1, &err), CS_EUSAGE);
		assert_non_null(strstr(err.msg, "ALERT_WEBHOOK_URL"));
		assert_null(strstr(err.msg, "s3cr3t"));
	}
	cs_alert_redact_url("https://user:pw@hooks.slack.com:8443" SECRET_PATH "?a=b", safe,
			    sizeof(safe));
	assert_string_equal(safe, "https://hooks.slack.com:8443");
	cs_alert_redact_url("https://hooks.slack.com?token=s3cr3t", safe, sizeof(safe));
	assert_string_equal(safe, "https://hooks.slack.com");
	cs_alert_redact_url("no scheme s3cr3t", safe, sizeof(safe));
	assert_string_equal(safe, "(not a URL)");
}

static void test_config_from_env(void **state)
{
	(void)state;
	cs_alert_config c;
	cs_err err = {0};
	unsetenv("ALERT_WEBHOOK_URL");
	unsetenv("ALERT_ALLOW_HTTP");
	assert_int_equal(cs_alert_config_from_env(&c, &err), 0);
	assert_string_equal(c.url, ""); /* alerts off */

	setenv("ALERT_WEBHOOK_URL", "http://127.0.0.1:9" SECRET_PATH, 1);
	assert_int_equal(cs_alert_config_from_env(&c, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "ALERT_ALLOW_HTTP"));
	assert_null(strstr(err.msg, "s3cr3t"));
	setenv("ALERT_ALLOW_HTTP", "1", 1);
	assert_int_equal(cs_alert_config_from_env(&c, &err), 0);
	assert_int_equal(c.allow_http, 1);
	assert_string_equal(c.url, "http://127.0.0.1:9" SECRET_PATH);
	setenv("ALERT_ALLOW_HTTP", "maybe", 1);
	assert_int_equal(cs_alert_config_from_env(&c, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "ALERT_ALLOW_HTTP must be 1 or 0 (got 'maybe')"));
	setenv("ALERT_ALLOW_HTTP", "0", 1);
	assert_int_equal(cs_alert_config_from_env(&c, &err), CS_EUSAGE);
	unsetenv("ALERT_WEBHOOK_URL");
	unsetenv("ALERT_ALLOW_HTTP");

	/* The alerter applies the same rule. */
	cs_alerter *a = NULL;
	cs_alerter_opts o = {.url = "http://127.0.0.1:9/hook"};
	assert_int_equal(cs_alerter_new(&o, &a, &err), CS_EUSAGE);
	assert_null(a);
	assert_non_null(strstr(err.msg, "ALERT_ALLOW_HTTP"));
	cs_alerter_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_decision_sequence),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_payload_shape),
		cmocka_unit_test(test_payload_without_org_and_odd_details),
		cmocka_unit_test(test_memstore),
		cmocka_unit_test(test_url_rules),
		cmocka_unit_test(test_config_from_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
