#ifndef CS_WEB_REPORT_H
#define CS_WEB_REPORT_H
/* The giving report (issue 13): the daemon serves it at /report, and
 * `classy-sync report --html FILE` writes it as one file. For one
 * organization or all of them together: gifts and amount per month over
 * the last CS_REPORT_MONTHS months, recurring revenue per month, first-time
 * and repeat donors per month, donors by value tier and by engagement, and
 * the campaigns that raised most against their goals.
 *
 * Read from the store's views (CS_CTRL_GIVING, store.h) into a model
 * (cs_web_report_load), rendered from it (cs_web_report_render) as one
 * self-contained XHTML-valid document like the status page (web.h): inline
 * CSS, inline SVG charts each with a title, axis labels and its numbers in a
 * table beside it, no script, no URL but the selector's own "?org=" links,
 * every text through cs_web_text. It shows counts and sums only: never a
 * donor's name or email (campaign names are the org's own). */
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdint.h>

#define CS_REPORT_MONTHS 24
#define CS_REPORT_CAMPAIGNS 10

typedef struct cs_web_report cs_web_report;

typedef struct cs_web_report_source {
	cs_store *store;
	int64_t now_ms;   /* the clock the months count back from */
	long long org_id; /* 0: every organization together */
	/* 1: a file (report --html): no selector, its links would lead nowhere */
	int standalone;
} cs_web_report_source;

/* Reads the figures. CS_ENOTFOUND when org_id is not registered; other
 * failures when the store cannot be read. *out is NULL on failure. */
int cs_web_report_load(const cs_web_report_source *src, cs_web_report **out, cs_err *err);
/* Appends the page. Fails when it outgrows out's cap or memory runs out. */
int cs_web_report_render(const cs_web_report *r, int standalone, cs_buf *out, cs_err *err);
void cs_web_report_free(cs_web_report *r); /* NULL is fine */

/* Both of the above at once. */
int cs_web_report_page(const cs_web_report_source *src, cs_buf *out, cs_err *err);

/* The daemon's figures kept between requests (web_report_cache.c): each
 * selection's are read again when a run of an org starts or finishes (the
 * newest run of each org and entity, read through the sync_runs index),
 * an org is added, removed or renamed, or they are ttl_ms old; else the
 * page is rendered from them. Not thread-safe. */
typedef struct cs_web_report_cache cs_web_report_cache;
cs_web_report_cache *cs_web_report_cache_new(void); /* NULL: out of memory */
void cs_web_report_cache_free(cs_web_report_cache *c); /* NULL is fine */
int cs_web_report_cached(cs_web_report_cache *c, const cs_web_report_source *src, int64_t ttl_ms,
			 cs_buf *out, cs_err *err);

#endif
