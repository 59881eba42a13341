/* The status page's writer: the one escaping function (entities, invalid
 * UTF-8, control characters, RTL and CJK kept), the email scrubber and the
 * number formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "web/web_html.h"
#include "web/web_svg.h"

#include <string.h>

static void check_text(const char *in, const char *want)
{
	cs_buf b = CS_BUF_INIT;
	cs_web_w w = {&b, 0};
	cs_web_text(&w, in);
	assert_int_equal(w.failed, 0);
	assert_string_equal(cs_buf_str(&b), want);
	cs_buf_release(&b);
}

static void test_escapes_markup_and_quotes(void **state)
{
	(void)state;
	check_text("Amis \"d'Acc\xC3\xA8s\" & <b>Co</b>",
		   "Amis &quot;d&#39;Acc\xC3\xA8s&quot; &amp; &lt;b&gt;Co&lt;/b&gt;");
	check_text("&amp;", "&amp;amp;"); /* escaped exactly once, never interpreted */
	check_text("", "");
	check_text(NULL, "");
}

static void test_keeps_cjk_and_rtl(void **state)
{
	(void)state;
	const char *cjk = "\xE6\x85\x88\xE5\x96\x84\xE5\x9F\xBA\xE9\x87\x91"; /* 慈善基金 */
	const char *rtl = "\xD8\xAC\xD9\x85\xD8\xB9\xD9\x8A\xD8\xA9 \xE2\x80\x8F"; /* جمعية RLM */
	const char *emoji = "\xF0\x9F\x8E\x81";                                   /* a gift */
	check_text(cjk, cjk);
	check_text(rtl, rtl);
	check_text(emoji, emoji);
}

static void test_replaces_what_xml_refuses(void **state)
{
	(void)state;
	check_text("a\x01" "b\x7f" "c", "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c");
	check_text("tab\tnl\n", "tab\tnl\n");
	check_text("bad \xC3 end", "bad \xEF\xBF\xBD end");      /* cut sequence */
	check_text("\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD");       /* overlong '/' */
	check_text("\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); /* surrogate */
	check_text("\xEF\xBF\xBE", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); /* U+FFFE */
	check_text("\xF4\x90\x80\x80x", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx");
}

static void test_textf_and_elem_escape(void **state)
{
	(void)state;
	cs_buf b = CS_BUF_INIT;
	cs_web_w w = {&b, 0};
	cs_web_textf(&w, "%s=%d", "<x>", 3);
	cs_web_elem(&w, "td", "err", "a&b");
	assert_string_equal(cs_buf_str(&b), "&lt;x&gt;=3<td class=\"err\">a&amp;b</td>");
	cs_buf_release(&b);
}

static void test_failure_is_sticky(void **state)
{
	(void)state;
	cs_buf b;
	cs_buf_init(&b, 8);
	cs_web_w w = {&b, 0};
	cs_web_text(&w, "0123456789abcdef");
	assert_int_equal(w.failed, 1);
	cs_web_tag(&w, "<p>");
	assert_int_equal(w.failed, 1);
	cs_buf_release(&b);
}

static void check_scrub(const char *in, const char *want)
{
	char out[128];
	cs_web_scrub_emails(in, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_scrubs_emails(void **state)
{
	(void)state;
	check_scrub("rejected bob.smith+x@example.org: fake", "rejected [email]: fake");
	check_scrub("a@b.co and c_d@e-f.example.net.", "[email] and [email].");
	check_scrub("no address @ here, user@localhost, @x.org", "no address @ here, user@localhost, @x.org");
	check_scrub("", "");
	char small[10];
	cs_web_scrub_emails("abcdefghijklmnop", small, sizeof(small));
	assert_string_equal(small, "abcdefghi");
}

static void test_formats(void **state)
{
	(void)state;
	char t[32];
	cs_web_fmt_count(1234567, t, sizeof(t));
	assert_string_equal(t, "1,234,567");
	cs_web_fmt_count(-1000, t, sizeof(t));
	assert_string_equal(t, "-1,000");
	cs_web_fmt_count(999, t, sizeof(t));
	assert_string_equal(t, "999");
	cs_web_fmt_secs(12.34, t, sizeof(t));
	assert_string_equal(t, "12.3 s");
	cs_web_fmt_secs(185, t, sizeof(t));
	assert_string_equal(t, "3 min 05 s");
	cs_web_fmt_secs(3720, t, sizeof(t));
	assert_string_equal(t, "1 h 02 min");
	cs_web_fmt_secs(-1, t, sizeof(t));
	assert_string_equal(t, "-");
	cs_web_fmt_money(1234567.6, t, sizeof(t));
	assert_string_equal(t, "1,234,567.60");
	cs_web_fmt_money(-3, t, sizeof(t));
	assert_string_equal(t, "-3.00");
	cs_web_fmt_money(0.005, t, sizeof(t));
	assert_string_equal(t, "0.01");
	cs_web_fmt_money(0, t, sizeof(t));
	assert_string_equal(t, "0.00");
}

/* The report's charts: labels under the x axis, escaped, cut on a
 * character boundary (CJK is three bytes); a grouped chart has one axis
 * with its own label, both series' bars, and no mark legend. */
static void test_chart_ticks_and_groups(void **state)
{
	(void)state;
	cs_buf b = CS_BUF_INIT;
	cs_web_w w = {&b, 0};
	double a[2] = {1, 2}, g[2] = {3, -1};
	const char *ticks[2] = {"<a&b>", "慈善基金会慈善基金会慈善基金会慈善基金会"};
	cs_web_chart c = {"c1", "t", "d", "x", NULL, 2, NULL,
			  {{"raised", CS_WEB_BARS, "s-a", a}, {"goal", CS_WEB_BARS, "s-b", g}},
			  2, ticks, 1, 1, 1, "amount"};
	cs_web_svg_chart(&w, &c);
	assert_int_equal(w.failed, 0);
	const char *s = cs_buf_str(&b);
	assert_non_null(strstr(s, "&lt;a&amp;b&gt;"));
	/* 18 characters then an ellipsis */
	assert_non_null(strstr(s, ">慈善基金会慈善基金会慈善基金会慈善基\xE2\x80\xA6<"));
	assert_non_null(strstr(s, ">amount</text>"));
	assert_null(strstr(s, ">raised</text></g>")); /* no axis of its own */
	assert_null(strstr(s, "class=\"mark\""));
	int rects = 0;
	for (const char *p = s; (p = strstr(p, "<rect x=")); p++)
		rects++;
	assert_int_equal(rects, 3); /* a missing goal draws no bar */
	cs_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes_markup_and_quotes),
		cmocka_unit_test(test_keeps_cjk_and_rtl),
		cmocka_unit_test(test_replaces_what_xml_refuses),
		cmocka_unit_test(test_textf_and_elem_escape),
		cmocka_unit_test(test_failure_is_sticky),
		cmocka_unit_test(test_scrubs_emails),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_chart_ticks_and_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
