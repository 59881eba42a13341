/* The progress guard (guard.h): each paging loop's proof that the page it
 * read is the page it asked for, so the loop either moves forward or stops
 * with an error naming what the API ignored. Why stop rather than fall back
 * to walking page=1..N: that walk is not exact. A record deleted (or, for
 * a window, updated) during the walk shifts every later record back one
 * place, so one is never read; a full scan would then soft-delete a live
 * row, an incremental run would skip a change. A sync that cannot be exact
 * stops and says why.
 *
 * Must never: fetch, store, or keep state beyond the walk's fingerprint;
 * records without a valid id (rejected by the page parser) prove nothing
 * and are passed over. */
#include "sync/guard.h"

#include "util/timeutil.h"

#define HINT                                                                              \
	"; stopping instead of asking again for ever: check that CLASSY_API_URL points to " \
	"the Classy API and that no proxy in between rewrites or caches list queries"

int cs_sync_guard_keyset(const cs_entity *e, long long org, long long after,
			 const cs_classy_page *p, cs_err *err)
{
	long long prev = after;
	for (size_t i = 0; i < p->nrecords; i++) {
		long long id = cs_classy_record_id(&p->records[i]);
		if (id <= 0)
			continue;
		if (after > 0 && id <= after)
			return cs_err_set(err, CS_EPROTO,
					  "the API ignored filter=id>%lld during a full scan of %s "
					  "of organization %lld: it returned id %lld" HINT,
					  after, e->name, org, id);
		if (id <= prev)
			return cs_err_set(err, CS_EPROTO,
					  "the API ignored sort=id during a full scan of %s of "
					  "organization %lld: id %lld came after id %lld" HINT,
					  e->name, org, id, prev);
		prev = id;
	}
	return 0;
}

int cs_sync_guard_window(const cs_entity *e, long long org, int64_t lower, const int64_t *secs,
			 const cs_classy_page *p, cs_err *err)
{
	int64_t prev = INT64_MIN;
	for (size_t i = 0; i < p->nrecords; i++) {
		if (secs[i] == INT64_MIN)
			continue;
		char at[CS_TIME_BUFSZ], bound[CS_TIME_BUFSZ];
		if (lower != INT64_MIN && secs[i] < lower) {
			cs_time_format(secs[i], 0, at);
			cs_time_format_filter(lower, bound);
			return cs_err_set(err, CS_EPROTO,
					  "the API ignored filter=updated_at>=%s on %s of "
					  "organization %lld: it returned record %lld updated at %s" HINT,
					  bound, e->name, org, cs_classy_record_id(&p->records[i]), at);
		}
		if (secs[i] < prev) {
			cs_time_format(secs[i], 0, at);
			cs_time_format(prev, 0, bound);
			return cs_err_set(err, CS_EPROTO,
					  "the API ignored sort=updated_at on %s of organization %lld: "
					  "record %lld updated at %s came after one updated at %s" HINT,
					  e->name, org, cs_classy_record_id(&p->records[i]), at, bound);
		}
		prev = secs[i];
	}
	return 0;
}

void cs_sync_pageprint_reset(cs_sync_pageprint *w)
{
	w->page = 0;
	w->n = 0;
	w->print = 0;
}

/* FNV-1a over the ids in order: two pages with the same ids in the same
 * order print the same; a real next page never does. */
static uint64_t fingerprint(const cs_classy_page *p)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < p->nrecords; i++) {
		uint64_t id = (uint64_t)cs_classy_record_id(&p->records[i]);
		for (int b = 0; b < 64; b += 8) {
			h ^= (id >> b) & 0xff;
			h *= 0x100000001b3ULL;
		}
	}
	return h;
}

int cs_sync_guard_walk(cs_sync_pageprint *w, const cs_entity *e, long long org, int page,
		       const cs_classy_page *p, cs_err *err)
{
	uint64_t print = fingerprint(p);
	/* An empty page ends a walk; only a repeated non-empty one proves the
	 * page number was ignored. */
	if (w->page > 0 && page == w->page + 1 && p->nrecords > 0 && p->nrecords == w->n &&
	    print == w->print)
		return cs_err_set(err, CS_EPROTO,
				  "the API returned the same records for page %d as for page %d "
				  "of %s of organization %lld: it ignores the page parameter" HINT,
				  page, w->page, e->name, org);
	w->page = page;
	w->n = p->nrecords;
	w->print = print;
	return 0;
}
