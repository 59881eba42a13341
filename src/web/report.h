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
	/* CS_WEB_REPORT_STANDALONE and the like, for the page */
	unsigned flags;
	const cs_store_reader *reader; /* how a long read is stopped, or NULL */
} cs_web_report_source;

/* A file (report --html): no selector, its links would lead nowhere. */
#define CS_WEB_REPORT_STANDALONE 1u
/* Figures a sync run has changed since they were read, shown while they
 * are read again: the page says so and reloads itself. */
#define CS_WEB_REPORT_REFRESHING 2u
/* The meta refresh of a page that waits for figures, in seconds. */
#define CS_WEB_REPORT_RETRY_S 2

/* Reads the figures. CS_ENOTFOUND when org_id is not registered; other
 * failures when the store cannot be read. *out is NULL on failure. */
int cs_web_report_load(const cs_web_report_source *src, cs_web_report **out, cs_err *err);
/* Appends the page (flags: CS_WEB_REPORT_*). Fails when it outgrows out's
 * cap or memory runs out. */
int cs_web_report_render(const cs_web_report *r, unsigned flags, cs_buf *out, cs_err *err);
void cs_web_report_free(cs_web_report *r); /* NULL is fine */
/* The registered orgs r lists in its selector: up to max ids into ids;
 * returns how many. */
size_t cs_web_report_org_ids(const cs_web_report *r, long long *ids, size_t max);

/* Both of the above at once. */
int cs_web_report_page(const cs_web_report_source *src, cs_buf *out, cs_err *err);

/* The small page that stands in while the figures of org are read: it
 * says so and reloads itself after CS_WEB_REPORT_RETRY_S. */
int cs_web_report_wait_page(long long org, cs_buf *out, cs_err *err);

/* The daemon's figures kept between requests (web_report_cache.c). Each
 * selection's figures are kept with the runs key they were read under: a
 * hash of the state of every registered org (id, name, the newest run of
 * each entity, read through the sync_runs index). A run that starts or
 * finishes, an org added, removed or renamed changes the key. Not
 * thread-safe: its user serialises get and put (the daemon reads figures on
 * a thread of their own and renders on the endpoint's). */
typedef struct cs_web_report_cache cs_web_report_cache;
#define CS_WEB_REPORT_CACHE_SLOTS 16 /* selections kept; the oldest goes first */
cs_web_report_cache *cs_web_report_cache_new(void); /* NULL: out of memory */
void cs_web_report_cache_free(cs_web_report_cache *c); /* NULL is fine */

/* The runs key of the store now. CS_ENOTFOUND when org (0: all) is not
 * registered. Reads small tables only (organizations, sync_runs' index). */
int cs_web_report_runs_key(cs_store *st, long long org, uint64_t *key, cs_err *err);

enum cs_web_report_state {
	CS_WEB_REPORT_MISSING, /* none kept */
	CS_WEB_REPORT_STALE,   /* kept, but read under another key, ttl_ms ago or more */
	CS_WEB_REPORT_FRESH
};
/* The figures kept for org (NULL when missing) and how they stand against
 * key and now_ms; they stay the cache's, valid until the next put. */
const cs_web_report *cs_web_report_cache_get(cs_web_report_cache *c, long long org, uint64_t key,
					     int64_t now_ms, int64_t ttl_ms, int *state);
/* Keeps r (taken over) as org's figures, read at at_ms under key; the
 * oldest selection goes when the cache is full. */
void cs_web_report_cache_put(cs_web_report_cache *c, long long org, uint64_t key, int64_t at_ms,
			     cs_web_report *r);

#endif
