/* Rows of values. One API record becomes one row: the id, the mirrored
 * columns in entity order (each JSON value converted by its column's type),
 * raw_json from the record's exact bytes, synced_at, and the supporter whose
 * aggregates the row affects. A value that does not convert is left NULL
 * (raw_json keeps it): a record is never refused for one odd field, only for
 * a missing or bad id. And a row buffer keeps copies of rows until one
 * multi-row upsert writes them (page batches, `db copy`). */
#include "store/sql/sqlrow.h"
#include "util/json.h"
#include "util/log.h"
#include "util/money.h"
#include "util/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BAD_VALUE 1    /* a converter's "unparsable: leave the column NULL" */
#define OUT_OF_RANGE 2 /* "a number the column cannot hold: NULL, and warn" */

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

static int conv_int(cs_sql_row *r, int k, const cJSON *v)
{
	long long x;
	int rc = json_int(v, &x);
	if (rc == 0)
		r->v[k] = CS_V_INT(x);
	return rc;
}

static int conv_text(cs_sql_row *r, int k, const cJSON *v)
{
	if (cJSON_IsString(v)) {
		r->v[k] = CS_V_TEXT(v->valuestring);
	} else if (cJSON_IsBool(v)) {
		r->v[k] = CS_V_TEXT(cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNumber(v)) {
		if (!cJSON_PrintPreallocated((cJSON *)v, r->scratch[k], CS_SQL_ROW_SCRATCH, 0))
			return BAD_VALUE;
		r->v[k] = CS_V_TEXT(r->scratch[k]);
	} else {
		char *json = cJSON_PrintUnformatted(v); /* objects and arrays */
		if (!json || r->nowned == CS_SQL_ROW_MAX) {
			cJSON_free(json);
			return CS_ERR;
		}
		r->owned[r->nowned++] = json;
		r->v[k] = CS_V_TEXT(json);
	}
	return 0;
}

static const char *const true_words[] = {"true", "1", "t"};
static const char *const false_words[] = {"false", "0", "f"};

static int conv_bool(cs_sql_row *r, int k, const cJSON *v)
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
	if (b < 0)
		return BAD_VALUE;
	r->v[k] = CS_V_INT(b);
	return 0;
}

/* An amount, exactly: from a number's source text when the page parser
 * kept it (an exponent form goes through the double), else as before. An
 * amount beyond what cs_money holds (about +-9.2e14) is refused, never
 * clamped: a made-up figure would flow into every sum. */
static int conv_money(cs_sql_row *r, int k, const cJSON *v)
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
	r->v[k] = (cs_sql_val){CS_SQL_MONEY, m, 0, NULL};
	return 0;
}

static int conv_time(cs_sql_row *r, int k, const cJSON *v)
{
	if (!cJSON_IsString(v) || cs_time_normalize(v->valuestring, r->scratch[k]) < 0)
		return BAD_VALUE;
	r->v[k] = CS_V_TIME(r->scratch[k]);
	return 0;
}

/* The UTC calendar date of whatever form arrived. */
static int conv_date(cs_sql_row *r, int k, const cJSON *v)
{
	int rc = conv_time(r, k, v);
	if (rc == 0)
		r->scratch[k][10] = '\0';
	return rc;
}

/* A nested object or array, as compact JSON for a JSON column; any other
 * value is printed as JSON too (a string quoted), so every product's JSON
 * type takes it. */
static int conv_json(cs_sql_row *r, int k, const cJSON *v)
{
	char *json = cJSON_PrintUnformatted(v);
	if (!json || r->nowned == CS_SQL_ROW_MAX) {
		cJSON_free(json);
		return CS_ERR;
	}
	r->owned[r->nowned++] = json;
	r->v[k] = (cs_sql_val){CS_SQL_JSON, 0, 0, json};
	return 0;
}

static const struct {
	int (*conv)(cs_sql_row *r, int k, const cJSON *v);
	const char *what; /* for the debug log */
} converters[] = {
	[CS_COL_INT] = {conv_int, "an integer"},   [CS_COL_TEXT] = {conv_text, "text"},
	[CS_COL_BOOL] = {conv_bool, "a boolean"},  [CS_COL_MONEY] = {conv_money, "an amount"},
	[CS_COL_TIME] = {conv_time, "a datetime"}, [CS_COL_DATE] = {conv_date, "a date"},
	[CS_COL_JSON] = {conv_json, "JSON"},
};

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
	static _Thread_local char buf[CS_SQL_ROW_SCRATCH];
	if (cJSON_IsString(v) || (cJSON_IsNumber(v) && v->valuestring))
		return v->valuestring;
	if (!cJSON_IsNumber(v) || !cJSON_PrintPreallocated((cJSON *)v, buf, sizeof(buf), 0))
		return "?";
	return buf;
}

/* Converts every mirrored field the record has; sets the supporter when
 * the entity's supporter reference holds an id. */
static int convert_fields(cs_sql_store *s, cs_sql_row *r, const cs_entity *e, const cJSON *json)
{
	int ref = e->supporter_ref ? cs_entity_column_index(e, e->supporter_ref) : -1;
	size_t pos = 0;
	for (const cJSON *f = json->child; f; f = f->next, pos++) {
		int col = field_column(s, e, pos, f->string);
		if (col < 0 || cJSON_IsNull(f))
			continue;
		int type = e->columns[col].type;
		int rc = converters[type].conv(r, CS_SQL_ROW_COL(col), f);
		if (rc == BAD_VALUE) {
			cs_debug("%s %lld: field '%s' is not %s; stored NULL, raw_json keeps it",
				 e->name, r->id, f->string, converters[type].what);
			continue;
		}
		if (rc == OUT_OF_RANGE) {
			/* a real data problem, once per record and field: a warning */
			cs_warn("%s record %lld: '%s' is %s too large to store (%.40s); stored "
				"NULL, raw_json keeps it",
				e->name, r->id, f->string, converters[type].what, number_text(f));
			continue;
		}
		if (rc < 0)
			return rc;
		if (col == ref)
			r->supporter = r->v[CS_SQL_ROW_COL(col)].i;
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

int cs_sql_row_from_record(cs_sql_store *s, const cs_entity *e, long long org,
			   const cs_record *rec, cs_sql_row *r, cs_err *err)
{
	int n = CS_SQL_ROW_COL((int)e->ncolumns);
	size_t ncents = 0;
	cs_sql_cents_cols(e->id, &ncents);
	r->nowned = 0;
	r->supporter = -1;
	if (n + 3 + (int)ncents > CS_SQL_ROW_MAX)
		return cs_err_set(err, CS_ERR, "entity '%s' has more than %d columns", e->name,
				  CS_SQL_ROW_MAX - 5 - (int)ncents);
	int rc = record_id(e, org, rec, &r->id, err);
	if (rc < 0)
		return rc;
	r->n = n + 3 + (int)ncents;
	for (int k = 0; k < r->n; k++)
		r->v[k] = CS_V_NULL; /* deleted_at stays NULL: a row seen again is live */
	r->v[0] = CS_V_INT(r->id);
	r->v[1] = CS_V_INT(org);
	if (e->supporter_ref && !strcmp(e->supporter_ref, "id"))
		r->supporter = r->id;
	rc = convert_fields(s, r, e, rec->json);
	if (rc == 0 && rec->raw) {
		r->v[n] = (cs_sql_val){CS_SQL_JSON, (long long)rec->raw_len, 0, rec->raw};
	} else if (rc == 0) {
		/* Only callers without the original bytes (tests, demo data) get here. */
		char *printed = cJSON_PrintUnformatted(rec->json);
		if (!printed || r->nowned == CS_SQL_ROW_MAX) {
			cJSON_free(printed);
			rc = CS_ERR;
		} else {
			r->owned[r->nowned++] = printed;
			r->v[n] = (cs_sql_val){CS_SQL_JSON, 0, 0, printed};
		}
	}
	r->v[n + 1] = CS_V_TIME(s->synced_at);
	/* after deleted_at: each amount's exact cents, from the value just read */
	if (rc == 0)
		cs_sql_cents_fill(e, r->v, &r->v[n + 3]);
	if (rc < 0) {
		cs_sql_row_release(r);
		return cs_err_set(err, CS_ERR, "cannot write the record in database '%s': out of "
					       "memory", s->c->name);
	}
	return 0;
}

void cs_sql_row_release(cs_sql_row *r)
{
	for (int i = 0; i < r->nowned; i++)
		cJSON_free(r->owned[i]);
	r->nowned = 0;
}

/* ---- row buffers ---- */

int cs_sql_rowbuf_init(cs_sql_rowbuf *b, int ncols, int cap)
{
	memset(b, 0, sizeof(*b));
	b->ncols = ncols;
	b->cap = cap;
	b->keys = calloc((size_t)cap, sizeof(*b->keys));
	b->v = calloc((size_t)cap * (size_t)ncols, sizeof(*b->v));
	b->off = calloc((size_t)cap * (size_t)ncols, sizeof(*b->off));
	cs_buf_init(&b->text, 0);
	if (b->keys && b->v && b->off)
		return 0;
	cs_sql_rowbuf_release(b);
	return -1;
}

void cs_sql_rowbuf_release(cs_sql_rowbuf *b)
{
	free(b->keys);
	free(b->v);
	free(b->off);
	cs_buf_release(&b->text);
	memset(b, 0, sizeof(*b));
}

void cs_sql_rowbuf_clear(cs_sql_rowbuf *b)
{
	b->rows = 0;
	cs_buf_reset(&b->text);
}

int cs_sql_rowbuf_find(const cs_sql_rowbuf *b, long long key)
{
	for (int r = 0; r < b->rows; r++)
		if (b->keys[r] == key)
			return r;
	return -1;
}

int cs_sql_rowbuf_put(cs_sql_rowbuf *b, int row, long long key, const cs_sql_val *v)
{
	if (row < 0) {
		if (b->rows == b->cap)
			return -1;
		row = b->rows++;
	}
	b->keys[row] = key;
	for (int k = 0; k < b->ncols; k++) {
		cs_sql_val x = v[k];
		size_t i = (size_t)row * b->ncols + k;
		if (cs_sql_kind_has_text(x.kind) && x.s) {
			int sized = x.kind != CS_SQL_TIME; /* TEXT, JSON: i is the length */
			size_t len = sized && x.i > 0 ? (size_t)x.i : strlen(x.s);
			b->off[i] = b->text.len;
			if (cs_buf_append(&b->text, x.s, len) || cs_buf_append(&b->text, "", 1))
				return -1;
			x.i = sized ? (long long)len : 0;
		}
		b->v[i] = x;
	}
	return 0;
}

static int bind_rows(cs_sql_rowbuf *b, cs_sql_stmt *st)
{
	for (int r = 0; r < b->rows; r++) {
		cs_sql_val *v = &b->v[(size_t)r * b->ncols];
		for (int k = 0; k < b->ncols; k++)
			if (cs_sql_kind_has_text(v[k].kind) && v[k].s)
				v[k].s = b->text.data + b->off[(size_t)r * b->ncols + k];
		if (cs_sql_bind_vals(st, r * b->ncols + 1, v, b->ncols))
			return -1;
	}
	return 0;
}

int cs_sql_rowbuf_upsert(cs_sql *c, cs_sql_upsert *u, cs_sql_rowbuf *b, cs_sql_stmt **kept,
			 const char *what, cs_err *err)
{
	cs_sql_stmt *one = NULL, *q;
	cs_buf sql = CS_BUF_INIT;
	int rc = 0, full = b->rows == b->cap;
	if (b->rows == 0)
		return 0;
	u->rows = b->rows;
	if (!full || !*kept) {
		if (cs_sql_upsert_text(c->dia, u, &sql))
			rc = cs_err_set(err, CS_ERR, "cannot %s: out of memory", what);
		else
			rc = full ? cs_sql_prepare_kept(c, cs_buf_str(&sql), what, kept, err)
				  : cs_sql_prepare(c, cs_buf_str(&sql), what, &one, err);
	}
	q = full ? *kept : one;
	if (rc == 0 && bind_rows(b, q))
		rc = cs_err_set(err, CS_ERR, "cannot %s: out of memory", what);
	if (rc == 0 && (rc = cs_sql_step(q, err)) > 0)
		rc = 0;
	if (q)
		cs_sql_reset(q);
	cs_sql_finalize(one);
	cs_buf_release(&sql);
	cs_sql_rowbuf_clear(b);
	return rc;
}
