/* The write hot path: one transaction per page of records (or a batch of
 * whole pages), one prepared upsert per entity generated from the entity
 * table, and a single walk over each record's fields. A page's rows and its
 * sync_state row commit together or not at all: this file must never
 * commit rows without their cursor, or a cursor without its rows. */
#include "store/sql/sqlstore.h"
#include "util/json.h"
#include "util/log.h"
#include "util/money.h"
#include "util/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BAD_VALUE 1 /* a binder's "unparsable: leave the column NULL" */
#define OUT_OF_RANGE 2 /* "a number the column cannot hold: NULL, and warn" */
#define SCRATCH 64  /* room for a normalised time or a printed number */
#define MAX_COLS 64
/* Parameter layout of the upsert: ?1 id, ?2 organization_id, then the
 * mirrored columns in entity order, then raw_json, synced_at, deleted_at. */
#define PARAM(col) ((col) + 3)
#define COL(param) ((param) - 3)

/* Per-row state shared by the binders. Text they produce lives in scratch
 * (or owned, for printed objects) until the statement has stepped, so it is
 * bound without copying. */
typedef struct bind_ctx {
	cs_sql_stmt *st;
	long long ival; /* the last integer bound, for the supporter reference */
	char scratch[MAX_COLS][SCRATCH];
	char *owned[MAX_COLS];
	int nowned;
} bind_ctx;

/* --- upsert statement, generated from the entity table --- */

static int prepare_upsert(cs_sql_store *s, const cs_entity *e, cs_err *err)
{
	const char *cols[MAX_COLS + 5];
	cs_buf b = CS_BUF_INIT;
	char what[96];
	int n = 0;
	if (e->ncolumns > MAX_COLS)
		return cs_err_set(err, CS_ERR, "entity '%s' has more than %d columns", e->name,
				  MAX_COLS);
	cols[n++] = "id";
	cols[n++] = "organization_id";
	for (size_t i = 0; i < e->ncolumns; i++)
		cols[n++] = e->columns[i].name;
	cols[n++] = "raw_json";
	cols[n++] = "synced_at";
	cols[n++] = "deleted_at"; /* never bound: a row seen again is live */
	cs_sql_upsert u = {e->name, cols, n, 1, 0, NULL, NULL};
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

/* --- JSON value to column, one binder per column type --- */

/* An integer column: a JSON number read exactly from its digits (json.h:
 * an id above 2^53 must not round to its neighbour), or a numeric string. */
static int json_int(const cJSON *v, long long *out)
{
	if (cJSON_IsNumber(v)) {
		int rc = cs_json_exact_int(v, out);
		return rc == CS_JSON_RANGE ? OUT_OF_RANGE : rc ? BAD_VALUE : 0;
	}
	if (cJSON_IsString(v) && v->valuestring[0]) {
		char *end;
		errno = 0;
		long long x = strtoll(v->valuestring, &end, 10);
		if (*end || v->valuestring[0] == ' ')
			return BAD_VALUE;
		if (errno)
			return OUT_OF_RANGE;
		*out = x;
		return 0;
	}
	return BAD_VALUE;
}

static int bind_int(bind_ctx *c, int p, const cJSON *v)
{
	int rc = json_int(v, &c->ival);
	return rc ? rc : cs_sql_bind_int(c->st, p, c->ival);
}

static int bind_text(bind_ctx *c, int p, const cJSON *v)
{
	if (cJSON_IsString(v))
		return cs_sql_bind_text(c->st, p, v->valuestring);
	if (cJSON_IsBool(v))
		return cs_sql_bind_text(c->st, p, cJSON_IsTrue(v) ? "true" : "false");
	if (cJSON_IsNumber(v)) {
		char *buf = c->scratch[COL(p)];
		if (!cJSON_PrintPreallocated((cJSON *)v, buf, SCRATCH, 0))
			return BAD_VALUE;
		return cs_sql_bind_text(c->st, p, buf);
	}
	char *json = cJSON_PrintUnformatted(v); /* objects and arrays */
	if (!json || c->nowned == MAX_COLS) {
		cJSON_free(json);
		return CS_ERR;
	}
	c->owned[c->nowned++] = json;
	return cs_sql_bind_text(c->st, p, json);
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
	return b < 0 ? BAD_VALUE : cs_sql_bind_int(c->st, p, b);
}

/* An amount, exactly: from a number's source text when the page parser
 * kept it (an exponent form goes through the double), else as today. An
 * amount beyond what cs_money holds (about +-9.2e14) is refused, never
 * clamped: a made-up figure would flow into every sum. */
static int bind_money(bind_ctx *c, int p, const cJSON *v)
{
	cs_money m;
	int rc = CS_MONEY_BAD;
	if (cJSON_IsNumber(v) && v->valuestring && !strpbrk(v->valuestring, "eE"))
		rc = cs_money_parse(v->valuestring, &m);
	else if (cJSON_IsNumber(v))
		rc = cs_money_from_double(v->valuedouble, &m) ? CS_MONEY_RANGE : 0;
	else if (cJSON_IsString(v))
		rc = cs_money_parse(v->valuestring, &m);
	if (rc)
		return rc == CS_MONEY_RANGE ? OUT_OF_RANGE : BAD_VALUE;
	return cs_sql_bind_money(c->st, p, m);
}

static int bind_time(bind_ctx *c, int p, const cJSON *v)
{
	char *buf = c->scratch[COL(p)];
	if (!cJSON_IsString(v) || cs_time_normalize(v->valuestring, buf) < 0)
		return BAD_VALUE;
	return cs_sql_bind_time(c->st, p, buf);
}

/* The UTC calendar date of whatever form arrived. */
static int bind_date(bind_ctx *c, int p, const cJSON *v)
{
	char *buf = c->scratch[COL(p)];
	if (!cJSON_IsString(v) || cs_time_normalize(v->valuestring, buf) < 0)
		return BAD_VALUE;
	buf[10] = '\0';
	return cs_sql_bind_time(c->st, p, buf);
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

void cs_sql_store_drop_cached(cs_sql_store *s)
{
	for (size_t i = 0; i < CS_ENT_COUNT; i++) {
		cs_sql_finalize(s->upsert[i]);
		s->upsert[i] = NULL;
	}
	cs_sql_finalize(s->enqueue);
	s->enqueue = NULL;
}


int cs_sql_page_begin(cs_store *st, const char *synced_at, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	if (s->in_page)
		return cs_err_set(err, CS_ERR, "cannot begin a page in database '%s': a page is "
					       "already in progress", s->c->name);
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

/* Column of the field at position pos of a record, through the memo. */
static int field_column(cs_sql_store *s, const cs_entity *e, size_t pos, const char *key)
{
	if (pos >= CS_SQL_FIELD_MEMO || !key[0]) /* an empty memo slot must never match */
		return cs_entity_column_index(e, key);
	struct cs_sql_field_memo *m = &s->field_memo[e->id][pos];
	if (!strcmp(m->key, key))
		return m->col;
	int col = cs_entity_column_index(e, key);
	if (strlen(key) < sizeof(m->key)) {
		strcpy(m->key, key);
		m->col = col;
	}
	return col;
}

/* A number's text for a message: its source digits, or a printed double. */
static const char *number_text(const cJSON *v)
{
	static _Thread_local char buf[SCRATCH];
	if (cJSON_IsString(v) || (cJSON_IsNumber(v) && v->valuestring))
		return v->valuestring;
	if (!cJSON_IsNumber(v) || !cJSON_PrintPreallocated((cJSON *)v, buf, SCRATCH, 0))
		return "?";
	return buf;
}

/* Binds every mirrored field the record has; sets *supporter when the
 * entity's supporter reference holds an id. Returns 0 or < 0. */
static int bind_fields(cs_sql_store *s, bind_ctx *c, const cs_entity *e, long long id,
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
		if (rc == OUT_OF_RANGE) {
			/* a real data problem, once per record and field: a warning */
			cs_warn("%s record %lld: '%s' is %s too large to store (%.40s); stored "
				"NULL, raw_json keeps it",
				e->name, id, f->string, binders[type].what, number_text(f));
			continue;
		}
		if (rc < 0)
			return rc;
		if (col == ref)
			*supporter = c->ival;
	}
	return 0;
}

/* The record's id, exactly (json.h), and positive: a record without one
 * would collide with another record's row, so it is never stored. */
static int record_id(const cs_entity *e, long long org, const cs_record *rec, long long *id,
		     cs_err *err)
{
	const cJSON *json = rec->json;
	const cJSON *v = cJSON_IsObject(json) ? cJSON_GetObjectItemCaseSensitive(json, "id") : NULL;
	if (rec->id > 0 && !rec->why) {
		*id = rec->id; /* read by the page parser, from the same digits */
		return 0;
	}
	if (rec->why || cs_json_exact_int(v, id) || *id <= 0)
		return cs_err_set(err, CS_EPROTO,
				  "cannot store a '%s' record of organization %lld: %s; check that "
				  "CLASSY_API_URL points to the Classy API",
				  e->name, org,
				  rec->why ? rec->why : "it has no whole, positive numeric 'id'");
	return 0;
}

/* Binds raw_json and synced_at after the mirrored columns. */
static int bind_tail(cs_sql_store *s, bind_ctx *c, const cs_entity *e, const cs_record *rec,
		     char **printed)
{
	int p = PARAM((int)e->ncolumns);
	int rc;
	if (rec->raw) {
		rc = cs_sql_bind_textn(c->st, p, rec->raw, (int)rec->raw_len);
	} else {
		/* Only callers without the original bytes (tests, demo data) get here. */
		*printed = cJSON_PrintUnformatted(rec->json);
		rc = *printed ? cs_sql_bind_text(c->st, p, *printed) : CS_ERR;
	}
	return rc < 0 ? rc : cs_sql_bind_time(c->st, p + 1, s->synced_at);
}

int cs_sql_page_upsert(cs_store *st, const cs_entity *e, long long org, const cs_record *rec,
		       cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	bind_ctx c;
	long long id, supporter = -1;
	char *printed = NULL;
	int rc;

	if (!s->in_page)
		return cs_err_set(err, CS_ERR, "cannot store a '%s' record: no page is in progress",
				  e->name);
	if ((rc = record_id(e, org, rec, &id, err)) < 0)
		return rc;
	if (!s->upsert[e->id] && (rc = prepare_upsert(s, e, err)) < 0)
		return rc;
	c.st = s->upsert[e->id];
	c.nowned = 0;
	cs_sql_clear(c.st);
	cs_sql_bind_int(c.st, 1, id);
	cs_sql_bind_int(c.st, 2, org);
	if (e->supporter_ref && !strcmp(e->supporter_ref, "id"))
		supporter = id;

	rc = bind_fields(s, &c, e, id, rec->json, &supporter);
	if (rc == 0)
		rc = bind_tail(s, &c, e, rec, &printed);
	if (rc == 0)
		rc = cs_sql_step(c.st, err);
	else
		rc = cs_err_set(err, CS_ERR, "cannot write the record in database '%s': out of "
					     "memory", s->c->name);
	cs_sql_reset(c.st);
	for (int i = 0; i < c.nowned; i++)
		cJSON_free(c.owned[i]);
	cJSON_free(printed);
	/* The caller names the record; the step said why it could not be written. */
	if (rc < 0)
		return rc;
	return supporter >= 0 ? enqueue(s, org, supporter, err) : 0;
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
	cs_sql_upsert u = {"sync_state", cols, 8, 2, 0, NULL, NULL};
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
	int rc = state ? write_state(s, state, err) : 0;
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
