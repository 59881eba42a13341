/* Paging strategies and checkpoints. See docs/ARCHITECTURE.md "Incremental
 * sync while the data changes" for the argument behind each rule here. */
#include "sync/engine_int.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TIE_WALKS 8
#define MAX_MALFORMED_RETRIES 3

int cs_engine_fetch(cs_run_ctx *c, int page, const char *sort, const char *filter, cs_err *err)
{
	cs_list_query q = {c->org, c->e, page, CS_PER_PAGE, sort, filter};
	int rc;
	/* A 200 whose body does not parse is usually a proxy or load balancer
	 * cutting the answer; asking again is cheap and nothing was stored. */
	for (int attempt = 1;; attempt++) {
		rc = cs_classy_list(c->api, &q, &c->page, err);
		if (rc != CS_EPROTO || attempt == MAX_MALFORMED_RETRIES)
			break;
		cs_warn("%s org %lld page %d: %s; asking again", c->e->name, c->org, page, err->msg);
	}
	if (rc == 0 && c->total < 0)
		c->total = c->page.total;
	return rc;
}

static long long record_id(const cs_record *r)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(r->json, "id");
	return cJSON_IsNumber(id) ? (long long)id->valuedouble : 0;
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

/* Fault injection for the crash-safety tests: CLASSY_SYNC_TEST_KILL_AT=N
 * sends SIGKILL to this process halfway through storing the Nth page of the
 * process, i.e. with rows written but neither committed nor checkpointed. */
static void maybe_kill(size_t i, size_t n)
{
	static long kill_at = -1, pages;
	if (kill_at < 0) {
		const char *v = getenv("CLASSY_SYNC_TEST_KILL_AT");
		kill_at = v ? atol(v) : 0;
	}
	if (kill_at > 0 && i == n / 2 && ++pages == kill_at)
		raise(SIGKILL);
}

int cs_engine_store_page(cs_run_ctx *c, const unsigned char *skip, cs_err *err)
{
	char now[CS_TIME_BUFSZ];
	cs_time_format(cs_now_ms(), 1, now);
	if (c->st->page_begin(c->st, now, err))
		return err->code;
	long long stored = 0;
	for (size_t i = 0; i < c->page.nrecords; i++) {
		if (skip && skip[i])
			continue;
		if (c->st->page_upsert(c->st, c->e, c->org, &c->page.records[i], err)) {
			c->st->page_abort(c->st);
			return cs_err_wrap(err, "cannot store %s record %lld of organization %lld",
					   c->e->name, record_id(&c->page.records[i]), c->org);
		}
		stored++;
		maybe_kill(i, c->page.nrecords);
	}
	if (c->st->page_commit(c->st, &c->state, err)) {
		c->st->page_abort(c->st);
		return err->code;
	}
	c->res->records += stored;
	c->res->pages++;
	cs_engine_report(c);
	return 0;
}

void cs_engine_report(cs_run_ctx *c)
{
	if (!c->opts->progress)
		return;
	cs_progress p = {c->org, c->e, c->opts->full, c->res->records, c->res->pages, c->total,
			 cs_mono_ms() - c->t0};
	c->opts->progress(&p, c->opts->progress_ctx);
}

static int stop_requested(const cs_run_ctx *c)
{
	return c->opts->should_stop && c->opts->should_stop();
}

/* Incremental: sort by (updated_at, id) ascending and restart at page 1 with
 * the lower bound moved to the newest second seen, so updates that move
 * records to the end of the order can never shift an unread record onto an
 * already-read page. Only a group of more than one page of records sharing
 * one second needs page numbers; such a group is walked again until a walk
 * finds no id it had not seen, because an update inside the group during the
 * walk can shift an unread member back by one. */
static int run_incremental(cs_run_ctx *c, cs_err *err)
{
	int64_t lower = INT64_MIN;
	if (c->state.cursor[0] && cs_time_parse(c->state.cursor, &lower, NULL) == 0)
		lower -= (int64_t)c->lookback_s * 1000;
	int page = 1, walk_pages = 0, walks = 0;
	long long walk_new = 0;
	unsigned char *skip = NULL;
	int rc = 0;

	for (;;) {
		if (stop_requested(c)) {
			rc = cs_err_set(err, CS_EINTR, "stopped by a signal");
			break;
		}
		char filter[64] = "", bound[CS_TIME_BUFSZ];
		if (lower != INT64_MIN) {
			cs_time_format_filter(lower, bound);
			snprintf(filter, sizeof(filter), "updated_at>=%s", bound);
		}
		if ((rc = cs_engine_fetch(c, page, "updated_at,id", filter[0] ? filter : NULL, err)))
			break;
		size_t n = c->page.nrecords;
		free(skip);
		skip = calloc(n ? n : 1, 1);
		if (!skip) {
			rc = cs_err_set(err, CS_ERR, "out of memory");
			break;
		}
		int64_t newest = lower;
		for (size_t i = 0; i < n; i++) {
			int64_t sec = record_second(&c->page.records[i]);
			if (sec != INT64_MIN && sec < lower)
				sec = lower; /* cannot happen with >=; guards a misbehaving server */
			if (sec == INT64_MIN || sec == lower) {
				int added = cs_idset_add(&c->seen, record_id(&c->page.records[i]));
				skip[i] = added == 0;
				walk_new += added == 1;
			}
			if (sec > newest)
				newest = sec;
		}
		if (newest != INT64_MIN)
			cs_time_format(newest, 0, c->state.cursor);
		if ((rc = cs_engine_store_page(c, skip, err)))
			break;

		int last = n < CS_PER_PAGE || c->page.current_page >= c->page.last_page;
		int group_ended = last || newest > lower;
		if (group_ended && walk_pages > 0 && walk_new > 0 && walks < MAX_TIE_WALKS) {
			cs_debug("%s org %lld: re-walking %d pages sharing one second", c->e->name,
				 c->org, walk_pages + 1);
			walks++;
			page = 1;
			walk_pages = 0;
			walk_new = 0;
			continue;
		}
		if (last)
			break;
		if (newest > lower) {
			lower = newest;
			page = 1;
			walk_pages = walks = 0;
			walk_new = 0;
			cs_idset_clear(&c->seen);
			/* Records at the new bound come back on the next page: skip them. */
			for (size_t i = 0; i < n; i++)
				if (record_second(&c->page.records[i]) == lower)
					cs_idset_add(&c->seen, record_id(&c->page.records[i]));
		} else {
			walk_pages++;
			page++;
		}
	}
	free(skip);
	return rc;
}

/* Full: keyset paging on id (filter id>last, sort id). Ids never move, so
 * the walk is stable while records change, and it resumes from the last
 * committed id after a crash. Only a complete walk may soft-delete. */
static int run_full(cs_run_ctx *c, cs_err *err)
{
	char started[CS_TIME_BUFSZ];
	if (!c->state.full_started_at[0] || c->restart_full) {
		cs_time_format(cs_now_ms(), 1, c->state.full_started_at);
		c->state.full_last_id = 0;
	} else {
		cs_info("%s org %lld: resuming the full sync started %s after id %lld", c->e->name,
			c->org, c->state.full_started_at, c->state.full_last_id);
	}
	memcpy(started, c->state.full_started_at, sizeof(started));
	int rc;
	for (;;) {
		if (stop_requested(c))
			return cs_err_set(err, CS_EINTR, "stopped by a signal");
		char filter[64];
		snprintf(filter, sizeof(filter), "id>%lld", c->state.full_last_id);
		if ((rc = cs_engine_fetch(c, 1, "id", c->state.full_last_id ? filter : NULL, err)))
			return rc;
		for (size_t i = 0; i < c->page.nrecords; i++) {
			long long id = record_id(&c->page.records[i]);
			if (id > c->state.full_last_id)
				c->state.full_last_id = id;
		}
		if ((rc = cs_engine_store_page(c, NULL, err)))
			return rc;
		if (c->page.nrecords < CS_PER_PAGE || c->page.current_page >= c->page.last_page)
			break;
	}
	return cs_engine_finish_full(c, started, err);
}

/* Marks absent rows and hands over to incremental in one transaction: the
 * next incremental starts where this scan started, so changes made while it
 * ran are re-read. */
int cs_engine_finish_full(cs_run_ctx *c, const char *started, cs_err *err)
{
	char now[CS_TIME_BUFSZ];
	cs_time_format(cs_now_ms(), 1, now);
	if (c->st->page_begin(c->st, now, err))
		return err->code;
	if (c->st->mark_absent(c->st, c->e, c->org, started, &c->res->marked_deleted, err)) {
		c->st->page_abort(c->st);
		return err->code;
	}
	int64_t start_ms, cur_ms;
	cs_time_parse(started, &start_ms, NULL);
	if (!c->state.cursor[0] || cs_time_parse(c->state.cursor, &cur_ms, NULL) < 0 ||
	    cur_ms < start_ms)
		cs_time_format(start_ms - start_ms % 1000, 0, c->state.cursor);
	c->state.full_started_at[0] = '\0';
	c->state.full_last_id = 0;
	memcpy(c->state.last_full_at, now, sizeof(now));
	if (c->st->page_commit(c->st, &c->state, err)) {
		c->st->page_abort(c->st);
		return err->code;
	}
	return 0;
}

int cs_engine_run(cs_run_ctx *c, cs_err *err)
{
	return c->opts->full ? run_full(c, err) : run_incremental(c, err);
}
