/* Structured log fields (util/log.h): in LOG_FORMAT=json every context
 * field and every extra field is a member of the line's object, numbers
 * as numbers, strings redacted; text lines look as they always did; a
 * registered display is erased before each line. */
#include "util/log.h"
#include "util/redact.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_stderr.h"

#define SECRET "s3cr3t-value-xyz"

static char out[8192];

static void capture(void (*fn)(void))
{
	capture_stderr(fn, out, sizeof(out));
}

static cs_log_ctx task_ctx(void)
{
	cs_log_ctx c = {0};
	cs_log_ctx_num(&c, "org", 1001);
	cs_log_ctx_str(&c, "entity", "supporters");
	cs_log_ctx_num(&c, "run_id", 7);
	cs_log_ctx_str(&c, "mode", "full");
	cs_log_ctx_num(&c, "run_id", 8); /* replaced, not repeated */
	return c;
}

static void log_json(void)
{
	cs_log_ctx c = task_ctx();
	cs_log_setup(CS_LOG_DEBUG, CS_LOG_JSON);
	cs_logc(CS_LOG_INFO, &c,
		(cs_log_field[]){CS_LOG_NUM("records", 250), CS_LOG_NUM("duration_ms", 1234),
				 CS_LOG_STR("error", "auth " SECRET " refused"), CS_LOG_END},
		"supporters of organization %d: done", 1001);
	cs_logc(CS_LOG_DEBUG, NULL, NULL, "plain \"quoted\"");
}

static void test_json_fields(void **state)
{
	(void)state;
	assert_int_equal(cs_redact_add(SECRET), 0);
	capture(log_json);
	cs_redact_reset();
	char *nl = strchr(out, '\n');
	assert_non_null(nl);
	*nl = '\0';
	assert_non_null(strstr(out, "\"level\":\"info\",\"msg\":\"supporters of organization 1001: "
				    "done\",\"org\":1001,\"entity\":\"supporters\",\"run_id\":8,"
				    "\"mode\":\"full\",\"records\":250,\"duration_ms\":1234,"
				    "\"error\":\"auth [redacted] refused\"}"));
	assert_null(strstr(out, SECRET));
	assert_non_null(strstr(nl + 1, "\"msg\":\"plain \\\"quoted\\\"\"}\n"));
}

static void log_text(void)
{
	cs_log_ctx c = task_ctx();
	cs_log_setup(CS_LOG_INFO, CS_LOG_TEXT);
	cs_logc(CS_LOG_WARN, &c, (cs_log_field[]){CS_LOG_NUM("records", 3), CS_LOG_END}, "hello %s",
		"there");
	cs_logc(CS_LOG_DEBUG, &c, NULL, "below the level");
}

static void test_text_unchanged(void **state)
{
	(void)state;
	capture(log_text);
	/* "<ts> warn  hello there": nothing of the fields */
	assert_non_null(strstr(out, "Z warn  hello there\n"));
	assert_null(strstr(out, "1001"));
	assert_null(strstr(out, "below"));
}

static int erased;
static void erase(void *ud)
{
	(void)ud;
	erased++;
}

static void log_display(void)
{
	cs_log_setup(CS_LOG_INFO, CS_LOG_TEXT);
	cs_log_set_display(erase, NULL);
	cs_info("one");
	cs_debug("not written, nothing erased");
	cs_info("two");
	cs_log_set_display(NULL, NULL);
	cs_info("three");
}

static void test_display_erased(void **state)
{
	(void)state;
	capture(log_display);
	assert_int_equal(erased, 2);
	assert_non_null(strstr(out, "three"));
}

static void test_ctx_full(void **state)
{
	(void)state;
	cs_log_ctx c = {0};
	static const char *keys[] = {"a", "b", "c", "d", "e", "f", "g"};
	for (int i = 0; i < 7; i++)
		cs_log_ctx_num(&c, keys[i], i);
	assert_int_equal(c.n, CS_LOG_CTX_MAX);
	assert_string_equal(c.f[CS_LOG_CTX_MAX - 1].key, "f");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_text_unchanged),
		cmocka_unit_test(test_display_erased),
		cmocka_unit_test(test_ctx_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
