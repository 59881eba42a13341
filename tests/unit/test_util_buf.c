#include "util/buf.h"

#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_empty(void **state)
{
	(void)state;
	cs_buf b = CS_BUF_INIT;
	assert_string_equal(cs_buf_str(&b), "");
	assert_int_equal(b.len, 0);
	char *s = cs_buf_detach(&b);
	assert_string_equal(s, "");
	free(s);
	cs_buf_release(&b);
	cs_buf_release(&b); /* twice is harmless */
}

static void test_append_and_grow(void **state)
{
	(void)state;
	cs_buf b;
	cs_buf_init(&b, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(cs_buf_puts(&b, "0123456789"), 0);
	assert_int_equal(b.len, 10000);
	assert_int_equal(strlen(cs_buf_str(&b)), 10000);
	assert_memory_equal(b.data + 9990, "0123456789", 11);
	assert_int_equal(cs_buf_printf(&b, "|%d|%s", 42, "x"), 0);
	assert_string_equal(b.data + 10000, "|42|x");
	assert_int_equal(cs_buf_append(&b, "", 0), 0);
	assert_int_equal(b.len, 10005);
	cs_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(cs_buf_str(&b), "");
	assert_int_equal(cs_buf_puts(&b, "again"), 0);
	char *s = cs_buf_detach(&b);
	assert_string_equal(s, "again");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);
	cs_buf_release(&b);
}

/* The cap is a hard limit: reaching it exactly works, one byte more fails
 * and leaves the content as it was. */
static void test_cap(void **state)
{
	(void)state;
	cs_buf b;
	cs_buf_init(&b, 8);
	assert_int_equal(cs_buf_puts(&b, "12345"), 0);
	assert_int_equal(cs_buf_puts(&b, "678"), 0);
	assert_int_equal(b.len, 8);
	assert_int_equal(cs_buf_puts(&b, "9"), -1);
	assert_int_equal(cs_buf_printf(&b, "%d", 9), -1);
	assert_int_equal(cs_buf_urlencode(&b, "a"), -1);
	assert_int_equal(cs_buf_json_str(&b, ""), -1);
	assert_int_equal(b.len, 8);
	assert_string_equal(cs_buf_str(&b), "12345678");
	assert_true(b.cap <= 9);
	cs_buf_release(&b);

	/* a single append larger than the cap fails on an empty buffer too */
	cs_buf_init(&b, 4);
	assert_int_equal(cs_buf_puts(&b, "12345"), -1);
	assert_int_equal(b.len, 0);
	assert_int_equal(cs_buf_printf(&b, "%s", "abcdef"), -1);
	assert_int_equal(cs_buf_puts(&b, "1234"), 0);
	cs_buf_release(&b);

	/* a length that would wrap size_t is refused, not wrapped */
	cs_buf_init(&b, 0);
	assert_int_equal(cs_buf_puts(&b, "x"), 0);
	assert_int_equal(cs_buf_append(&b, "y", (size_t)-1), -1);
	assert_int_equal(b.len, 1);
	cs_buf_release(&b);
}

static void test_default_cap(void **state)
{
	(void)state;
	cs_buf b;
	cs_buf_init(&b, 0);
	assert_int_equal(cs_buf_append(&b, "x", CS_BUF_DEFAULT_MAX + 1), -1);
	assert_int_equal(b.len, 0);
	cs_buf_release(&b);
}

static const struct {
	const char *in, *out;
} url_cases[] = {
	{"", ""},
	{"plain-._~AZaz09", "plain-._~AZaz09"},
	{"+", "%2B"},
	{">=", "%3E%3D"},
	{"<=", "%3C%3D"},
	{"<>", "%3C%3E"},
	{"!=", "%21%3D"},
	{"a b", "a%20b"},
	{"2025-04-20T00:00:00+0000", "2025-04-20T00%3A00%3A00%2B0000"},
	{"updated_at>=2025-04-20T00:00:00+0000",
	 "updated_at%3E%3D2025-04-20T00%3A00%3A00%2B0000"},
	{"é", "%C3%A9"},
	{"日本", "%E6%97%A5%E6%9C%AC"},
	{"%2B", "%252B"}, /* encoding twice would show up like this */
	{"a/b?c=d&e#f", "a%2Fb%3Fc%3Dd%26e%23f"},
	{"\x01\x7f\xff", "%01%7F%FF"},
};

static void test_urlencode(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(url_cases); i++) {
		cs_buf b = CS_BUF_INIT;
		assert_int_equal(cs_buf_puts(&b, "q="), 0);
		assert_int_equal(cs_buf_urlencode(&b, url_cases[i].in), 0);
		assert_string_equal(cs_buf_str(&b) + 2, url_cases[i].out);
		cs_buf_release(&b);
	}
}

static const struct {
	const char *in, *out;
} json_cases[] = {
	{"", "\"\""},
	{"plain", "\"plain\""},
	{"say \"hi\"", "\"say \\\"hi\\\"\""},
	{"back\\slash", "\"back\\\\slash\""},
	{"tab\there", "\"tab\\u0009here\""},
	{"nl\n", "\"nl\\u000a\""},
	{"\x01\x1f", "\"\\u0001\\u001f\""},
	{"ünïcødé ✓", "\"ünïcødé ✓\""},
	{"</script>", "\"</script>\""},
};

static void test_json_str(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(json_cases); i++) {
		cs_buf b = CS_BUF_INIT;
		assert_int_equal(cs_buf_json_str(&b, json_cases[i].in), 0);
		assert_string_equal(cs_buf_str(&b), json_cases[i].out);
		cs_buf_release(&b);
	}
}

/* Whatever goes in must come back unchanged through a real JSON parser. */
static void test_json_str_roundtrip(void **state)
{
	(void)state;
	char all[128];
	for (int c = 1; c < 128; c++)
		all[c - 1] = (char)c;
	all[127] = '\0';
	const char *const inputs[] = {all, "Zoë \"Q\" \\ 秘密 \r\n\t", "\x7f"};
	for (size_t i = 0; i < N(inputs); i++) {
		cs_buf b = CS_BUF_INIT;
		assert_int_equal(cs_buf_json_str(&b, inputs[i]), 0);
		cJSON *j = cJSON_Parse(cs_buf_str(&b));
		assert_non_null(j);
		assert_true(cJSON_IsString(j));
		assert_string_equal(cJSON_GetStringValue(j), inputs[i]);
		cJSON_Delete(j);
		cs_buf_release(&b);
	}
}

/* The array grows only when full, doubling from `first`, keeping contents. */
static void test_grow(void **state)
{
	(void)state;
	int *v = NULL;
	size_t cap = 0;
	for (size_t n = 0; n < 100; n++) {
		int *g = cs_buf_grow_array(v, &cap, n, sizeof(*g), 4);
		assert_non_null(g);
		v = g;
		v[n] = (int)n;
		assert_true(cap > n);
		assert_true(cap == 4 || cap == 8 || cap == 16 || cap == 32 || cap == 64 || cap == 128);
	}
	assert_int_equal(cap, 128);
	for (int i = 0; i < 100; i++)
		assert_int_equal(v[i], i);
	int *same = cs_buf_grow_array(v, &cap, 50, sizeof(*v), 4);
	assert_ptr_equal(same, v); /* not full: untouched */
	assert_int_equal(cap, 128);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),     cmocka_unit_test(test_append_and_grow),
		cmocka_unit_test(test_cap),       cmocka_unit_test(test_default_cap),
		cmocka_unit_test(test_urlencode), cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_json_str_roundtrip), cmocka_unit_test(test_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
