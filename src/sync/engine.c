/* Paging strategies. See docs/ARCHITECTURE.md "Invariants" for the argument
 * behind each rule here. A walk pages one key range of a task (the whole
 * key space when the task is not split); for each page it decides which
 * records to skip, how far the walk got, whether its range is done, and
 * the next query. The fetcher (fetcher.c) sends the queries and hands each
 * page, with the position that accounts for it, to the writer. This file
 * must never write to the store nor send a request: only the writer
 * stores, with the checkpoint that accounts for the rows. */
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

/* A full scan's page: keys past the range's end belong to the next walk. */
static int take_full(cs_sync_walk *w, cs_sync_job *job)
{
	const cs_classy_page *p = &w->page;
	int beyond = 0;
	for (size_t i = 0; i < p->nrecords; i++) {
		long long id = cs_classy_record_id(&p->records[i]);
		if (w->hi != CS_SYNC_KEY_MAX && id > w->hi) {
			job->skip[i] = 1;
			beyond = 1;
		} else if (id > w->last_id) {
			w->last_id = id;
		}
	}
	w->done = beyond || last_page(p);
	job->pos = w->last_id;
	return 0;
}

/* Per page of an incremental walk: which records to skip (already stored at
 * the bound second, or past the range's end), how many ids are new at the
 * bound, the newest second. */
static int classify(cs_sync_walk *w, unsigned char *skip, int64_t *newest, int *beyond)
{
	const cs_classy_page *p = &w->page;
	size_t n = p->nrecords;
	int64_t *secs = malloc((n ? n : 1) * sizeof(*secs));
	if (!secs)
		return CS_ERR;
	*newest = w->lower;
	*beyond = 0;
	for (size_t i = 0; i < n; i++) {
		secs[i] = record_second(&p->records[i]);
		if (w->hi != CS_SYNC_KEY_MAX && secs[i] != INT64_MIN && secs[i] >= w->hi) {
			skip[i] = 1;
			*beyond = 1;
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
		if (secs[i] == *newest)
			cs_idset_add(&w->next_seen, cs_classy_record_id(&p->records[i]));
	free(secs);
	return 0;
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
static int take_incremental(cs_sync_walk *w, cs_sync_job *job)
{
	int64_t newest;
	int beyond;
	if (classify(w, job->skip, &newest, &beyond))
		return CS_ERR;
	int last = last_page(&w->page) || beyond;
	job->pos = newest;

	int group_ended = last || newest > w->lower;
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

int cs_sync_walk_take(cs_sync_walk *w, cs_sync_job *job)
{
	size_t n = w->page.nrecords;
	job->skip = calloc(n ? n : 1, 1);
	if (!job->skip)
		return CS_ERR;
	w->taken += (long long)n;
	w->total = w->page.total;
	w->left = w->page.total - (long)n;
	if (w->first_total < 0)
		w->first_total = w->page.total;
	job->slot = w->slot;
	int rc = w->task->full ? take_full(w, job) : take_incremental(w, job);
	job->range_done = w->done;
	return rc;
}
