/* Paging strategies. See docs/ARCHITECTURE.md "Invariants" for the argument
 * behind each rule here. A strategy fetches and parses pages and decides the
 * next query; it hands each page, with the checkpoint that accounts for it,
 * to the writer through c->emit. It must never write to the store: only the
 * writer does, with the checkpoint that accounts for the rows. */
#include "sync/engine_int.h"
#include "sync/guard.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TIE_WALKS 8
#define MAX_MALFORMED_RETRIES 3

static int fetch(cs_sync_ctx *c, int page, const char *sort, const char *filter, cs_err *err)
{
	cs_classy_list_query q = {c->org, c->e, page, CS_CLASSY_PER_PAGE, sort, filter};
	int rc;
	/* A 200 whose body does not parse is usually a proxy cutting the answer;
	 * asking again is cheap and nothing was stored. */
	for (int attempt = 1;; attempt++) {
		rc = cs_classy_list(c->api, &q, &c->page, err);
		if (rc != CS_EPROTO || attempt == MAX_MALFORMED_RETRIES)
			break;
		cs_warn("%s org %lld page %d: %s; asking again", c->e->name, c->org, page, err->msg);
	}
	if (rc == 0 && c->total < 0)
		c->total = c->page.total;
	c->pageno++;
	return rc;
}

/* Records the page parser rejected (no whole, positive id: page.c) are
 * never stored, since a row keyed on a wrong id could overwrite another
 * record. Each is reported and skipped; the rest of the page is stored and
 * the cursor moves past it as for any other record, so one bad record
 * cannot stall every later run. The run then ends partial (run.c). Marks
 * them in skip (allocated when NULL and needed); returns skip, or NULL
 * when out of memory while rejects exist. */
static unsigned char *skip_rejected(cs_sync_ctx *c, unsigned char *skip, int *oom)
{
	for (size_t i = 0; i < c->page.nrecords; i++) {
		const cs_record *r = &c->page.records[i];
		if (!r->why)
			continue;
		if (!skip && !(skip = calloc(c->page.nrecords, 1))) {
			*oom = 1;
			return NULL;
		}
		skip[i] = 1;
		const cJSON *id = cJSON_IsObject(r->json)
					  ? cJSON_GetObjectItemCaseSensitive(r->json, "id") : NULL;
		char text[48] = "none";
		if (cJSON_IsNumber(id) && id->valuestring)
			snprintf(text, sizeof(text), "%.40s", id->valuestring);
		else if (cJSON_IsString(id))
			snprintf(text, sizeof(text), "\"%.38s\"", id->valuestring);
		else if (id)
			snprintf(text, sizeof(text), "of another type");
		char what[256];
		snprintf(what, sizeof(what), "record %zu of page %d (id %s): %s", i + 1, c->pageno,
			 text, r->why);
		cs_warn("%s of organization %lld: %s; not stored, the rest of the page is", c->e->name,
			c->org, what);
		if (c->res->rejected++ == 0)
			memcpy(c->first_reject, what, sizeof(what));
	}
	return skip;
}

/* Second (in ms) of a record's updated_at, or INT64_MIN when absent. The API
 * filters with whole seconds, so every comparison is made at that grain. */
static int64_t record_second(const cs_record *r)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(r->json, "updated_at");
	int64_t ms;
	if (!cJSON_IsString(u) || cs_time_parse(u->valuestring, &ms, NULL) < 0)
		return INT64_MIN;
	return ms - (((ms % 1000) + 1000) % 1000);
}

/* Moves the fetched page into a job with a copy of the checkpoint. */
static int emit_page(cs_sync_ctx *c, unsigned char *skip, cs_err *err)
{
	cs_sync_job *job = c->job_get(c);
	if (!job) {
		free(skip);
		return cs_err_set(err, CS_ERR, "out of memory");
	}
	cs_classy_page spare = job->page;
	job->page = c->page;
	c->page = spare;
	job->skip = skip;
	job->state = c->state;
	job->total = c->total;
	return c->emit(c, job, err);
}

static int stop_requested(const cs_sync_ctx *c)
{
	return c->opts->should_stop && c->opts->should_stop();
}

/* The second of each record on the page (record_second), or NULL. */
static int64_t *page_seconds(const cs_sync_ctx *c)
{
	size_t n = c->page.nrecords;
	int64_t *secs = malloc((n ? n : 1) * sizeof(*secs));
	for (size_t i = 0; secs && i < n; i++)
		secs[i] = record_second(&c->page.records[i]);
	return secs;
}

/* The progress guard failed: the API broke the paging contract, so this
 * run cannot be completed by asking again. It ends `failed`, not
 * `partial`, whatever it committed before (finish_status in run.c). */
static int contract_broken(cs_sync_ctx *c, int rc)
{
	c->broken = 1;
	return rc;
}

/* Per page of an incremental walk: which records to skip (already stored at
 * the bound second), how many ids are new at the bound, the newest second. */
static unsigned char *classify(cs_sync_ctx *c, const int64_t *secs, int64_t lower,
			       int64_t *newest, long long *fresh)
{
	size_t n = c->page.nrecords;
	unsigned char *skip = calloc(n ? n : 1, 1);
	if (!skip)
		return NULL;
	*newest = lower;
	for (size_t i = 0; i < n; i++) {
		if (c->page.records[i].why) {
			skip[i] = 1; /* rejected (skip_rejected): its second still counts */
			if (secs[i] != INT64_MIN && secs[i] > *newest)
				*newest = secs[i];
		} else if (secs[i] == INT64_MIN || secs[i] <= lower) {
			int added = cs_idset_add(&c->seen, cs_classy_record_id(&c->page.records[i]));
			skip[i] = added == 0;
			*fresh += added == 1;
		} else if (secs[i] > *newest) {
			*newest = secs[i];
		}
	}
	/* Records at the newest second come back on the next page: remember them. */
	cs_idset_clear(&c->next_seen);
	for (size_t i = 0; i < n && *newest > lower; i++)
		if (secs[i] == *newest && !c->page.records[i].why)
			cs_idset_add(&c->next_seen, cs_classy_record_id(&c->page.records[i]));
	return skip;
}

/* Incremental: sort by (updated_at, id) ascending and restart at page 1 with
 * the lower bound moved to the newest second seen, so updates that move
 * records to the end of the order can never shift an unread record onto an
 * already-read page. Only a group of more than one page of records sharing
 * one second needs page numbers; such a group is walked again until a walk
 * finds no id it had not seen, because an update inside the group during the
 * walk can shift an unread member back by one.
 *
 * Progress (guard.h): every turn either moves the bound up, or reads the
 * next page of a walk, which must not repeat the page before it, or walks a
 * group again because the last walk found an unseen id (at most
 * MAX_TIE_WALKS times); and every page must honour the bound. Anything
 * else stops the run with the guard's error. */
static int run_incremental(cs_sync_ctx *c, cs_err *err)
{
	int64_t lower = INT64_MIN;
	if (c->state.cursor[0] && cs_time_parse(c->state.cursor, &lower, NULL) == 0)
		lower -= (int64_t)c->lookback_s * 1000;
	int page = 1, walk_pages = 0, walks = 0, rc;
	long long fresh = 0;
	cs_sync_walk walk;
	for (;;) {
		if (stop_requested(c))
			return cs_err_set(err, CS_EINTR, "stopped by a signal");
		char filter[64] = "", bound[CS_TIME_BUFSZ];
		if (lower != INT64_MIN) {
			cs_time_format_filter(lower, bound);
			snprintf(filter, sizeof(filter), "updated_at>=%s", bound);
		}
		if ((rc = fetch(c, page, "updated_at,id", filter[0] ? filter : NULL, err)))
			return rc;
		size_t n = c->page.nrecords;
		int last = n < CS_CLASSY_PER_PAGE || c->page.current_page >= c->page.last_page;
		int64_t newest, *secs = page_seconds(c);
		if (!secs)
			return cs_err_set(err, CS_ERR, "out of memory");
		/* progress guard: the page honours the bound, and a page of a walk
		 * is not the page before it again */
		if (page == 1)
			cs_sync_walk_reset(&walk);
		rc = cs_sync_guard_window(c->e, c->org, lower, secs, &c->page, err);
		if (rc == 0)
			rc = cs_sync_guard_walk(&walk, c->e, c->org, page, &c->page, err);
		unsigned char *skip = rc ? NULL : classify(c, secs, lower, &newest, &fresh);
		free(secs);
		if (rc)
			return contract_broken(c, rc);
		int oom = !skip;
		if (skip)
			skip_rejected(c, skip, &oom);
		if (oom) {
			free(skip);
			return cs_err_set(err, CS_ERR, "out of memory");
		}
		if (newest != INT64_MIN)
			cs_time_format(newest, 0, c->state.cursor);
		if ((rc = emit_page(c, skip, err)))
			return rc;

		int group_ended = last || newest > lower;
		if (group_ended && walk_pages > 0 && fresh > 0 && walks == MAX_TIE_WALKS)
			cs_warn("%s org %lld: the records sharing one second kept changing during %d "
				"walks; moving on (a full sync re-reads them)",
				c->e->name, c->org, MAX_TIE_WALKS + 1);
		if (group_ended && walk_pages > 0 && fresh > 0 && walks < MAX_TIE_WALKS) {
			cs_debug("%s org %lld: walking again the %d pages that share one second",
				 c->e->name, c->org, walk_pages + 1);
			walks++;
			page = 1;
			walk_pages = 0;
			fresh = 0;
		} else if (last) {
			return 0;
		} else if (newest > lower) {
			lower = newest;
			page = 1;
			walk_pages = walks = 0;
			fresh = 0;
			cs_idset tmp = c->seen;
			c->seen = c->next_seen;
			c->next_seen = tmp;
		} else {
			walk_pages++;
			page++;
		}
	}
}

/* Full: keyset paging on id (filter id>last, sort id). Ids never move, so
 * the walk is stable while records change, and it resumes from the last
 * committed id after a crash. Only a complete walk may soft-delete.
 *
 * Progress (guard.h): every page must hold only ids above the last one,
 * ascending, and a page that is not the last must move the last id up;
 * otherwise the run stops with the guard's error. */
static int run_full(cs_sync_ctx *c, cs_err *err)
{
	if (!c->state.full_started_at[0] || c->restart_full) {
		cs_time_format(cs_time_now_ms(), 1, c->state.full_started_at);
		c->state.full_last_id = 0;
	} else {
		cs_info("%s org %lld: resuming the full sync started %s after id %lld", c->e->name,
			c->org, c->state.full_started_at, c->state.full_last_id);
	}
	int rc;
	for (;;) {
		if (stop_requested(c))
			return cs_err_set(err, CS_EINTR, "stopped by a signal");
		char filter[64];
		snprintf(filter, sizeof(filter), "id>%lld", c->state.full_last_id);
		if ((rc = fetch(c, 1, "id", c->state.full_last_id ? filter : NULL, err)))
			return rc;
		long long after = c->state.full_last_id;
		if ((rc = cs_sync_guard_keyset(c->e, c->org, after, &c->page, err)))
			return contract_broken(c, rc);
		for (size_t i = 0; i < c->page.nrecords; i++) {
			long long id = cs_classy_record_id(&c->page.records[i]);
			if (id > c->state.full_last_id)
				c->state.full_last_id = id;
		}
		int last = c->page.nrecords < CS_CLASSY_PER_PAGE ||
			   c->page.current_page >= c->page.last_page;
		/* a full page with no valid id (every record rejected) would be
		 * asked for again with the same filter */
		if (!last && c->state.full_last_id == after)
			return contract_broken(
				c, cs_err_set(err, CS_EPROTO,
					      "a full scan of %s of organization %lld cannot move past "
					      "id %lld: the next page has no record with a valid id",
					      c->e->name, c->org, after));
		int oom = 0;
		unsigned char *skip = skip_rejected(c, NULL, &oom);
		if (oom)
			return cs_err_set(err, CS_ERR, "out of memory");
		if ((rc = emit_page(c, skip, err)))
			return rc;
		if (last)
			break;
	}
	cs_sync_job *job = c->job_get(c);
	if (!job)
		return cs_err_set(err, CS_ERR, "out of memory");
	job->finish_full = 1;
	/* A record rejected for its id (skip_rejected) may be a live row sent
	 * with a broken id: absence is then not proof of deletion, so this
	 * scan marks nothing (the next clean one will). */
	job->keep_absent = c->res->rejected > 0;
	if (job->keep_absent)
		cs_warn("%s org %lld: the full scan rejected %lld record(s), so it marks no row "
			"deleted this time", c->e->name, c->org, c->res->rejected);
	job->state = c->state;
	memcpy(job->started, c->state.full_started_at, sizeof(job->started));
	return c->emit(c, job, err);
}

int cs_sync_strategy(cs_sync_ctx *c, cs_err *err)
{
	return c->opts->full ? run_full(c, err) : run_incremental(c, err);
}
