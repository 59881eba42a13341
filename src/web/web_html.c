/* The HTML writer: the one escaping function and the few helpers around it.
 * Nothing here knows what a page shows. It must never append data without
 * escaping it, and never emit bytes a strict XML parser refuses. */
#include "web/web_html.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

static void put(cs_web_w *w, const char *p, size_t n)
{
	if (!w->failed && n && cs_buf_append(w->b, p, n) != 0)
		w->failed = 1;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one
 * or encodes a character XML forbids; *cp gets the code point. */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
	size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (!n || s[0] > 0xF4)
		return 0;
	uint32_t c = s[0] & (0x3F >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE ||
	    c == 0xFFFF)
		return 0;
	*cp = c;
	return n;
}

static const char *entity(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

void cs_web_text(cs_web_w *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (p && *p) {
		const unsigned char *run = p;
		uint32_t cp = 0;
		size_t n;
		/* a run of plain characters goes out in one piece */
		while (*p && (n = utf8_seq(p, &cp)) && !entity(*p) &&
		       (cp >= 0x20 || cp == '\t' || cp == '\n') && cp != 0x7F)
			p += n;
		put(w, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		const char *e = entity(*p);
		n = utf8_seq(p, &cp);
		put(w, e ? e : REPLACEMENT, strlen(e ? e : REPLACEMENT));
		p += n ? n : 1;
	}
}

void cs_web_textf(cs_web_w *w, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	cs_web_text(w, tmp);
}

void cs_web_tag(cs_web_w *w, const char *markup)
{
	put(w, markup, strlen(markup));
}

void cs_web_elem(cs_web_w *w, const char *name, const char *cls, const char *text)
{
	cs_web_tag(w, "<");
	cs_web_tag(w, name);
	if (cls) {
		cs_web_tag(w, " class=\"");
		cs_web_text(w, cls);
		cs_web_tag(w, "\"");
	}
	cs_web_tag(w, ">");
	cs_web_text(w, text);
	cs_web_tag(w, "</");
	cs_web_tag(w, name);
	cs_web_tag(w, ">");
}

static int local_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("._%+-'", c));
}

static int domain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-';
}

/* At each '@': the local part is the local characters just copied to out,
 * the domain the domain characters after it; with a dot inside the domain
 * the whole address is taken back and "[email]" written instead. */
void cs_web_scrub_emails(const char *s, char *out, size_t n)
{
	static const char mark[] = "[email]";
	size_t o = 0, i = 0;
	if (!n)
		return;
	while (s[i] && o + 1 < n) {
		size_t l = 0, r = i + 1;
		while (s[i] == '@' && l < o && local_char(out[o - 1 - l]))
			l++;
		while (s[i] == '@' && domain_char(s[r]))
			r++;
		while (r > i + 1 && s[r - 1] == '.') /* a full stop ends the sentence */
			r--;
		const char *dot = s[i] == '@' ? memchr(s + i + 1, '.', r - i - 1) : NULL;
		if (l && dot && dot > s + i + 1 && o - l + sizeof(mark) <= n) {
			o -= l;
			memcpy(out + o, mark, sizeof(mark) - 1);
			o += sizeof(mark) - 1;
			i = r;
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
}

void cs_web_fmt_count(long long v, char *out, size_t n)
{
	char digits[32];
	int len = snprintf(digits, sizeof(digits), "%lld", v < 0 ? -v : v);
	size_t o = 0;
	if (v < 0 && o + 1 < n)
		out[o++] = '-';
	for (int i = 0; i < len && o + 1 < n; i++) {
		if (i && (len - i) % 3 == 0 && o + 1 < n)
			out[o++] = ',';
		if (o + 1 < n)
			out[o++] = digits[i];
	}
	out[o] = '\0';
}

void cs_web_fmt_money(double v, char *out, size_t n)
{
	long long cents = llround(v * 100);
	long long a = cents < 0 ? -cents : cents;
	char whole[40];
	cs_web_fmt_count(a / 100, whole, sizeof(whole));
	snprintf(out, n, "%s%s.%02lld", cents < 0 ? "-" : "", whole, a % 100);
}

void cs_web_fmt_secs(double s, char *out, size_t n)
{
	long long t = (long long)(s + 0.5);
	if (s < 0)
		snprintf(out, n, "-");
	else if (s < 60)
		snprintf(out, n, "%.1f s", s);
	else if (t < 3600)
		snprintf(out, n, "%lld min %02lld s", t / 60, t % 60);
	else
		snprintf(out, n, "%lld h %02lld min", t / 3600, t / 60 % 60);
}
