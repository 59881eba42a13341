/* Page parsing: every record's parsed object and its exact byte span, the
 * envelope fields, and CS_EPROTO for anything malformed or cut short. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "classy/classy.h"

#include <stdio.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int parse(cs_classy_page *p, const char *body, size_t len, cs_err *err)
{
	cs_classy_page_reset(p);
	assert_int_equal(cs_buf_append(&p->body, body, len), 0);
	return cs_classy_page_parse(p, err);
}

static int parse_str(cs_classy_page *p, const char *body, cs_err *err)
{
	return parse(p, body, strlen(body), err);
}

/* Records written in awkward ways; each must come back byte for byte. */
static const char *const odd_records[] = {
	"{\"id\":1,\"name\":\"plain\"}",
	"{ \"id\" : 2 ,\n\t\"note\" : \"she said \\\"hi\\\" }], {\" }",
	"{\"id\":3,\"first_name\":\"Zo\\u00eb \\ud83d\\ude00\",\"nested\":{\"a\":[1,{\"b\":null}],"
	"\"c\":{}}}",
	"{\r\n  \"id\": 4e0,\r\n  \"items\": [ [ ], { \"x\": \"\\\\\" } ]\r\n}",
	"{\"tags\":[\"a,b\",\"c]\"],\"id\":5,\"amount\":\"10.00\",\"opt_in\":true}",
};

static void build_page(cs_buf *b, const char *sep, const char *before, const char *after)
{
	cs_buf_printf(b, "{%s\"data\"%s:%s[%s", before, sep, sep, sep);
	for (size_t i = 0; i < ARRAY_LEN(odd_records); i++)
		cs_buf_printf(b, "%s%s%s%s", i ? "," : "", sep, odd_records[i], sep);
	cs_buf_printf(b, "]%s%s}", sep, after);
}

static void assert_spans(const cs_classy_page *p)
{
	assert_int_equal(p->nrecords, ARRAY_LEN(odd_records));
	for (size_t i = 0; i < p->nrecords; i++) {
		const cs_record *r = &p->records[i];
		assert_int_equal(r->raw_len, strlen(odd_records[i]));
		assert_memory_equal(r->raw, odd_records[i], r->raw_len);
		assert_ptr_equal(r->json, p->items[i]);
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(r->json, "id");
		assert_int_equal((int)id->valuedouble, (int)i + 1);
		/* "4e0" is 4, but not written as a whole number: rejected */
		assert_int_equal(cs_classy_record_id(r), i == 3 ? 0 : (long long)i + 1);
	}
}

static void test_spans_are_byte_exact(void **state)
{
	(void)state;
	static const char *const seps[] = {"", " ", "\n  ", "\r\n\t "};
	for (size_t s = 0; s < ARRAY_LEN(seps); s++) {
		cs_classy_page p;
		cs_classy_page_init(&p);
		cs_err err = {0};
		cs_buf b = CS_BUF_INIT;
		build_page(&b, seps[s], "\"current_page\":2,\"links\":[{\"url\":null}],",
			   ",\"last_page\":9,\"per_page\":100,\"total\":870,\"next_page_url\":"
			   "\"http://x/?page=3\"");
		assert_int_equal(parse(&p, b.data, b.len, &err), 0);
		assert_spans(&p);
		/* the raw bytes point into the body, not into a copy */
		assert_true(p.records[0].raw > p.body.data &&
			    p.records[0].raw < p.body.data + p.body.len);
		assert_int_equal(p.current_page, 2);
		assert_int_equal(p.last_page, 9);
		assert_int_equal(p.per_page, 100);
		assert_int_equal(p.total, 870);
		const cJSON *name =
			cJSON_GetObjectItemCaseSensitive(p.records[2].json, "first_name");
		assert_string_equal(name->valuestring, "Zo\xc3\xab \xf0\x9f\x98\x80");
		cs_buf_release(&b);
		cs_classy_page_release(&p);
	}
}

static void test_empty_and_minimal_pages(void **state)
{
	(void)state;
	static const char *const bodies[] = {
		"{\"data\":[]}",
		" { \"total\" : 0 , \"data\" : [ ] , \"last_page\" : 1 } \n",
		"{\"current_page\":1,\"data\":[],\"from\":null,\"to\":null}",
	};
	for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
		cs_classy_page p;
		cs_classy_page_init(&p);
		cs_err err = {0};
		if (parse_str(&p, bodies[i], &err) != 0)
			fail_msg("case %zu: %s", i, err.msg);
		assert_int_equal(p.nrecords, 0);
		cs_classy_page_release(&p);
	}
}

static void test_every_truncation_fails(void **state)
{
	(void)state;
	cs_buf b = CS_BUF_INIT;
	build_page(&b, " ", "\"current_page\":1,", ",\"total\":5");
	cs_classy_page p;
	cs_classy_page_init(&p);
	for (size_t n = 0; n < b.len; n++) {
		cs_err err = {0};
		int rc = parse(&p, b.data, n, &err);
		if (rc != CS_EPROTO)
			fail_msg("a body cut at byte %zu of %zu parsed (rc %d)", n, b.len, rc);
		if (!strstr(err.msg, "malformed JSON in the API response at byte"))
			fail_msg("cut at %zu: unexpected message '%s'", n, err.msg);
		assert_int_equal(p.nrecords, 0);
	}
	cs_err err = {0};
	assert_int_equal(parse(&p, b.data, b.len, &err), 0);
	assert_spans(&p);
	cs_buf_release(&b);
	cs_classy_page_release(&p);
}

static void test_malformed_messages(void **state)
{
	(void)state;
	const struct {
		const char *body;
		const char *want;
	} cases[] = {
		{"{\"data\":[{\"id\":1},{\"id\":2,\"x\":nul}]}",
		 "malformed JSON in the API response at byte 30 (in record 2 of \"data\")"},
		{"{\"data\":[{\"id\":1} {\"id\":2}]}",
		 "malformed JSON in the API response at byte 18 (expected ',' or ']' after record 1 "
		 "of \"data\")"},
		{"{\"data\":[{\"id\":1}]} trailing",
		 "malformed JSON in the API response at byte 20 (unexpected bytes after the end of "
		 "the response)"},
		{"{\"data\":[{\"id\":1}]", "malformed JSON in the API response at byte 18 (the body "
				       "ends early; the response was cut short)"},
		{"{\"data\":{\"id\":1}}",
		 "malformed JSON in the API response at byte 8 (\"data\" is not an array)"},
		{"<html>busy</html>",
		 "malformed JSON in the API response at byte 0 (the response is not a JSON object)"},
		{"", "malformed JSON in the API response at byte 0 (the body ends early; the response "
		     "was cut short)"},
		{"{data:[]}", "malformed JSON in the API response at byte 1 (expected a field name)"},
		{"{\"total\" 5,\"data\":[]}",
		 "malformed JSON in the API response at byte 9 (expected ':' after a field name)"},
		{"{\"data\":[],\"data\":[]}",
		 "malformed JSON in the API response at byte 11 (\"data\" appears twice)"},
		{"{\"total\":5}",
		 "the API response has no \"data\" array; expected a paginated list"},
		{"{\"data\":[{\"id\":1,\"x\" 2}]}",
		 "malformed JSON in the API response at byte 21 (in record 1 of \"data\")"},
		{"{\"data\":[{\"id\":1,\"x\":2",
		 "malformed JSON in the API response at byte 21 (in record 1 of \"data\"; the "
		 "response was cut short)"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		cs_classy_page p;
		cs_classy_page_init(&p);
		cs_err err = {0};
		int rc = parse_str(&p, cases[i].body, &err);
		if (rc != CS_EPROTO || strcmp(err.msg, cases[i].want) != 0)
			fail_msg("case %zu: rc %d\n want %s\n got  %s", i, rc, cases[i].want,
				 err.msg);
		assert_int_equal(p.nrecords, 0);
		cs_classy_page_release(&p);
	}
}

/* Ids are read from the digits the API sent (issue 11, finding 7): two ids
 * past 2^53 that one double cannot tell apart stay two ids, and a record
 * whose id is not a whole positive int64 is kept on the page but rejected,
 * with the reason, while the others parse as usual. */
static void test_exact_and_rejected_ids(void **state)
{
	(void)state;
	const struct {
		const char *rec;
		long long id;    /* 0: rejected */
		const char *why; /* a piece of the reason */
	} cases[] = {
		{"{\"id\":9007199254740993,\"supporter_id\":9007199254740993}", 9007199254740993LL, NULL},
		{"{\"id\":9007199254740992}", 9007199254740992LL, NULL},
		{"{\"id\":9223372036854775807}", 9223372036854775807LL, NULL},
		{"{\"name\":\"a\",\"id\" : 17 }", 17, NULL},
		/* the name "id" also nested, before and after: found by walking */
		{"{\"campaign\":{\"id\":5},\"id\":9007199254740993,\"items\":[{\"id\":6}]}",
		 9007199254740993LL, NULL},
		/* written with an escape: not found by name, found by walking */
		{"{\"\\u0069d\":9007199254740993}", 9007199254740993LL, NULL},
		/* "id" inside another name, after an escaped quote: not the id */
		{"{\"x\\\"id\":7.0,\"\\u0069d\":7}", 7, NULL},
		{"{\"note\":\"\\\"id\\\": 4\",\"id\":8}", 8, NULL},
		{"{\"id\":9223372036854775808}", 0, "out of range"},
		{"{\"id\":1e30}", 0, "not a whole number"},
		{"{\"id\":0}", 0, "not positive"},
		{"{\"id\":-5}", 0, "not positive"},
		{"{\"id\":1.5}", 0, "not a whole number"},
		{"{\"id\":12.0}", 0, "not a whole number"},
		{"{\"id\":1e3}", 0, "not a whole number"},
		{"{\"id\":\"12\"}", 0, "not a whole number"},
		{"{\"id\":null}", 0, "not a whole number"},
		{"{\"name\":\"x\"}", 0, "has no \"id\""},
		{"7", 0, "not a JSON object"},
		{"null", 0, "not a JSON object"},
		{"[{\"id\":3}]", 0, "not a JSON object"},
		{"{}", 0, "has no \"id\""},
	};
	cs_buf b = CS_BUF_INIT;
	cs_buf_puts(&b, "{\"data\":[");
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		cs_buf_printf(&b, "%s%s", i ? "," : "", cases[i].rec);
	cs_buf_puts(&b, "]}");
	cs_classy_page p;
	cs_classy_page_init(&p);
	cs_err err = {0};
	assert_int_equal(parse(&p, b.data, b.len, &err), 0);
	assert_int_equal(p.nrecords, ARRAY_LEN(cases));
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const cs_record *r = &p.records[i];
		if (cs_classy_record_id(r) != cases[i].id)
			fail_msg("%s: id %lld, want %lld", cases[i].rec, cs_classy_record_id(r),
				 cases[i].id);
		if (cases[i].why ? !r->why || !strstr(r->why, cases[i].why) : r->why != NULL)
			fail_msg("%s: reason '%s', want '%s'", cases[i].rec, r->why ? r->why : "",
				 cases[i].why ? cases[i].why : "");
		assert_memory_equal(r->raw, cases[i].rec, r->raw_len);
	}
	/* every top-level number keeps its digits; nested ones need not */
	const cJSON *sid = cJSON_GetObjectItemCaseSensitive(p.records[0].json, "supporter_id");
	assert_string_equal(sid->valuestring, "9007199254740993");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(p.records[3].json, "id")->valuestring,
			    "17");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(p.records[3].json, "name")->valuestring,
			    "a");
	cs_buf_release(&b);
	cs_classy_page_release(&p);
}

static void test_large_page_and_reuse(void **state)
{
	(void)state;
	cs_buf b = CS_BUF_INIT;
	cs_buf_puts(&b, "{\"data\":[");
	for (int i = 1; i <= 1000; i++)
		cs_buf_printf(&b, "%s{\"id\":%d,\"email_address\":\"p%d@example.org\"}",
			      i > 1 ? "," : "", i, i);
	cs_buf_puts(&b, "],\"total\":1000}");
	cs_classy_page p;
	cs_classy_page_init(&p);
	cs_err err = {0};
	for (int round = 0; round < 2; round++) {
		assert_int_equal(parse(&p, b.data, b.len, &err), 0);
		assert_int_equal(p.nrecords, 1000);
		assert_true(p.cap >= 1000);
		const cs_record *last = &p.records[999];
		assert_memory_equal(last->raw, "{\"id\":1000,", 11);
		assert_int_equal(last->raw[last->raw_len - 1], '}');
	}
	cs_buf_release(&b);
	cs_classy_page_release(&p);
	cs_classy_page_release(&p); /* releasing twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spans_are_byte_exact),
		cmocka_unit_test(test_empty_and_minimal_pages),
		cmocka_unit_test(test_every_truncation_fails),
		cmocka_unit_test(test_malformed_messages),
		cmocka_unit_test(test_exact_and_rejected_ids),
		cmocka_unit_test(test_large_page_and_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
