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

/* Rows waiting for their multi-row upsert. Text values are copied into
 * `text` (offsets in off[]), because the records they came from may be gone
 * before the batch is written. */
struct cs_sql_batch {
	const cs_entity *e;
	long long org;
	int rows, ncols;
	long long ids[MAX_BATCH];
	cs_sql_val v[MAX_BATCH * CS_SQL_ROW_MAX];
	size_t off[MAX_BATCH * CS_SQL_ROW_MAX];
	cs_buf text;
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
	return n;
}

/* The upsert of `rows` rows. A stored row is updated only when the incoming
 * updated_at is not older than its own (pages may arrive out of order, and
 * several workers may write); synced_at and deleted_at are refreshed either
 * way, because the record was seen. */
static int prepare_upsert(cs_sql_store *s, const cs_entity *e, int rows, int kept,
			  cs_sql_stmt **out, cs_err *err)
{
	const char *cols[CS_SQL_ROW_MAX];
	cs_buf b = CS_BUF_INIT;
	char what[96];
	if (CS_SQL_ROW_COL((int)e->ncolumns) + 3 > CS_SQL_ROW_MAX)
		return cs_err_set(err, CS_ERR, "entity '%s' has too many columns", e->name);
	int n = upsert_cols(e, cols);
	int guarded = cs_entity_column_index(e, "updated_at") >= 0;
	cs_sql_upsert u = {e->name, cols, n, 1, 0, NULL, NULL, rows,
			   guarded ? "updated_at" : NULL, "synced_at,deleted_at"};
	if (cs_sql_upsert_text(s->c->dia, &u, &b)) {
		cs_buf_release(&b);
		return cs_err_set(err, CS_ERR, "cannot build the '%s' upsert: out of memory",
				  e->name);
	}
	snprintf(what, sizeof(what), "prepare the '%s' upsert", e->name);
	int rc = kept ? cs_sql_prepare_kept(s->c, cs_buf_str(&b), what, out, err)
		      : cs_sql_prepare(s->c, cs_buf_str(&b), what, out, err);
	/* from now on a failure is the write's (the caller names the record) */
	if (rc == 0)
		(*out)->what = rows > 1 ? "write a batch of records" : "write the record";
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

/* The batch's supporters in one statement: (?1, ?2), (?1, ?3), ... */
static int enqueue_batch(cs_sql_store *s, struct cs_sql_batch *bt, cs_err *err)
{
	cs_buf sql = CS_BUF_INIT;
	cs_sql_stmt *st = NULL;
	if (bt->nsup == 0)
		return 0;
	int bad = cs_buf_puts(&sql, "@insert_ignore INTO aggregate_queue (organization_id, "
				    "supporter_id) VALUES ");
	for (int i = 0; i < bt->nsup; i++)
		bad |= cs_buf_printf(&sql, "%s(?1, ?%d)", i ? ", " : "", i + 2);
	bad |= cs_buf_puts(&sql, "@ignore_conflicts");
	int rc = bad ? cs_err_set(err, CS_ERR, "cannot queue supporters: out of memory")
		     : cs_sql_prepare(s->c, cs_buf_str(&sql), "queue supporters for aggregates",
				      &st, err);
	if (rc == 0) {
		cs_sql_bind_int(st, 1, bt->org);
		for (int i = 0; i < bt->nsup; i++)
			cs_sql_bind_int(st, i + 2, bt->supporters[i]);
		rc = cs_sql_step(st, err);
	}
	cs_sql_finalize(st);
	cs_buf_release(&sql);
	bt->nsup = 0;
	return rc < 0 ? rc : 0;
}

/* --- batches (server products) --- */

static void batch_clear(struct cs_sql_batch *bt)
{
	bt->rows = bt->nsup = 0;
	bt->e = NULL;
	cs_buf_reset(&bt->text);
}

/* Writes the rows waiting, then their supporters' queue entries. */
static int batch_flush(cs_sql_store *s, cs_err *err)
{
	struct cs_sql_batch *bt = s->batch;
	cs_sql_stmt *st = NULL;
	if (!bt || bt->rows == 0) {
		if (bt)
			batch_clear(bt);
		return 0;
	}
	int full = bt->rows == batch_size(s), rc = 0;
	if (full && !s->upsert[bt->e->id])
		rc = prepare_upsert(s, bt->e, bt->rows, 1, &s->upsert[bt->e->id], err);
	else if (!full)
		rc = prepare_upsert(s, bt->e, bt->rows, 0, &st, err);
	cs_sql_stmt *q = full ? s->upsert[bt->e->id] : st;
	for (int r = 0; rc == 0 && r < bt->rows; r++) {
		cs_sql_val *v = &bt->v[r * bt->ncols];
		for (int k = 0; k < bt->ncols; k++)
			if (v[k].kind == CS_SQL_TEXT || v[k].kind == CS_SQL_TIME)
				v[k].s = bt->text.data + bt->off[r * bt->ncols + k];
		if (cs_sql_bind_vals(q, r * bt->ncols + 1, v, bt->ncols))
			rc = cs_err_set(err, CS_ERR, "cannot write a batch of records: out of memory");
	}
	if (rc == 0 && (rc = cs_sql_step(q, err)) >= 0)
		rc = enqueue_batch(s, bt, err);
	if (q)
		cs_sql_reset(q);
	cs_sql_finalize(st);
	batch_clear(bt);
	return rc < 0 ? rc : 0;
}

/* Copies a row into the batch; a record already in it is replaced (one
 * statement may not touch one key twice). */
static int batch_add(cs_sql_store *s, const cs_entity *e, long long org, const cs_sql_row *r,
		     cs_err *err)
{
	struct cs_sql_batch *bt = s->batch;
	int rc = 0;
	if (bt->rows && (bt->e != e || bt->org != org))
		rc = batch_flush(s, err);
	if (rc)
		return rc;
	int row = 0;
	while (row < bt->rows && bt->ids[row] != r->id)
		row++;
	bt->e = e;
	bt->org = org;
	bt->ncols = r->n;
	bt->ids[row] = r->id;
	for (int k = 0; k < r->n; k++) {
		cs_sql_val v = r->v[k];
		size_t i = (size_t)row * r->n + k;
		if (v.kind == CS_SQL_TEXT || v.kind == CS_SQL_TIME) {
			size_t len = v.kind == CS_SQL_TEXT && v.i > 0 ? (size_t)v.i : strlen(v.s);
			bt->off[i] = bt->text.len;
			if (cs_buf_append(&bt->text, v.s, len) || cs_buf_append(&bt->text, "", 1))
				return cs_err_set(err, CS_ERR, "cannot batch records: out of memory");
			v.i = v.kind == CS_SQL_TEXT ? (long long)len : 0;
		}
		bt->v[i] = v;
	}
	if (row == bt->rows)
		bt->rows++;
	if (r->supporter >= 0 && bt->nsup < MAX_BATCH)
		bt->supporters[bt->nsup++] = r->supporter;
	return bt->rows == batch_size(s) ? batch_flush(s, err) : 0;
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
	if (s->batch) {
		cs_buf_release(&s->batch->text);
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
		if (!(s->batch = calloc(1, sizeof(*s->batch))))
			return cs_err_set(err, CS_ERR, "cannot begin a page: out of memory");
		cs_buf_init(&s->batch->text, 0);
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
		rc = prepare_upsert(s, e, 1, 1, &s->upsert[e->id], err);
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

static int write_state(cs_sql_store *s, const cs_sync_state *state, cs_err *err)
{
	static const char *const cols[] = {"organization_id", "entity",       "cursor",
					   "lookback_s",      "full_last_id", "full_started_at",
					   "last_full_at",    "updated_at"};
	cs_buf b = CS_BUF_INIT;
	char now[32];
	if (state->entity < 0 || state->entity >= CS_ENT_COUNT)
		return cs_err_set(err, CS_ERR, "cannot save sync state: unknown entity %d",
				  state->entity);
	cs_sql_upsert u = {"sync_state", cols, 8, 2, 0, NULL, NULL, 0, NULL, NULL};
	if (cs_sql_upsert_text(s->c->dia, &u, &b)) {
		cs_buf_release(&b);
		return cs_err_set(err, CS_ERR, "cannot save sync state: out of memory");
	}
	cs_sql_now(now);
	int rc = cs_sql_exec(s->c, cs_buf_str(&b), "save sync state",
			     CS_SQL_ARGS(CS_V_INT(state->org_id),
					 CS_V_TEXT(cs_entities[state->entity].name),
					 CS_V_TIME(state->cursor), CS_V_INT(state->lookback_s),
					 CS_V_INT(state->full_last_id), CS_V_TIME(state->full_started_at),
					 CS_V_TIME(state->last_full_at), CS_V_TIME(now)),
			     NULL, err);
	cs_buf_release(&b);
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

int cs_sql_mark_absent(cs_store *st, const cs_entity *e, long long org, const char *since,
		       long long *marked, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	char sql[192], now[32];
	*marked = 0;
	if (!since || !*since)
		return cs_err_set(err, CS_ERR, "cannot mark absent '%s' rows: no scan start given",
				  e->name);
	snprintf(sql, sizeof(sql),
		 "UPDATE \"%s\" SET deleted_at = ?1 WHERE organization_id = ?2 AND synced_at < ?3 "
		 "AND deleted_at IS NULL",
		 e->name);
	cs_sql_now(now);
	return cs_sql_exec(s->c, sql, "mark absent rows",
			   CS_SQL_ARGS(CS_V_TIME(now), CS_V_INT(org), CS_V_TIME(since)), marked, err);
}
