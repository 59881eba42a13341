/* Merge-field formatting and the payload: numbers as JSON numbers, dates as
 * YYYY-MM-DD, "" to clear, Yes/No; the mapping parser; prefixed sorted tags
 * (none without a gift); field-level diffs and tag set differences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugin/mailchimp/mc_int.h"

#include <stdlib.h>
#include <string.h>

static char *value_text(int type, const char *v)
{
	mc_field f = {.tag = "X", .column = "c", .type = type};
	cJSON *j = mc_field_value(&f, v);
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

static void check_value(int type, const char *in, const char *want)
{
	char *got = value_text(type, in);
	if (strcmp(got, want))
		fail_msg("%s '%s': want %s, got %s", mc_ftype_name(type), in ? in : "NULL", want, got);
	free(got);
}

static void test_field_values(void **state)
{
	(void)state;
	check_value(MC_F_NUMBER, "638.51", "638.51");
	check_value(MC_F_NUMBER, "0", "0");
	check_value(MC_F_NUMBER, "1230.0", "1230");
	check_value(MC_F_NUMBER, NULL, "\"\"");   /* clears the field */
	check_value(MC_F_NUMBER, "abc", "\"\"");  /* never a string Mailchimp rejects */
	check_value(MC_F_DATE, "2025-06-03T10:00:00.000Z", "\"2025-06-03\"");
	check_value(MC_F_DATE, "2025-06-03", "\"2025-06-03\"");
	check_value(MC_F_DATE, "06/03/2025", "\"\"");
	check_value(MC_F_DATE, NULL, "\"\"");
	check_value(MC_F_YESNO, "1", "\"Yes\"");
	check_value(MC_F_YESNO, "0", "\"No\"");
	check_value(MC_F_YESNO, NULL, "\"No\"");
	check_value(MC_F_TEXT, "Ann", "\"Ann\"");
	check_value(MC_F_TEXT, NULL, "\"\"");
}

static void test_mapping_parser(void **state)
{
	(void)state;
	mc_field f[MC_MAX_FIELDS];
	int n = 0;
	cs_err err = {0};
	assert_int_equal(mc_fields_parse("FNAME, TOTALAMT,LASTGIFT,CITY=city:text,VIP=is_vip:yesno",
					 f, MC_MAX_FIELDS, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_string_equal(f[1].column, "lifetime_donation_amount");
	assert_int_equal(f[1].type, MC_F_NUMBER);
	assert_int_equal(f[2].type, MC_F_DATE);
	assert_string_equal(f[3].column, "city");
	assert_int_equal(f[4].type, MC_F_YESNO);
	static const char *const bad[] = {"NOSUCH", "TOOLONGTAG12=x", "fname", "A=b:float", "A=",
					  "FNAME,FNAME"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(mc_fields_parse(bad[i], f, MC_MAX_FIELDS, &n, &err), CS_EUSAGE);
		assert_non_null(strstr(err.msg, "MAILCHIMP_MERGE_FIELDS"));
	}
	mc_org_list l[4];
	assert_int_equal(mc_org_lists_parse("1001=abc,1002=def", l, 4, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[1].list_id, "def");
	assert_int_equal(mc_org_lists_parse("1001", l, 4, &n, &err), CS_EUSAGE);
	assert_non_null(strstr(err.msg, "MAILCHIMP_ORG_LISTS"));
}

/* A contact_segments row as the store hands it. */
static const char *names[] = {
	"email_address",  "first_name",     "last_name",     "opt_in",
	"lifetime_donation_amount", "lifetime_donation_count", "monthly_recurring_amount",
	"is_monthly_recurring", "value_tag", "engagement_tag", "frequency_tag",
	"is_lifetime_1k", "lifetime_1k_tag", "is_lifetime_5k", "lifetime_5k_tag",
	"is_monthly_100", "monthly_100_tag", "monthly_recurring_tag",
};

static void config(mc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->tag_prefix, "Classy-");
	cs_err err = {0};
	assert_int_equal(mc_fields_parse("FNAME,LNAME,TOTALAMT,DONCNT,RECAMT,ACTIVESUB", cfg->fields,
					 MC_MAX_FIELDS, &cfg->nfields, &err), 0);
}

static void test_payload(void **state)
{
	(void)state;
	mc_config cfg;
	config(&cfg);
	const char *values[] = {"ann@example.org", "Ann", NULL, "1", "1200.5", "4", "25", "1",
				"Major Donor", "Recent Donor", "Frequent Donor", "1", "$1K+ Lifetime",
				"0", "$5K+ Lifetime", "0", "$100+ Monthly", "Monthly Recurring"};
	cs_contact c = {.ncols = 18, .names = names, .values = values};
	char *p = mc_payload(&cfg, &c);
	assert_string_equal(p,
		"{\"email\":\"ann@example.org\",\"merge_fields\":{\"FNAME\":\"Ann\",\"LNAME\":\"\","
		"\"TOTALAMT\":1200.5,\"DONCNT\":4,\"RECAMT\":25,\"ACTIVESUB\":\"Yes\"},"
		"\"tags\":[\"Classy-$1K+ Lifetime\",\"Classy-Frequent Donor\",\"Classy-Major Donor\","
		"\"Classy-Monthly Recurring\","
		"\"Classy-Recent Donor\"]}");
	free(p);
	/* no successful gift: the view gives NULL segment tags, and none is sent */
	const char *none[] = {"bo@example.org", "Bo", "B", "1", "0", "0", "0", "0", NULL, NULL, NULL,
			      "0", "$1K+ Lifetime", "0", "$5K+ Lifetime", "0", "$100+ Monthly",
			      "Monthly Recurring"};
	c.values = none;
	p = mc_payload(&cfg, &c);
	assert_non_null(strstr(p, "\"tags\":[]"));
	free(p);
}

static void test_diffs(void **state)
{
	(void)state;
	cJSON *old = cJSON_Parse("{\"FNAME\":\"Ann\",\"TOTALAMT\":100,\"DONCNT\":1}");
	cJSON *new = cJSON_Parse("{\"FNAME\":\"Ann\",\"TOTALAMT\":125.5,\"DONCNT\":1,\"RECAMT\":0}");
	cJSON *ch = cJSON_CreateArray();
	assert_int_equal(mc_merge_diff(old, new, ch), 2);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ch, 0), "field")), "TOTALAMT");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ch, 0), "from")), "100");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ch, 0), "to")), "125.5");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(ch, 1), "from")));
	assert_int_equal(mc_merge_diff(new, new, NULL), 0);
	assert_int_equal(mc_merge_diff(NULL, new, NULL), 4);
	cJSON *a = cJSON_Parse("[\"Classy-A\",\"Classy-B\"]"), *b = cJSON_Parse("[\"Classy-B\",\"Classy-C\"]");
	cJSON *out = cJSON_CreateArray();
	assert_int_equal(mc_tags_minus(a, b, out), 1);
	assert_string_equal(cJSON_GetArrayItem(out, 0)->valuestring, "Classy-A");
	assert_int_equal(mc_tags_minus(a, NULL, out), 2);
	assert_true(mc_has_prefix("Classy-A", "Classy-"));
	assert_false(mc_has_prefix("VIP", "Classy-"));
	cJSON_Delete(old);
	cJSON_Delete(new);
	cJSON_Delete(ch);
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_values),
		cmocka_unit_test(test_mapping_parser),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_diffs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
