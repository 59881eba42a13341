#ifndef CS_SYNC_GUARD_H
#define CS_SYNC_GUARD_H
/* The progress guard: what every paging loop checks on each page before it
 * trusts the page to move it forward. A loop whose next request depends on
 * the page it just read (keyset on id, a lower bound on updated_at, a page
 * number inside one second) only ends if the API honours the query; an API
 * or proxy that ignores `filter`, `sort` or `page` would otherwise have it
 * send the same request for ever (issue 11, finding 2). Each check either
 * proves the page is what was asked for, or fails with CS_EPROTO and a
 * message naming what the API ignored.
 *
 * Pure functions of the query and the page: any fetcher (the engine's
 * loops, a concurrent one) calls them on every page it is about to hand
 * on, in the order the pages were asked for. */
#include "classy/classy.h"

#include <stdint.h>

/* Keyset scan `filter=id>after&sort=id` (after 0: no filter): every id
 * must be above `after` and the ids strictly ascending. */
int cs_sync_guard_keyset(const cs_entity *e, long long org, long long after,
			 const cs_classy_page *p, cs_err *err);

/* Window `filter=updated_at>=lower&sort=updated_at,id` (lower INT64_MIN:
 * no filter). secs[i] is record i's updated_at in ms, cut to the second,
 * or INT64_MIN when it has none (nothing to check). Every second must be
 * >= lower and the seconds must not go down. */
int cs_sync_guard_window(const cs_entity *e, long long org, int64_t lower, const int64_t *secs,
			 const cs_classy_page *p, cs_err *err);

/* A walk by page number (inside one second of a window): page k+1 must
 * not repeat page k. Reset it whenever a walk starts again at page 1. */
typedef struct cs_sync_pageprint {
	int page;       /* the page last seen, 0 before the first */
	size_t n;       /* its record count */
	uint64_t print; /* a fingerprint of its ids, in order */
} cs_sync_pageprint;

void cs_sync_pageprint_reset(cs_sync_pageprint *w);
int cs_sync_guard_walk(cs_sync_pageprint *w, const cs_entity *e, long long org, int page,
		       const cs_classy_page *p, cs_err *err);

#endif
