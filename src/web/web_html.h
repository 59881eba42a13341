#ifndef CS_WEB_HTML_H
#define CS_WEB_HTML_H
/* The HTML writer of the web pages. Every piece of text (a name, an error,
 * a number) goes through cs_web_text, the one escaping function; markup
 * comes only from string literals in this module (cs_web_tag). A failure
 * to grow the buffer is sticky: the writer stops writing and the page
 * fails once, at the end.
 *
 * Escaping (docs/ARCHITECTURE.md "Status page"): & < > " ' become entities;
 * bytes that are not UTF-8, control characters other than tab and newline,
 * and the non-characters U+FFFE and U+FFFF become U+FFFD, so the output is
 * well-formed XML as well as HTML whatever the database holds. Right-to-left
 * and CJK text pass through as UTF-8 (names are set in <bdi>). */
#include "util/buf.h"

#include <stddef.h>

typedef struct cs_web_w {
	cs_buf *b;
	int failed;
} cs_web_w;

/* Appends s escaped (NULL appends nothing). */
void cs_web_text(cs_web_w *w, const char *s);
/* Formats (printf), then appends the result escaped. */
void cs_web_textf(cs_web_w *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends markup: a string literal of this module, never data. */
void cs_web_tag(cs_web_w *w, const char *markup);
/* <name class="cls">text</name>, text escaped; cls may be NULL. */
void cs_web_elem(cs_web_w *w, const char *name, const char *cls, const char *text);

/* Copies s into out (size n), with anything that looks like an email
 * address (local@domain.tld) replaced by "[email]": errors and reasons can
 * quote one, and no page may show one. */
void cs_web_scrub_emails(const char *s, char *out, size_t n);

/* "1,234,567" */
void cs_web_fmt_count(long long v, char *out, size_t n);
/* An amount to the cent with separators: "12,345.60", "-3.00". */
void cs_web_fmt_money(double v, char *out, size_t n);
/* "0.4 s", "12.5 s", "3 min 05 s", "1 h 02 min"; "-" when s < 0 */
void cs_web_fmt_secs(double s, char *out, size_t n);

#endif
