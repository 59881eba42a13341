/* The secret redaction (util/redact.h): every encoding a secret travels in,
 * cuts inside a secret, and the error and log paths that use it. */
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/redact.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_stderr.h"

/* Every character a form body or a JSON string must encode. */
#define SECRET "Zq7+x/Y= a%b\"c\\d&e"
#define TOKEN "tok_4b1f2e9c0d8a7f6e5d4c"

static int setup(void **state)
{
	(void)state;
	cs_redact_reset();
	assert_int_equal(cs_redact_add(SECRET), 0);
	assert_int_equal(cs_redact_add(TOKEN), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cs_redact_reset();
	return 0;
}

static char out[4096];

static const char *redact(const char *in)
{
	cs_redact_copy(out, sizeof(out), in, strlen(in));
	return out;
}

/* No run of 4 or more characters of the secret (CS_REDACT_MIN_TAIL), in any
 * encoding tested here, may remain. */
static void assert_no_fragment(const char *text, const char *secret)
{
	size_t n = strlen(secret);
	for (size_t len = CS_REDACT_MIN_TAIL; len <= n; len++)
		for (size_t i = 0; i + len <= n; i++) {
			char frag[64];
			snprintf(frag, sizeof(frag), "%.*s", (int)len, secret + i);
			/* fragments that are plain words of the surrounding text are fine */
			if (strspn(frag, "abcdefghijklmnopqrstuvwxyz_=&") == len)
				continue;
			if (strstr(text, frag))
				fail_msg("'%s' leaks '%s' of the secret", text, frag);
		}
}

static void urlencode(char *dst, size_t n, const char *s, int lower, int plus)
{
	static const char up[] = "0123456789ABCDEF", low[] = "0123456789abcdef";
	const char *hex = lower ? low : up;
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 4 < n; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
			dst[o++] = (char)*p;
		else if (*p == ' ' && plus)
			dst[o++] = '+';
		else {
			dst[o++] = '%';
			dst[o++] = hex[*p >> 4];
			dst[o++] = hex[*p & 15];
		}
	}
	dst[o] = '\0';
}

static void test_raw(void **state)
{
	(void)state;
	assert_string_equal(redact("token " TOKEN " rejected"), "token [redacted] rejected");
	assert_string_equal(redact("secret=" SECRET "!"), "secret=[redacted]!");
	assert_string_equal(redact(TOKEN TOKEN), "[redacted]");
}

static void test_url_encoded_every_way(void **state)
{
	(void)state;
	for (int lower = 0; lower < 2; lower++)
		for (int plus = 0; plus < 2; plus++) {
			char enc[256], text[512];
			urlencode(enc, sizeof(enc), SECRET, lower, plus);
			snprintf(text, sizeof(text),
				 "grant_type=client_credentials&client_id=x&client_secret=%s&z=1", enc);
			assert_string_equal(redact(text), "grant_type=client_credentials&client_id="
							  "x&client_secret=[redacted]&z=1");
		}
	/* the finding's own shape: %2B%2F%3D, and hex case mixed within one text */
	assert_string_equal(redact("client_secret=Zq7%2bx%2FY%3d%20a%25b%22c%5Cd%26e"),
			    "client_secret=[redacted]");
	/* encoded twice (a form inside a query string) */
	assert_string_equal(redact("q=Zq7%252Bx%252FY%253D%2520a%2525b%2522c%255Cd%2526e"),
			    "q=[redacted]");
}

static void test_json_escaped(void **state)
{
	(void)state;
	cs_buf b = CS_BUF_INIT;
	cs_buf_json_str(&b, "echo: " SECRET);
	assert_string_equal(redact(cs_buf_str(&b)), "\"echo: [redacted]\"");
	cs_buf_release(&b);
	/* \/ and \u escapes, as other encoders write them */
	assert_string_equal(redact("{\"m\":\"Zq7\\u002bx\\/Y\\u003D a%b\\\"c\\\\d\\u0026e\"}"),
			    "{\"m\":\"[redacted]\"}");
	/* non-ASCII secret: UTF-8 raw, \u escapes, a surrogate pair */
	cs_redact_add("p\xc3\xa4ss\xf0\x9f\x98\x80word");
	assert_string_equal(redact("x p\\u00e4ss\\ud83d\\ude00word y"), "x [redacted] y");
	assert_string_equal(redact("x p%C3%A4ss%F0%9F%98%80word y"), "x [redacted] y");
}

static void b64(char *dst, size_t n, const char *s, int variant)
{
	sodium_bin2base64(dst, n, (const unsigned char *)s, strlen(s), variant);
}

static void test_base64_and_basic(void **state)
{
	(void)state;
	static const int variants[] = {
		sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
		sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING};
	/* the secret at every offset inside the encoded blob */
	static const char *const prefixes[] = {"", "u:", "ab:", "classy-sync:"};
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++)
		for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
			char plain[128], enc[256], text[300];
			snprintf(plain, sizeof(plain), "%s%s", prefixes[p], SECRET);
			b64(enc, sizeof(enc), plain, variants[v]);
			snprintf(text, sizeof(text), "Authorization: Basic %s\r\nAccept: x", enc);
			assert_string_equal(redact(text),
					    "Authorization: Basic [redacted]\r\nAccept: x");
		}
	/* a base64 blob cut short at the end of a text */
	char enc[256], text[300];
	b64(enc, sizeof(enc), "classy-sync:" SECRET, sodium_base64_VARIANT_ORIGINAL);
	snprintf(text, sizeof(text), "sent Basic %.*s", 28, enc);
	assert_string_equal(redact(text), "sent Basic [redacted]");
}

static void test_cut_inside_a_secret(void **state)
{
	(void)state;
	char enc[256];
	urlencode(enc, sizeof(enc), SECRET, 0, 0);
	size_t n = strlen(enc);
	/* A text someone else cut, ending anywhere from the secret's fourth
	 * character on (inside an escape too): the start of the secret goes. */
	char head[16], head_enc[64];
	snprintf(head, sizeof(head), "%.*s", CS_REDACT_MIN_TAIL, SECRET);
	urlencode(head_enc, sizeof(head_enc), head, 0, 0);
	for (size_t cut = strlen(head_enc); cut <= n; cut++) {
		char text[512];
		snprintf(text, sizeof(text), "the server said: client_secret=%.*s", (int)cut, enc);
		assert_string_equal(redact(text), "the server said: client_secret=[redacted]");
	}
	/* Cut by cs_redact_copy itself: redaction comes first, at every size. */
	char text[512];
	snprintf(text, sizeof(text), "client_secret=%s&client_id=abc", enc);
	for (size_t outsz = 1; outsz < strlen(text); outsz++) {
		char small[512];
		cs_redact_copy(small, outsz, text, strlen(text));
		assert_true(strlen(small) < outsz);
		assert_no_fragment(small, SECRET);
		assert_no_fragment(small, enc);
	}
}

static void test_no_false_positives(void **state)
{
	(void)state;
	/* an ending that is three characters of a secret's start is a word */
	assert_string_equal(redact("organization tok"), "organization tok");
	static const char *const texts[] = {
		"GET http://127.0.0.1:8080/2.0/organizations/1001/supporters?per_page=100&"
		"filter=updated_at%3E%3D2024-01-01T00%3A00%3A00%2B0000: 500",
		"{\"error\":\"invalid_client\",\"message\":\"Client authentication failed\\n\"}",
		"Authorization: Basic dXNlcjpwYXNzd29yZA==", /* user:password */
		"100% done \\ 50%% \\u12 %zz +plus+ Zq7 tok_ end",
		"",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		assert_string_equal(redact(texts[i]), texts[i]);
}

static void test_hostile_text_is_bounded(void **state)
{
	(void)state;
	/* A secret with '%' in it, against a text of nothing but escapes:
	 * backtracking is bounded, and the answer still comes. */
	cs_redact_add("%25%25%25%25%25%25");
	static char big[20000];
	for (size_t i = 0; i + 1 < sizeof(big); i++)
		big[i] = "%25"[i % 3];
	big[sizeof(big) - 1] = '\0';
	static char o[sizeof(big) + 16];
	cs_redact_copy(o, sizeof(o), big, strlen(big));
	assert_null(strstr(o, "%25%25%25%25%25%25%25"));
}

static void test_registry(void **state)
{
	(void)state;
	cs_redact_reset();
	assert_int_equal(cs_redact_add("short"), 0); /* below CS_REDACT_MIN_LEN */
	assert_int_equal(cs_redact_count(), 0);
	cs_redact_add(TOKEN);
	cs_redact_add(TOKEN);
	assert_int_equal(cs_redact_count(), 1);
	cs_redact_remove(TOKEN);
	assert_string_equal(redact("a " TOKEN), "a [redacted]");
	cs_redact_remove(TOKEN);
	assert_int_equal(cs_redact_count(), 0);
	assert_string_equal(redact("a " TOKEN), "a " TOKEN);
	/* a webhook URL: its path with query, and a password */
	cs_redact_add_url("https://hooks.example.com/services/T000/B000/XXXXXXXX?x=1");
	cs_redact_add_url("https://user:hunter22@relay.example.com/");
	assert_string_equal(redact("POST https://hooks.example.com/services/T000/B000/XXXXXXXX?x=1:"
				   " timed out"),
			    "POST https://hooks.example.com[redacted]: timed out");
	assert_string_equal(redact("to https://user:hunter22@relay.example.com/"),
			    "to https://user:[redacted]@relay.example.com/");
}

/* cs_err: redacted when made, before the cut to sizeof(msg). */
static void test_err_messages(void **state)
{
	(void)state;
	cs_err e = {0};
	char enc[256];
	urlencode(enc, sizeof(enc), SECRET, 0, 0);
	cs_err_set(&e, CS_EAUTH, "rejected (%s)", enc);
	assert_string_equal(e.msg, "rejected ([redacted])");
	cs_err_wrap(&e, "cannot get a token with %s", TOKEN);
	assert_string_equal(e.msg, "cannot get a token with [redacted]: rejected ([redacted])");
	/* the secret straddles the 1023rd byte: no fragment survives the cut */
	for (int pad = 1000; pad < 1030; pad++) {
		cs_err_set(&e, CS_ERR, "%*s%s tail", pad, "", enc);
		assert_no_fragment(e.msg, SECRET);
		assert_no_fragment(e.msg, enc);
		char cut[1100];
		snprintf(cut, sizeof(cut), "%s", enc);
		cs_err_set(&e, CS_ERR, "x");
		cs_err_wrap(&e, "%*s%s", pad, "", cut);
		assert_no_fragment(e.msg, enc);
	}
}

/* cs_log: the line that reaches stderr is redacted, in both formats. */
static void log_lines(void)
{
	cs_log_setup(CS_LOG_DEBUG, CS_LOG_TEXT);
	cs_warn("token %s and secret %s", TOKEN, SECRET);
	cs_log_setup(CS_LOG_DEBUG, CS_LOG_JSON);
	cs_warn("secret %s", SECRET);
	/* longer than a log line holds: redacted before the cut */
	cs_log_setup(CS_LOG_DEBUG, CS_LOG_TEXT);
	cs_warn("%*s%s", 2030, "", TOKEN);
}

static void test_log_lines(void **state)
{
	(void)state;
	char buf[8192] = "";
	capture_stderr(log_lines, buf, sizeof(buf));
	assert_non_null(strstr(buf, "token [redacted] and secret [redacted]"));
	assert_non_null(strstr(buf, "\"msg\":\"secret [redacted]\""));
	assert_no_fragment(buf, SECRET);
	assert_no_fragment(buf, TOKEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_url_encoded_every_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_base64_and_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_inside_a_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_false_positives, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_text_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_registry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_err_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_lines, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
