/* Paging strategies. See docs/ARCHITECTURE.md "Invariants" for the argument
 * behind each rule here. A walk pages one key range of a task (the whole
 * key space when the task is not split); for each page it decides which
 * records to skip, how far the walk got, whether its range is done, and
 * the next query. The fetcher (fetcher.c) sends the queries and hands each
 * page, with the position that accounts for it, to the writer. This file
 * must never write to the store nor send a request: only the writer
 * stores, with the checkpoint that accounts for the rows.
 *
 * Progress (guard.h): before a page moves its walk, it must be the page
 * asked for. A full walk's ids must all be above its filter's id and
 * ascending, and a page that is not the last must move the walk's last id
 * up; an incremental walk's seconds must honour its bound and ascend, and
 * a page of a walk by page number must not repeat the page before it.
 * Each walk has one request in flight, so its pages are checked in the
 * order they were asked for. Anything else fails the task with the
 * guard's error, marked broken (it ends failed, never partial: asking
 * again would fail the same way).
 *
 * Records the page parser rejected (no whole, positive id: page.c) are
 * never stored, since a row keyed on a wrong id could overwrite another
 * record. Each is named and skipped; the rest of the page is stored and
 * the walk moves past it as for any other record, so one bad record
 * cannot stall every later run. The task then ends partial (writer.c),
 * and a full scan that rejected any marks nothing deleted (fetcher.c). */
#include "sync/engine_int.h"

#include "util/log.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TIE_WALKS 8

void cs_sync_walk_init(cs_sync_walk *w, cs_sync_task *t, int slot, int64_t lo, int64_t hi)
{
	memset(w, 0, sizeof(*w));
	w->task = t;
	w->slot = slot;
	w->lo = lo;
	w->hi = hi;
	w->last_id = lo;
	w->lower = lo;
	w->page_no = 1;
	w->total = w->first_total = -1;
	cs_idset_init(&w->seen);
	cs_idset_init(&w->next_seen);
	cs_classy_page_init(&w->page);
}

void cs_sync_walk_release(cs_sync_walk *w)
{
	cs_idset_release(&w->seen);
	cs_idset_release(&w->next_seen);
	cs_classy_page_release(&w->page);
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

void cs_sync_walk_query(cs_sync_walk *w)
{
	const cs_sync_task *t = w->task;
	w->filter[0] = '\0';
	if (t->full) {
		/* Full: keyset paging on id (filter id>last, sort id). Ids never
		 * move, so the walk is stable while records change. */
		snprintf(w->sort, sizeof(w->sort), "id");
		if (w->last_id)
			snprintf(w->filter, sizeof(w->filter), "id>%lld", w->last_id);
		w->page_no = 1;
	} else {
		snprintf(w->sort, sizeof(w->sort), "updated_at,id");
		if (w->lower != INT64_MIN) {
			char bound[CS_TIME_BUFSZ];
			cs_time_format_filter(w->lower, bound);
			snprintf(w->filter, sizeof(w->filter), "updated_at>=%s", bound);
		}
	}
	w->q = (cs_classy_list_query){t->org, t->e, w->page_no, CS_CLASSY_PER_PAGE, w->sort,
				       w->filter[0] ? w->filter : NULL,
				       t->fields[0] ? t->fields : NULL};
}

static int last_page(const cs_classy_page *p)
{
	return p->nrecords < CS_CLASSY_PER_PAGE || p->current_page >= p->last_page;
}

/* Record i of w's page was rejected by the page parser: named on stderr
 * (with its id as sent, when there is one) and counted in its task; the
 * first is kept for the run's error. */
static void reject(cs_sync_walk *w, size_t i)
{
	cs_sync_task *t = w->task;
	const cs_record *r = &w->page.records[i];
	const cJSON *id = cJSON_IsObject(r->json) ? cJSON_GetObjectItemCaseSensitive(r->json, "id")
						  : NULL;
	char text[48] = "none";
	if (cJSON_IsNumber(id) && id->valuestring)
		snprintf(text, sizeof(text), "%.40s", id->valuestring);
	else if (cJSON_IsString(id))
		snprintf(text, sizeof(text), "\"%.38s\"", id->valuestring);
	else if (id)
		snprintf(text, sizeof(text), "of another type");
	char what[256];
	snprintf(what, sizeof(what), "record %zu of %s page %d (id %s): %s", i + 1,
		 t->full ? "a full scan's" : "an incremental", w->pages, text, r->why);
	cs_logc(CS_LOG_WARN, &t->log, NULL,
		"%s of organization %lld: %s; not stored, the rest of the page is", t->e->name,
		t->org, what);
	if (t->rejected++ == 0)
		memcpy(t->first_reject, what, sizeof(what));
}

/* A full scan's page: keys past the range's end belong to the next walk. */
static int take_full(cs_sync_walk *w, cs_sync_job *job, cs_err *err)
{
	const cs_classy_page *p = &w->page;
	const cs_sync_task *t = w->task;
	long long after = w->last_id; /* the query's filter=id>after */
	int rc = cs_sync_guard_keyset(t->e, t->org, after, p, err);
	if (rc)
		return rc;
	int beyond = 0;
	for (size_t i = 0; i < p->nrecords; i++) {
		long long id = cs_classy_record_id(&p->records[i]);
		if (p->records[i].why) {
			job->skip[i] = 1;
			/* in id order: after a record past the range's end it is
			 * the next walk's to name */
			if (!beyond)
				reject(w, i);
		} else if (w->hi != CS_SYNC_KEY_MAX && id > w->hi) {
			job->skip[i] = 1;
			beyond = 1;
		} else if (id > w->last_id) {
			w->last_id = id;
		}
	}
	int last = last_page(p);
	/* a full page with no valid id (every record rejected) would be asked
	 * for again with the same filter */
	if (!beyond && !last && w->last_id == after)
		return cs_err_set(err, CS_EPROTO,
				  "a full scan of %s of organization %lld cannot move past id %lld: "
				  "the next page has no record with a valid id",
				  t->e->name, t->org, after);
	w->done = beyond || last;
	job->pos = w->last_id;
	return 0;
}

/* Per page of an incremental walk: which records to skip (already stored at
 * the bound second, past the range's end, or rejected), how many ids are
 * new at the bound, the newest second. secs: each record's second. */
static void classify(cs_sync_walk *w, const int64_t *secs, unsigned char *skip, int64_t *newest,
		     int *beyond)
{
	const cs_classy_page *p = &w->page;
	size_t n = p->nrecords;
	*newest = w->lower;
	*beyond = 0;
	for (size_t i = 0; i < n; i++) {
		if (w->hi != CS_SYNC_KEY_MAX && secs[i] != INT64_MIN && secs[i] >= w->hi) {
			skip[i] = 1;
			*beyond = 1;
		} else if (p->records[i].why) {
			skip[i] = 1; /* rejected: its second still counts */
			reject(w, i);
			if (secs[i] != INT64_MIN && secs[i] > *newest)
				*newest = secs[i];
		} else if (secs[i] == INT64_MIN || secs[i] <= w->lower) {
			int added = cs_idset_add(&w->seen, cs_classy_record_id(&p->records[i]));
			skip[i] = added == 0;
			w->fresh += added == 1;
		} else if (secs[i] > *newest) {
			*newest = secs[i];
		}
	}
	/* Records at the newest second come back on the next page: remember them. */
	cs_idset_clear(&w->next_seen);
	for (size_t i = 0; i < n && *newest > w->lower; i++)
		if (secs[i] == *newest && !p->records[i].why)
			cs_idset_add(&w->next_seen, cs_classy_record_id(&p->records[i]));
}

/* Incremental: sort by (updated_at, id) ascending and restart at page 1 with
 * the lower bound moved to the newest second seen, so updates that move
 * records to the end of the order can never shift an unread record onto an
 * already-read page. Only a group of more than one page of records sharing
 * one second needs page numbers; such a group is walked again until a walk
 * finds no id it had not seen, because an update inside the group during the
 * walk can shift an unread member back by one. A bounded walk ends at its
 * range's end second: records from there on are the next walk's, and an
 * update moves a record past every bound, into the last walk's range. */
static int take_incremental(cs_sync_walk *w, cs_sync_job *job, cs_err *err)
{
	const cs_sync_task *t = w->task;
	size_t n = w->page.nrecords;
	int64_t *secs = malloc((n ? n : 1) * sizeof(*secs));
	if (!secs)
		return cs_err_set(err, CS_ERR, "out of memory");
	for (size_t i = 0; i < n; i++)
		secs[i] = record_second(&w->page.records[i]);
	/* progress guard: the page honours the bound, and a page of a walk by
	 * page number is not the page before it again */
	if (w->q.page == 1)
		cs_sync_pageprint_reset(&w->print);
	int rc = cs_sync_guard_window(t->e, t->org, w->lower, secs, &w->page, err);
	if (rc == 0)
		rc = cs_sync_guard_walk(&w->print, t->e, t->org, w->q.page, &w->page, err);
	int64_t newest;
	int beyond;
	if (rc == 0)
		classify(w, secs, job->skip, &newest, &beyond);
	free(secs);
	if (rc)
		return rc;
	int last = last_page(&w->page) || beyond;
	job->pos = newest;

	int group_ended = last || newest > w->lower;
	if (group_ended && w->walk_pages > 0 && w->fresh > 0 && w->walks == MAX_TIE_WALKS)
		cs_logc(CS_LOG_WARN, &t->log, NULL,
			"%s org %lld: the records sharing one second kept changing during %d "
			"walks; moving on (a full sync re-reads them)",
			t->e->name, t->org, MAX_TIE_WALKS + 1);
	if (group_ended && w->walk_pages > 0 && w->fresh > 0 && w->walks < MAX_TIE_WALKS) {
		cs_debug("%s org %lld: walking again the %d pages that share one second",
			 w->task->e->name, w->task->org, w->walk_pages + 1);
		w->walks++;
		w->page_no = 1;
		w->walk_pages = 0;
		w->fresh = 0;
	} else if (last) {
		w->done = 1;
	} else if (newest > w->lower) {
		w->lower = newest;
		w->page_no = 1;
		w->walk_pages = w->walks = 0;
		w->fresh = 0;
		cs_idset tmp = w->seen;
		w->seen = w->next_seen;
		w->next_seen = tmp;
	} else {
		w->walk_pages++;
		w->page_no++;
	}
	return 0;
}

int cs_sync_walk_take(cs_sync_walk *w, cs_sync_job *job, cs_err *err)
{
	size_t n = w->page.nrecords;
	job->skip = calloc(n ? n : 1, 1);
	if (!job->skip)
		return cs_err_set(err, CS_ERR, "out of memory");
	w->pages++;
	w->taken += (long long)n;
	w->total = w->page.total;
	w->left = w->page.total - (long)n;
	if (w->first_total < 0)
		w->first_total = w->page.total;
	job->slot = w->slot;
	int rc = w->task->full ? take_full(w, job, err) : take_incremental(w, job, err);
	if (rc == CS_EPROTO)
		w->task->broken = 1; /* the API broke the paging contract */
	job->range_done = w->done;
	return rc;
}
