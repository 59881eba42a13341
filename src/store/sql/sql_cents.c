/* Exact integer cents beside each money column (migration 8): SQLite keeps
 * money as REAL, whose SUM() shows float noise (0.1 + 0.2); an INTEGER
 * column of cents sums exactly in every product. The columns exist on every
 * backend, so one query reads the same on all three (on PostgreSQL and
 * MariaDB the NUMERIC/DECIMAL column sums exactly too).
 *
 * Two writers fill them, by one rule (cs_money_to_cents of the exact
 * amount, never a double's):
 *  - the page upsert, from the amount sql_row.c already read exactly from
 *    the API's text (cs_sql_cents_fill);
 *  - migration 8, for the rows stored before it, from each record's
 *    raw_json: the member's own text, as the product's JSON functions give
 *    it back (@json_member), parsed here with cs_money_parse. */
#include "store/sql/schema.h"
#include "store/sql/sqlrow.h"
#include "util/money.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CENTS 8
#define BACKFILL_ROWS 500
#define SUFFIX "_cents"

/* The entity column each cents column is the twin of, found once. */
static int source_col[CS_ENT_COUNT][MAX_CENTS];
static pthread_once_t sources_once = PTHREAD_ONCE_INIT;

static void find_sources(void)
{
	for (int e = 0; e < CS_ENT_COUNT; e++) {
		size_t n = 0;
		const cs_sql_added_col *cc = cs_sql_cents_cols(e, &n);
		for (size_t i = 0; i < n && i < MAX_CENTS; i++) {
			char name[64];
			size_t len = strlen(cc[i].col.name) - strlen(SUFFIX);
			snprintf(name, sizeof(name), "%.*s", (int)len, cc[i].col.name);
			source_col[e][i] = cs_entity_column_index(&cs_entities[e], name);
		}
	}
}

int cs_sql_cents_source(int entity, size_t i)
{
	pthread_once(&sources_once, find_sources);
	return i < MAX_CENTS ? source_col[entity][i] : -1;
}

size_t cs_sql_cents_fill(const cs_entity *e, const cs_sql_val *row, cs_sql_val *out)
{
	size_t n = 0;
	cs_sql_cents_cols(e->id, &n);
	for (size_t i = 0; i < n && i < MAX_CENTS; i++) {
		int col = cs_sql_cents_source(e->id, i);
		const cs_sql_val *m = col >= 0 ? &row[CS_SQL_ROW_COL(col)] : NULL;
		out[i] = m && m->kind == CS_SQL_MONEY ? CS_V_INT(cs_money_to_cents(m->i))
						      : CS_V_NULL;
	}
	return n < MAX_CENTS ? n : MAX_CENTS;
}

/* The cents of one member's JSON text (a number as written, a string in
 * quotes, null), as conv_money in sql_row.c would read the same value:
 * digits exactly, an exponent form through the double; NULL when it is no
 * amount. */
static cs_sql_val cents_of(const char *json)
{
	char text[64];
	cs_money m;
	size_t len = json ? strlen(json) : 0;
	if (len == 0 || len >= sizeof(text) || !strcmp(json, "null"))
		return CS_V_NULL;
	int quoted = json[0] == '"';
	if (quoted && (len < 2 || json[len - 1] != '"' || memchr(json, '\\', len)))
		return CS_V_NULL;
	snprintf(text, sizeof(text), "%.*s", (int)(quoted ? len - 2 : len), json + quoted);
	int rc;
	if (!quoted && strpbrk(text, "eE")) {
		char *end;
		double d = strtod(text, &end);
		rc = *end ? CS_MONEY_BAD : cs_money_from_double(d, &m);
	} else {
		rc = cs_money_parse(text, &m);
	}
	return rc ? CS_V_NULL : CS_V_INT(cs_money_to_cents(m));
}

typedef struct batch {
	int ncents;
	int rows;
	long long id[BACKFILL_ROWS];
	cs_sql_val cents[BACKFILL_ROWS][MAX_CENTS];
} batch;

static int take_row(cs_sql_stmt *st, void *ctx)
{
	batch *b = ctx;
	b->id[b->rows] = cs_sql_col_int(st, 0);
	for (int i = 0; i < b->ncents; i++)
		b->cents[b->rows][i] = cents_of(cs_sql_col_text(st, i + 1));
	b->rows++;
	return 0;
}

/* The SELECT of a batch (ids above ?1, the money members' texts, their
 * names bound from ?2) and the UPDATE of one row (id ?1, cents from ?2). */
static int statements(const cs_sql_table *t, const cs_sql_added_col *cc, size_t n,
		      cs_buf *sel, cs_buf *upd)
{
	int bad = cs_buf_puts(sel, "SELECT id");
	bad |= cs_buf_puts(upd, "UPDATE ") | cs_sql_ident(upd, t->name) | cs_buf_puts(upd, " SET ");
	for (size_t i = 0; i < n; i++) {
		bad |= cs_buf_printf(sel, ", @json_member(raw_json, ?%zu)", i + 2);
		bad |= cs_buf_puts(upd, i ? ", " : "") | cs_sql_ident(upd, cc[i].col.name);
		bad |= cs_buf_printf(upd, " = ?%zu", i + 2);
	}
	bad |= cs_buf_puts(sel, " FROM ") | cs_sql_ident(sel, t->name);
	bad |= cs_buf_printf(sel, " WHERE id > ?1 ORDER BY id LIMIT %d", BACKFILL_ROWS);
	return bad | cs_buf_puts(upd, " WHERE id = ?1");
}

/* One entity's rows, a batch at a time in id order: a batch is read whole
 * before it is written, since not every driver lets a connection write
 * while a query is open. */
static int backfill_entity(cs_sql_store *s, int e, cs_err *err)
{
	size_t n = 0;
	const cs_sql_added_col *cc = cs_sql_cents_cols(e, &n);
	if (n == 0)
		return 0;
	cs_buf sel = CS_BUF_INIT, upd = CS_BUF_INIT;
	cs_sql_stmt *u = NULL;
	batch *b = calloc(1, sizeof(*b));
	cs_sql_val args[MAX_CENTS + 1];
	int rc = 0;
	if (!b || n > MAX_CENTS || statements(cs_sql_entity_table(e), cc, n, &sel, &upd))
		rc = cs_err_set(err, CS_ERR, "cannot fill the cents columns: out of memory");
	if (rc == 0)
		rc = cs_sql_prepare(s->c, cs_buf_str(&upd), "fill the cents columns", &u, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		int src = cs_sql_cents_source(e, i);
		if (src < 0) /* a list edited without its money column: a bug here */
			rc = cs_err_set(err, CS_ERR, "'%s' twins no money column", cc[i].col.name);
		else
			args[i + 1] = CS_V_TEXT(cs_entities[e].columns[src].name);
	}
	long long last = 0;
	while (rc == 0) {
		b->ncents = (int)n;
		b->rows = 0;
		args[0] = CS_V_INT(last);
		rc = cs_sql_query(s->c, cs_buf_str(&sel), "read raw_json for the cents columns",
				  args, (int)n + 1, take_row, b, err);
		for (int r = 0; rc == 0 && r < b->rows; r++) {
			cs_sql_val v[MAX_CENTS + 1];
			v[0] = CS_V_INT(b->id[r]);
			memcpy(v + 1, b->cents[r], n * sizeof(v[0]));
			rc = cs_sql_bind_all(u, v, (int)n + 1) ? cs_err_set(err, CS_ERR, "out of memory")
							       : cs_sql_step(u, err);
			rc = rc > 0 ? 0 : rc;
			cs_sql_reset(u);
		}
		if (rc || b->rows < BACKFILL_ROWS)
			break;
		last = b->id[b->rows - 1];
	}
	cs_sql_finalize(u);
	cs_buf_release(&sel);
	cs_buf_release(&upd);
	free(b);
	return rc;
}

int cs_sql_cents_backfill(cs_sql_store *s, cs_err *err)
{
	int rc = 0;
	for (int e = 0; rc == 0 && e < CS_ENT_COUNT; e++)
		rc = backfill_entity(s, e, err);
	return rc;
}
