/* The write hot path: one transaction per page of records (or a batch of
 * whole pages), one upsert statement per entity generated from the entity
 * table, each record converted to a row by sql_row.c. SQLite writes a row
 * at a time through a kept statement (no round trip to save); the server
 * products collect a batch of rows and write it with one multi-row upsert,
 * as their dialect asks (batch_rows). A page's rows and its sync_state row
 * commit together or not at all: this file must never commit rows without
 * their cursor, or a cursor without its rows, and every batch is written
 * before the cursor that accounts for it. */
#include "store/sql/sqlrow.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BATCH 200

/* Rows waiting for their multi-row upsert (server products). */
struct cs_sql_batch {
	const cs_entity *e;
	long long org;
	cs_sql_rowbuf rows;
	long long supporters[MAX_BATCH];
	int nsup;
};

static int batch_size(const cs_sql_store *s)
{
	int n = s->c->dia->batch_rows;
	return n < 1 ? 1 : n > MAX_BATCH ? MAX_BATCH : n;
}

/* --- upsert statements, generated from the entity table --- */

/* The columns of an entity's upsert, in row order (sqlrow.h). */
static int upsert_cols(const cs_entity *e, const char **cols)
{
	int n = 0;
	cols[n++] = "id";
	cols[n++] = "organization_id";
	for (size_t i = 0; i < e->ncolumns; i++)
		cols[n++] = e->columns[i].name;
	cols[n++] = "raw_json";
	cols[n++] = "synced_at";
	cols[n++] = "deleted_at"; /* bound NULL: a row seen again is live */
	size_t ncents = 0;
	const cs_sql_added_col *cc = cs_sql_cents_cols(e->id, &ncents);
	for (size_t i = 0; i < ncents; i++)
		cols[n++] = cc[i].col.name;
	return n;
}

/* The upsert of an entity's rows. A stored row is updated only when the
 * incoming updated_at is not older than its own (pages may arrive out of
 * order, and several workers may write); synced_at and deleted_at are
 * refreshed either way, because the record was seen. */
static cs_sql_upsert upsert_spec(const cs_entity *e, const char **cols)
{
	int n = upsert_cols(e, cols);
	int guarded = cs_entity_column_index(e, "updated_at") >= 0;
	return (cs_sql_upsert){e->name, cols, n, 1, 0, NULL, NULL, 1,
			       guarded ? "updated_at" : NULL, "synced_at,deleted_at"};
}

/* SQLite's one-row statement, kept per entity. */
static int prepare_upsert(cs_sql_store *s, const cs_entity *e, cs_err *err)
{
	const char *cols[CS_SQL_ROW_MAX];
	cs_buf b = CS_BUF_INIT;
	char what[96];
	size_t ncents = 0;
	cs_sql_cents_cols(e->id, &ncents);
	if (CS_SQL_ROW_COL((int)e->ncolumns) + 3 + (int)ncents > CS_SQL_ROW_MAX)
		return cs_err_set(err, CS_ERR, "entity '%s' has too many columns", e->name);
	cs_sql_upsert u = upsert_spec(e, cols);
	if (cs_sql_upsert_text(s->c->dia, &u, &b)) {
		cs_buf_release(&b);
		return cs_err_set(err, CS_ERR, "cannot build the '%s' upsert: out of memory",
				  e->name);
	}
	snprintf(what, sizeof(what), "prepare the '%s' upsert", e->name);
	int rc = cs_sql_prepare_kept(s->c, cs_buf_str(&b), what, &s->upsert[e->id], err);
	/* from now on a failure is the write's (the caller names the record) */
	if (rc == 0)
		s->upsert[e->id]->what = "write the record";
	cs_buf_release(&b);
	return rc;
}

/* --- the aggregate queue --- */

static int enqueue(cs_sql_store *s, long long org, long long supporter, cs_err *err)
{
	int rc;
	if (!s->enqueue &&
	    (rc = cs_sql_prepare_kept(s->c,
				      "@insert_ignore INTO aggregate_queue (organization_id, "
				      "supporter_id) VALUES (?1, ?2)@ignore_conflicts",
				      "queue a supporter for aggregates", &s->enqueue, err)) < 0)
		return rc;
	cs_sql_bind_int(s->enqueue, 1, org);
	cs_sql_bind_int(s->enqueue, 2, supporter);
	rc = cs_sql_step(s->enqueue, err);
	cs_sql_reset(s->enqueue);
	return rc < 0 ? rc : 0;
}

static int cmp_id(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* The statement that queues a batch's supporters: (?1, ?2), (?1, ?3), ...
 * as many as a batch holds rows, prepared once (a batch of fewer repeats
 * its last supporter: the duplicates are ignored). */
static int prepare_enqueue_batch(cs_sql_store *s, cs_err *err)
{
	cs_buf sql = CS_BUF_INIT;
	int bad = cs_buf_puts(&sql, "@insert_ignore INTO aggregate_queue (organization_id, "
				    "supporter_id) VALUES ");
	for (int i = 0; i < batch_size(s); i++)
		bad |= cs_buf_printf(&sql, "%s(?1, ?%d)", i ? ", " : "", i + 2);
	bad |= cs_buf_puts(&sql, "@ignore_conflicts");
	int rc = bad ? cs_err_set(err, CS_ERR, "cannot queue supporters: out of memory")
		     : cs_sql_prepare_kept(s->c, cs_buf_str(&sql), "queue supporters for aggregates",
					   &s->enqueue_batch, err);
	cs_buf_release(&sql);
	return rc;
}

/* The batch's supporters in one statement. Sorted and once each: two
 * workers queueing the same supporters then take their locks in the same
 * order, and cannot deadlock. */
static int enqueue_batch(cs_sql_store *s, struct cs_sql_batch *bt, cs_err *err)
{
	int rc = 0;
	if (bt->nsup == 0)
		return 0;
	if (!s->enqueue_batch && (rc = prepare_enqueue_batch(s, err)) < 0)
		return rc;
	qsort(bt->supporters, (size_t)bt->nsup, sizeof(*bt->supporters), cmp_id);
	int n = 1;
	for (int i = 1; i < bt->nsup; i++)
		if (bt->supporters[i] != bt->supporters[n - 1])
			bt->supporters[n++] = bt->supporters[i];
	/* more supporters than rows when records were replaced in the batch */
	cs_sql_stmt *st = s->enqueue_batch;
	int cap = batch_size(s);
	for (int from = 0; rc >= 0 && from < n; from += cap) {
		int last = from + cap < n ? from + cap - 1 : n - 1;
		cs_sql_bind_int(st, 1, bt->org);
		for (int i = 0; i < cap; i++)
			cs_sql_bind_int(st, i + 2, bt->supporters[from + i < last ? from + i : last]);
		rc = cs_sql_step(st, err);
		cs_sql_reset(st);
	}
	bt->nsup = 0;
	return rc < 0 ? rc : 0;
}

/* --- batches (server products) --- */

static void batch_clear(struct cs_sql_batch *bt)
{
	cs_sql_rowbuf_clear(&bt->rows);
	bt->nsup = 0;
	bt->e = NULL;
}

/* Writes the rows waiting, then their supporters' queue entries. */
static int batch_flush(cs_sql_store *s, cs_err *err)
{
	struct cs_sql_batch *bt = s->batch;
	const char *cols[CS_SQL_ROW_MAX];
	if (!bt || bt->rows.rows == 0) {
		if (bt)
			batch_clear(bt);
		return 0;
	}
	cs_sql_upsert u = upsert_spec(bt->e, cols);
	int rc = cs_sql_rowbuf_upsert(s->c, &u, &bt->rows, &s->upsert[bt->e->id],
				      "write a batch of records", err);
	if (rc == 0)
		rc = enqueue_batch(s, bt, err);
	batch_clear(bt);
	return rc;
}

/* Copies a row into the batch; a record already in it is replaced (one
 * statement may not touch one key twice). */
static int batch_add(cs_sql_store *s, const cs_entity *e, long long org, const cs_sql_row *r,
		     cs_err *err)
{
	struct cs_sql_batch *bt = s->batch;
	int rc = 0;
	if (bt->rows.rows && (bt->e != e || bt->org != org))
		rc = batch_flush(s, err);
	if (rc)
		return rc;
	bt->e = e;
	bt->org = org;
	bt->rows.ncols = r->n;
	if (cs_sql_rowbuf_put(&bt->rows, cs_sql_rowbuf_find(&bt->rows, r->id), r->id, r->v))
		return cs_err_set(err, CS_ERR, "cannot batch records: out of memory");
	if (r->supporter >= 0)
		bt->supporters[bt->nsup++] = r->supporter;
	/* full of rows, or of supporters (replaced records add some, not rows) */
	return bt->rows.rows == bt->rows.cap || bt->nsup == MAX_BATCH ? batch_flush(s, err) : 0;
}

/* --- the page transaction --- */

void cs_sql_store_drop_cached(cs_sql_store *s)
{
	for (size_t i = 0; i < CS_ENT_COUNT; i++) {
		cs_sql_finalize(s->upsert[i]);
		s->upsert[i] = NULL;
	}
	cs_sql_finalize(s->enqueue);
	s->enqueue = NULL;
	cs_sql_finalize(s->enqueue_batch);
	s->enqueue_batch = NULL;
	cs_sql_finalize(s->state);
	s->state = NULL;
	if (s->batch) {
		cs_sql_rowbuf_release(&s->batch->rows);
		free(s->batch);
		s->batch = NULL;
	}
}

int cs_sql_page_begin(cs_store *st, const char *synced_at, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	if (s->in_page)
		return cs_err_set(err, CS_ERR, "cannot begin a page in database '%s': a page is "
					       "already in progress", s->c->name);
	if (batch_size(s) > 1 && !s->batch) {
		if (!(s->batch = calloc(1, sizeof(*s->batch))) ||
		    cs_sql_rowbuf_init(&s->batch->rows, CS_SQL_ROW_MAX, batch_size(s))) {
			free(s->batch);
			s->batch = NULL;
			return cs_err_set(err, CS_ERR, "cannot begin a page: out of memory");
		}
	}
	int rc = cs_sql_begin(s->c, 1, "begin a page", err);
	if (rc < 0)
		return rc;
	if (synced_at && *synced_at)
		snprintf(s->synced_at, sizeof(s->synced_at), "%s", synced_at);
	else
		cs_sql_now(s->synced_at);
	s->in_page = 1;
	return 0;
}

/* SQLite: the row goes out at once through the entity's kept statement. */
static int write_row(cs_sql_store *s, const cs_entity *e, long long org, const cs_sql_row *r,
		     cs_err *err)
{
	int rc = 0;
	if (!s->upsert[e->id])
		rc = prepare_upsert(s, e, err);
	if (rc)
		return rc;
	cs_sql_stmt *q = s->upsert[e->id];
	cs_sql_clear(q);
	if (cs_sql_bind_all(q, r->v, r->n))
		rc = cs_err_set(err, CS_ERR, "cannot write the record in database '%s': out of "
					     "memory", s->c->name);
	else if ((rc = cs_sql_step(q, err)) > 0)
		rc = 0;
	cs_sql_reset(q);
	if (rc == 0 && r->supporter >= 0)
		rc = enqueue(s, org, r->supporter, err);
	return rc;
}

int cs_sql_page_upsert(cs_store *st, const cs_entity *e, long long org, const cs_record *rec,
		       cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	cs_sql_row r;
	if (!s->in_page)
		return cs_err_set(err, CS_ERR, "cannot store a '%s' record: no page is in progress",
				  e->name);
	int rc = cs_sql_row_from_record(s, e, org, rec, &r, err);
	if (rc < 0)
		return rc;
	rc = s->batch ? batch_add(s, e, org, &r, err) : write_row(s, e, org, &r, err);
	cs_sql_row_release(&r);
	return rc;
}

/* The sync_state upsert, prepared once. */
static int prepare_state(cs_sql_store *s, cs_err *err)
{
	static const char *const cols[] = {"organization_id", "entity",       "cursor",
					   "lookback_s",      "full_last_id", "full_started_at",
					   "last_full_at",    "updated_at"};
	cs_buf b = CS_BUF_INIT;
	cs_sql_upsert u = {"sync_state", cols, 8, 2, 0, NULL, NULL, 0, NULL, NULL};
	int rc = cs_sql_upsert_text(s->c->dia, &u, &b)
			 ? cs_err_set(err, CS_ERR, "cannot save sync state: out of memory")
			 : cs_sql_prepare_kept(s->c, cs_buf_str(&b), "save sync state", &s->state, err);
	cs_buf_release(&b);
	return rc;
}

static int write_state(cs_sql_store *s, const cs_sync_state *state, cs_err *err)
{
	char now[32];
	int rc = 0;
	if (state->entity < 0 || state->entity >= CS_ENT_COUNT)
		return cs_err_set(err, CS_ERR, "cannot save sync state: unknown entity %d",
				  state->entity);
	if (!s->state && (rc = prepare_state(s, err)) < 0)
		return rc;
	cs_sql_now(now);
	const cs_sql_val v[] = {CS_V_INT(state->org_id), CS_V_TEXT(cs_entities[state->entity].name),
				CS_V_TIME(state->cursor),  CS_V_INT(state->lookback_s),
				CS_V_INT(state->full_last_id), CS_V_TIME(state->full_started_at),
				CS_V_TIME(state->last_full_at), CS_V_TIME(now)};
	cs_sql_clear(s->state);
	if (cs_sql_bind_all(s->state, v, 8))
		rc = cs_err_set(err, CS_ERR, "cannot save sync state: out of memory");
	else if ((rc = cs_sql_step(s->state, err)) > 0)
		rc = 0;
	cs_sql_reset(s->state);
	return rc;
}

int cs_sql_page_commit(cs_store *st, const cs_sync_state *state, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	if (!s->in_page)
		return cs_err_set(err, CS_ERR, "cannot commit a page in database '%s': no page is "
					       "in progress", s->c->name);
	int rc = batch_flush(s, err);
	if (rc == 0 && state)
		rc = write_state(s, state, err);
	/* A failed page leaves nothing behind: rows and cursor go together. */
	rc = cs_sql_end(s->c, rc, "commit a page", err);
	s->in_page = 0;
	return rc;
}

void cs_sql_page_abort(cs_store *st)
{
	cs_sql_store *s = (cs_sql_store *)st;
	if (!s->in_page)
		return;
	if (s->batch)
		batch_clear(s->batch);
	cs_sql_rollback(s->c);
	s->in_page = 0;
}

int cs_sql_has_rows(cs_sql_store *s, cs_has_rows *h, cs_err *err)
{
	char sql[160];
	long long any = 0;
	if (h->entity < 0 || h->entity >= CS_ENT_COUNT)
		return cs_err_set(err, CS_ERR, "cannot look for rows: unknown entity %d", h->entity);
	snprintf(sql, sizeof(sql), "SELECT 1 FROM \"%s\" WHERE organization_id = ?1 LIMIT 1",
		 cs_entities[h->entity].name);
	int rc = cs_sql_query_int(s->c, sql, "look for rows", CS_SQL_ARGS(CS_V_INT(h->org_id)), &any,
				  NULL, err);
	h->any = rc == 0 && any == 1;
	return rc;
}

int cs_sql_mark_absent(cs_store *st, const cs_entity *e, long long org, const char *since,
		       long long *marked, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	char sql[320], now[32];
	*marked = 0;
	if (!since || !*since)
		return cs_err_set(err, CS_ERR, "cannot mark absent '%s' rows: no scan start given",
				  e->name);
	/* A gift or plan that disappears changes its supporter's figures:
	 * queue them, in the same transaction, before the rows are marked. */
	if (e->supporter_ref && strcmp(e->supporter_ref, "id") != 0) {
		snprintf(sql, sizeof(sql),
			 "@insert_ignore INTO aggregate_queue (organization_id, supporter_id)"
			 " SELECT organization_id, \"%s\" FROM \"%s\" WHERE organization_id = ?1"
			 " AND synced_at < ?2 AND deleted_at IS NULL AND \"%s\" IS NOT NULL"
			 "@ignore_conflicts",
			 e->supporter_ref, e->name, e->supporter_ref);
		int rc = cs_sql_exec(s->c, sql, "queue the supporters of absent rows",
				     CS_SQL_ARGS(CS_V_INT(org), CS_V_TIME(since)), NULL, err);
		if (rc < 0)
			return rc;
	}
	snprintf(sql, sizeof(sql),
		 "UPDATE \"%s\" SET deleted_at = ?1 WHERE organization_id = ?2 AND synced_at < ?3 "
		 "AND deleted_at IS NULL",
		 e->name);
	cs_sql_now(now);
	return cs_sql_exec(s->c, sql, "mark absent rows",
			   CS_SQL_ARGS(CS_V_TIME(now), CS_V_INT(org), CS_V_TIME(since)), marked, err);
}
