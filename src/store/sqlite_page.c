/* The write hot path: one transaction per page of records, one prepared
 * upsert per entity built from the entity table, and a single walk over each
 * record's fields. */
#include "store/sqlite_ops.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/money.h"
#include "util/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BAD_VALUE (-1) /* a binder's "unparsable: leave the column NULL" */
#define SCRATCH 64     /* room for a normalised time or a printed number */
#define MAX_COLS 64
/* Parameter layout of the upsert: ?1 id, ?2 organization_id, then the
 * mirrored columns in entity order, then raw_json and synced_at. */
#define PARAM(col) ((col) + 3)
#define COL(param) ((param) - 3)

/* Per-row state shared by the binders. Text they produce lives in scratch
 * until the statement has stepped, so it is bound without copying. */
typedef struct bind_ctx {
	sqlite3_stmt *st;
	long long ival; /* the last integer bound, for the supporter reference */
	char scratch[MAX_COLS][SCRATCH];
} bind_ctx;

/* --- upsert statement, generated from the entity table --- */

static int upsert_sql(cs_buf *b, const cs_entity *e)
{
	size_t n = e->ncolumns;
	int bad = cs_buf_printf(b, "INSERT INTO \"%s\" (id, organization_id", e->name);
	for (size_t i = 0; i < n; i++)
		bad |= cs_buf_printf(b, ", \"%s\"", e->columns[i].name);
	bad |= cs_buf_puts(b, ", raw_json, synced_at, deleted_at) VALUES (?1, ?2");
	for (size_t i = 0; i < n + 2; i++)
		bad |= cs_buf_printf(b, ", ?%d", PARAM((int)i));
	bad |= cs_buf_puts(b, ", NULL) ON CONFLICT (id) DO UPDATE SET ");
	for (size_t i = 0; i < n; i++)
		bad |= cs_buf_printf(b, "\"%s\" = excluded.\"%s\", ", e->columns[i].name,
				     e->columns[i].name);
	bad |= cs_buf_puts(b, "organization_id = excluded.organization_id, raw_json = "
			      "excluded.raw_json, synced_at = excluded.synced_at, deleted_at = NULL");
	return bad;
}

static int prepare_upsert(cs_sqlite *s, const cs_entity *e, cs_err *err)
{
	cs_buf b = CS_BUF_INIT;
	char what[96];
	int rc;
	if (e->ncolumns > MAX_COLS)
		return cs_err_set(err, CS_ERR, "entity '%s' has more than %d columns", e->name,
				  MAX_COLS);
	if (upsert_sql(&b, e)) {
		rc = cs_err_set(err, CS_ERR, "cannot build the '%s' upsert: out of memory", e->name);
		goto out;
	}
	rc = sqlite3_prepare_v3(s->db, cs_buf_str(&b), -1, SQLITE_PREPARE_PERSISTENT,
				&s->upsert[e->id], NULL);
	if (rc != SQLITE_OK) {
		s->upsert[e->id] = NULL;
		snprintf(what, sizeof(what), "prepare the '%s' upsert", e->name);
		rc = cs_sqlite_fail(s, rc, what, err);
	}
out:
	cs_buf_release(&b);
	return rc;
}

/* --- JSON value to column, one binder per column type --- */

static int json_int(const cJSON *v, long long *out)
{
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		/* Range first: converting an out-of-range double is undefined. */
		if (!(d >= -9.2e18 && d <= 9.2e18) || d != (double)(long long)d)
			return -1;
		*out = (long long)d;
		return 0;
	}
	if (cJSON_IsString(v) && v->valuestring[0]) {
		char *end;
		errno = 0;
		long long x = strtoll(v->valuestring, &end, 10);
		if (errno || *end || v->valuestring[0] == ' ')
			return -1;
		*out = x;
		return 0;
	}
	return -1;
}

static int bind_int(bind_ctx *c, int p, const cJSON *v)
{
	if (json_int(v, &c->ival))
		return BAD_VALUE;
	return sqlite3_bind_int64(c->st, p, c->ival);
}

static int bind_text(bind_ctx *c, int p, const cJSON *v)
{
	if (cJSON_IsString(v))
		return sqlite3_bind_text(c->st, p, v->valuestring, -1, SQLITE_STATIC);
	if (cJSON_IsBool(v))
		return sqlite3_bind_text(c->st, p, cJSON_IsTrue(v) ? "true" : "false", -1,
					 SQLITE_STATIC);
	if (cJSON_IsNumber(v)) {
		char *buf = c->scratch[COL(p)];
		if (!cJSON_PrintPreallocated((cJSON *)v, buf, SCRATCH, 0))
			return BAD_VALUE;
		return sqlite3_bind_text(c->st, p, buf, -1, SQLITE_STATIC);
	}
	char *json = cJSON_PrintUnformatted(v); /* objects and arrays */
	if (!json)
		return SQLITE_NOMEM;
	return sqlite3_bind_text(c->st, p, json, -1, cJSON_free);
}

static const char *const true_words[] = {"true", "1", "t"};
static const char *const false_words[] = {"false", "0", "f"};

static int bind_bool(bind_ctx *c, int p, const cJSON *v)
{
	int b = -1;
	if (cJSON_IsBool(v))
		b = cJSON_IsTrue(v);
	else if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1))
		b = v->valuedouble == 1;
	else if (cJSON_IsString(v))
		for (size_t i = 0; b < 0 && i < sizeof(true_words) / sizeof(*true_words); i++)
			b = !strcasecmp(v->valuestring, true_words[i])    ? 1
			    : !strcasecmp(v->valuestring, false_words[i]) ? 0
									   : -1;
	return b < 0 ? BAD_VALUE : sqlite3_bind_int(c->st, p, b);
}

static int bind_money(bind_ctx *c, int p, const cJSON *v)
{
	cs_money m;
	int rc = -1;
	if (cJSON_IsNumber(v))
		rc = cs_money_from_double(v->valuedouble, &m);
	else if (cJSON_IsString(v))
		rc = cs_money_parse(v->valuestring, &m);
	return rc ? BAD_VALUE : sqlite3_bind_double(c->st, p, cs_money_to_double(m));
}

static int bind_time(bind_ctx *c, int p, const cJSON *v)
{
	char *buf = c->scratch[COL(p)];
	if (!cJSON_IsString(v) || cs_time_normalize(v->valuestring, buf) < 0)
		return BAD_VALUE;
	return sqlite3_bind_text(c->st, p, buf, -1, SQLITE_STATIC);
}

/* The UTC calendar date of whatever form arrived. */
static int bind_date(bind_ctx *c, int p, const cJSON *v)
{
	char *buf = c->scratch[COL(p)];
	if (!cJSON_IsString(v) || cs_time_normalize(v->valuestring, buf) < 0)
		return BAD_VALUE;
	return sqlite3_bind_text(c->st, p, buf, 10, SQLITE_STATIC);
}

static const struct {
	int (*bind)(bind_ctx *c, int p, const cJSON *v);
	const char *what; /* for the debug log */
} binders[] = {
	[CS_COL_INT] = {bind_int, "an integer"},   [CS_COL_TEXT] = {bind_text, "text"},
	[CS_COL_BOOL] = {bind_bool, "a boolean"},  [CS_COL_MONEY] = {bind_money, "an amount"},
	[CS_COL_TIME] = {bind_time, "a datetime"}, [CS_COL_DATE] = {bind_date, "a date"},
};

/* --- the page transaction --- */

int cs_sqlite_page_begin(cs_store *st, const char *synced_at, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	if (s->in_page)
		return cs_err_set(err, CS_ERR, "cannot begin a page in database '%s': a page is "
					       "already in progress", s->path);
	/* IMMEDIATE takes the write lock now, so a conflict shows up before any
	 * work is done rather than at COMMIT. */
	int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return cs_sqlite_fail(s, rc, "begin a page", err);
	if (synced_at && *synced_at)
		snprintf(s->synced_at, sizeof(s->synced_at), "%s", synced_at);
	else
		cs_sqlite_now(s->synced_at);
	s->in_page = 1;
	return 0;
}

static int enqueue(cs_sqlite *s, long long org, long long supporter, cs_err *err)
{
	int rc;
	if (!s->enqueue &&
	    (rc = cs_sqlite_prepare(s,
				    "INSERT OR IGNORE INTO aggregate_queue (organization_id, "
				    "supporter_id) VALUES (?1, ?2)",
				    &s->enqueue, "queue a supporter for aggregates", err)) < 0)
		return rc;
	sqlite3_bind_int64(s->enqueue, 1, org);
	sqlite3_bind_int64(s->enqueue, 2, supporter);
	rc = sqlite3_step(s->enqueue);
	sqlite3_reset(s->enqueue);
	return rc == SQLITE_DONE ? 0 : cs_sqlite_fail(s, rc, "queue a supporter for aggregates", err);
}

/* Column of the field at position pos of a record, through the memo. */
static int field_column(cs_sqlite *s, const cs_entity *e, size_t pos, const char *key)
{
	size_t n = sizeof(s->field_memo[0]) / sizeof(s->field_memo[0][0]);
	if (pos >= n || !key[0]) /* an empty memo slot must never match */
		return cs_entity_column_index(e, key);
	struct cs_field_memo *m = &s->field_memo[e->id][pos];
	if (!strcmp(m->key, key))
		return m->col;
	int col = cs_entity_column_index(e, key);
	if (strlen(key) < sizeof(m->key)) {
		strcpy(m->key, key);
		m->col = col;
	}
	return col;
}

/* Binds every mirrored field the record has; sets *supporter when the
 * entity's supporter reference holds an id. Returns an SQLite code. */
static int bind_fields(cs_sqlite *s, bind_ctx *c, const cs_entity *e, long long id,
		       const cJSON *json, long long *supporter)
{
	int ref = e->supporter_ref ? cs_entity_column_index(e, e->supporter_ref) : -1;
	size_t pos = 0;
	for (const cJSON *f = json->child; f; f = f->next, pos++) {
		int col = field_column(s, e, pos, f->string);
		if (col < 0 || cJSON_IsNull(f))
			continue;
		int type = e->columns[col].type;
		int rc = binders[type].bind(c, PARAM(col), f);
		if (rc == BAD_VALUE) {
			cs_debug("%s %lld: field '%s' is not %s; stored NULL, raw_json keeps it",
				 e->name, id, f->string, binders[type].what);
			continue;
		}
		if (rc != SQLITE_OK)
			return rc;
		if (col == ref)
			*supporter = c->ival;
	}
	return SQLITE_OK;
}

static int record_id(const cs_entity *e, long long org, const cJSON *json, long long *id,
		     cs_err *err)
{
	const cJSON *v = cJSON_IsObject(json) ? cJSON_GetObjectItemCaseSensitive(json, "id") : NULL;
	if (!cJSON_IsNumber(v) || json_int(v, id))
		return cs_err_set(err, CS_EPROTO,
				  "cannot store a '%s' record of organization %lld: it has no numeric "
				  "'id'; check that CLASSY_API_URL points to the Classy API",
				  e->name, org);
	return 0;
}

int cs_sqlite_page_upsert(cs_store *st, const cs_entity *e, long long org, const cs_record *rec,
			  cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	bind_ctx c;
	long long id, supporter = -1;
	char *printed = NULL;
	int rc;

	if (!s->in_page)
		return cs_err_set(err, CS_ERR, "cannot store a '%s' record: no page is in progress",
				  e->name);
	if ((rc = record_id(e, org, rec->json, &id, err)) < 0)
		return rc;
	if (!s->upsert[e->id] && (rc = prepare_upsert(s, e, err)) < 0)
		return rc;
	c.st = s->upsert[e->id];
	sqlite3_clear_bindings(c.st);
	sqlite3_bind_int64(c.st, 1, id);
	sqlite3_bind_int64(c.st, 2, org);
	if (e->supporter_ref && !strcmp(e->supporter_ref, "id"))
		supporter = id;

	size_t n = e->ncolumns;
	rc = bind_fields(s, &c, e, id, rec->json, &supporter);
	if (rc == SQLITE_OK && rec->raw) {
		rc = sqlite3_bind_text(c.st, PARAM((int)n), rec->raw, (int)rec->raw_len, SQLITE_STATIC);
	} else if (rc == SQLITE_OK) {
		/* Only callers without the original bytes (tests, demo data) get here. */
		printed = cJSON_PrintUnformatted(rec->json);
		rc = printed ? sqlite3_bind_text(c.st, PARAM((int)n), printed, -1, SQLITE_STATIC)
			     : SQLITE_NOMEM;
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(c.st, PARAM((int)n) + 1, s->synced_at, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(c.st);
	sqlite3_reset(c.st);
	cJSON_free(printed);
	/* The caller names the record; this says why it could not be written. */
	if (rc != SQLITE_DONE)
		return cs_sqlite_fail(s, rc, "write the record", err);
	return supporter >= 0 ? enqueue(s, org, supporter, err) : 0;
}

static int write_state(cs_sqlite *s, const cs_sync_state *state, cs_err *err)
{
	sqlite3_stmt *q = NULL;
	char now[32];
	if (state->entity < 0 || state->entity >= CS_ENT_COUNT)
		return cs_err_set(err, CS_ERR, "cannot save sync state: unknown entity %d",
				  state->entity);
	int rc = cs_sqlite_prepare(
		s,
		"INSERT INTO sync_state (organization_id, entity, cursor, lookback_s, "
		"full_last_id, full_started_at, last_full_at, updated_at) VALUES (?1, ?2, ?3, ?4, "
		"?5, ?6, ?7, ?8) ON CONFLICT (organization_id, entity) DO UPDATE SET cursor = "
		"excluded.cursor, lookback_s = excluded.lookback_s, full_last_id = "
		"excluded.full_last_id, full_started_at = excluded.full_started_at, last_full_at = "
		"excluded.last_full_at, updated_at = excluded.updated_at",
		&q, "save sync state", err);
	if (rc < 0)
		return rc;
	cs_sqlite_now(now);
	sqlite3_bind_int64(q, 1, state->org_id);
	sqlite3_bind_text(q, 2, cs_entities[state->entity].name, -1, SQLITE_STATIC);
	cs_sqlite_bind_opt(q, 3, state->cursor);
	sqlite3_bind_int(q, 4, state->lookback_s);
	sqlite3_bind_int64(q, 5, state->full_last_id);
	cs_sqlite_bind_opt(q, 6, state->full_started_at);
	cs_sqlite_bind_opt(q, 7, state->last_full_at);
	sqlite3_bind_text(q, 8, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	rc = rc == SQLITE_DONE ? 0 : cs_sqlite_fail(s, rc, "save sync state", err);
	sqlite3_finalize(q);
	return rc;
}

int cs_sqlite_page_commit(cs_store *st, const cs_sync_state *state, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	if (!s->in_page)
		return cs_err_set(err, CS_ERR, "cannot commit a page in database '%s': no page is "
					       "in progress", s->path);
	int rc = state ? write_state(s, state, err) : 0;
	if (rc == 0) {
		int src = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
		if (src != SQLITE_OK)
			rc = cs_sqlite_fail(s, src, "commit a page", err);
	}
	/* A failed page leaves nothing behind: rows and cursor go together. */
	if (rc < 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_page = 0;
	return rc;
}

void cs_sqlite_page_abort(cs_store *st)
{
	cs_sqlite *s = (cs_sqlite *)st;
	if (!s->in_page)
		return;
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_page = 0;
}

int cs_sqlite_mark_absent(cs_store *st, const cs_entity *e, long long org, const char *since,
			  long long *marked, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	sqlite3_stmt *q = NULL;
	char sql[192], now[32];
	*marked = 0;
	if (!since || !*since)
		return cs_err_set(err, CS_ERR, "cannot mark absent '%s' rows: no scan start given",
				  e->name);
	snprintf(sql, sizeof(sql),
		 "UPDATE \"%s\" SET deleted_at = ?1 WHERE organization_id = ?2 AND synced_at < ?3 "
		 "AND deleted_at IS NULL",
		 e->name);
	int rc = cs_sqlite_prepare(s, sql, &q, "mark absent rows", err);
	if (rc < 0)
		return rc;
	cs_sqlite_now(now);
	sqlite3_bind_text(q, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, org);
	sqlite3_bind_text(q, 3, since, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		*marked = sqlite3_changes(s->db);
		rc = 0;
	} else {
		rc = cs_sqlite_fail(s, rc, "mark absent rows", err);
	}
	sqlite3_finalize(q);
	return rc;
}
