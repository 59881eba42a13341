/* The rules every push destination shares: consent as stored, email syntax,
 * the payload hash and column lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plugin/plugin.h"

#include <string.h>

static void test_consent_as_stored(void **state)
{
	(void)state;
	static const char *const yes[] = {"1", "true", "TRUE", "t", "T", "yes", " true ", "y"};
	static const char *const no[] = {"0", "false", "f", "", "no", "2", "truthy", "tr"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(cs_plugin_consent_true(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(cs_plugin_consent_true(no[i]));
	assert_false(cs_plugin_consent_true(NULL));
}

static void test_email_syntax(void **state)
{
	(void)state;
	static const char *const good[] = {"a@example.org", " Ann.Lee+x@mail.example.co.uk ",
					   "o'neil@example.ie", "x_y-z@sub-domain.example.com"};
	static const char *const bad[] = {"", "   ", "plain", "@example.org", "a@", "a@b",
					  "a@@example.org", "a b@example.org", "a@exa mple.org",
					  ".a@example.org", "a.@example.org", "a..b@example.org",
					  "a@-example.org", "a@example..org", "a@example.org.",
					  "a,b@example.org", "<a@example.org>"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(cs_plugin_email_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cs_plugin_email_valid(bad[i]))
			fail_msg("'%s' was accepted", bad[i]);
	}
	assert_false(cs_plugin_email_valid(NULL));
}

static void test_payload_hash(void **state)
{
	(void)state;
	char h[65];
	cs_plugin_payload_hash("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	char h2[65];
	cs_plugin_payload_hash("abd", 3, h2);
	assert_string_not_equal(h, h2);
}

static void test_contact_lookup_and_verdict(void **state)
{
	(void)state;
	const char *names[] = {"email_address", "opt_in", "first_name"};
	const char *values[] = {"ann@example.org", "t", NULL};
	cs_contact c = {.ncols = 3, .names = names, .values = values};
	assert_string_equal(cs_plugin_contact_get(&c, "opt_in"), "t");
	assert_null(cs_plugin_contact_get(&c, "first_name"));
	assert_null(cs_plugin_contact_get(&c, "missing"));
	assert_int_equal(cs_plugin_contact_verdict(&c), CS_PLUGIN_CONTACT_SEND);
	values[1] = "0";
	assert_int_equal(cs_plugin_contact_verdict(&c), CS_PLUGIN_CONTACT_NO_CONSENT);
	values[1] = "1";
	values[0] = "not-an-email";
	assert_int_equal(cs_plugin_contact_verdict(&c), CS_PLUGIN_CONTACT_BAD_EMAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_consent_as_stored),
		cmocka_unit_test(test_email_syntax),
		cmocka_unit_test(test_payload_hash),
		cmocka_unit_test(test_contact_lookup_and_verdict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
