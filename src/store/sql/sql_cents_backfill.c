/* The backfill of the cents twins a migration adds (sql_cents.c), for the
 * rows stored before it: from each record's raw_json, the member's own
 * text as the product's JSON functions give it back (@json_member), parsed
 * here with cs_money_parse, so a backfilled value is what the writer would
 * have stored for the same record. No refetch from the API. */
#include "store/sql/schema.h"
#include "store/sql/sqlrow.h"
#include "util/money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILL 32 /* twins one migration adds to one table */
#define BACKFILL_ROWS 500

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

/* One entity's twins of one migration: their column names and the API
 * fields they are read from. */
typedef struct fill_cols {
	const char *table;
	int n;
	const char *col[MAX_FILL];
	const char *field[MAX_FILL];
} fill_cols;

typedef struct batch {
	int ncents;
	int rows;
	long long id[BACKFILL_ROWS];
	cs_sql_val cents[BACKFILL_ROWS][MAX_FILL];
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

static void find_cols(int e, int version, fill_cols *f)
{
	size_t n = 0;
	const cs_sql_added_col *cc = cs_sql_cents_cols(e, &n);
	f->table = cs_sql_entity_table(e)->name;
	f->n = 0;
	for (size_t i = 0; i < n && f->n < MAX_FILL; i++) {
		const cs_sql_twin *t = cs_sql_cents_twin(e, i);
		if (t->version != version)
			continue;
		f->col[f->n] = cc[i].col.name;
		f->field[f->n++] = cs_entities[e].columns[t->source].name;
	}
}

/* The SELECT of a batch (ids above ?1, the money members' texts, their
 * names bound from ?2) and the UPDATE of one row (id ?1, cents from ?2). */
static int statements(const fill_cols *f, cs_buf *sel, cs_buf *upd)
{
	int bad = cs_buf_puts(sel, "SELECT id");
	bad |= cs_buf_puts(upd, "UPDATE ") | cs_sql_ident(upd, f->table) | cs_buf_puts(upd, " SET ");
	for (int i = 0; i < f->n; i++) {
		bad |= cs_buf_printf(sel, ", @json_member(raw_json, ?%d)", i + 2);
		bad |= cs_buf_puts(upd, i ? ", " : "") | cs_sql_ident(upd, f->col[i]);
		bad |= cs_buf_printf(upd, " = ?%d", i + 2);
	}
	bad |= cs_buf_puts(sel, " FROM ") | cs_sql_ident(sel, f->table);
	bad |= cs_buf_printf(sel, " WHERE id > ?1 ORDER BY id LIMIT %d", BACKFILL_ROWS);
	return bad | cs_buf_puts(upd, " WHERE id = ?1");
}

/* Writes one batch read by take_row through the prepared UPDATE u. */
static int write_batch(cs_sql_stmt *u, const batch *b, cs_err *err)
{
	int rc = 0;
	for (int r = 0; rc == 0 && r < b->rows; r++) {
		cs_sql_val v[MAX_FILL + 1];
		v[0] = CS_V_INT(b->id[r]);
		memcpy(v + 1, b->cents[r], (size_t)b->ncents * sizeof(v[0]));
		rc = cs_sql_bind_all(u, v, b->ncents + 1) ? cs_err_set(err, CS_ERR, "out of memory")
							  : cs_sql_step(u, err);
		rc = rc > 0 ? 0 : rc;
		cs_sql_reset(u);
	}
	return rc;
}

/* One entity's rows, a batch at a time in id order: a batch is read whole
 * before it is written, since not every driver lets a connection write
 * while a query is open. */
static int backfill_entity(cs_sql_store *s, const fill_cols *f, cs_err *err)
{
	cs_buf sel = CS_BUF_INIT, upd = CS_BUF_INIT;
	cs_sql_stmt *u = NULL;
	batch *b = calloc(1, sizeof(*b));
	cs_sql_val args[MAX_FILL + 1];
	int rc = 0;
	if (!b || statements(f, &sel, &upd))
		rc = cs_err_set(err, CS_ERR, "cannot fill the cents columns: out of memory");
	if (rc == 0)
		rc = cs_sql_prepare(s->c, cs_buf_str(&upd), "fill the cents columns", &u, err);
	for (int i = 0; i < f->n; i++)
		args[i + 1] = CS_V_TEXT(f->field[i]);
	long long last = 0;
	while (rc == 0) {
		b->ncents = f->n;
		b->rows = 0;
		args[0] = CS_V_INT(last);
		rc = cs_sql_query(s->c, cs_buf_str(&sel), "read raw_json for the cents columns",
				  args, f->n + 1, take_row, b, err);
		if (rc == 0)
			rc = write_batch(u, b, err);
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

int cs_sql_cents_backfill(cs_sql_store *s, int version, cs_err *err)
{
	int rc = 0;
	for (int e = 0; rc == 0 && e < CS_ENT_COUNT; e++) {
		fill_cols f;
		find_cols(e, version, &f);
		if (f.n > 0)
			rc = backfill_entity(s, &f, err);
	}
	return rc;
}
