#ifndef CS_SQL_SQLROW_H
#define CS_SQL_SQLROW_H
/* One record as one row of upsert values, and buffers of rows written with
 * one multi-row statement (sql_row.c): the server products' page batches
 * (sql_page.c) and `db copy` (store_copy.c). */
#include "store/sql/schema.h"
#include "store/sql/sqlstore.h"

/* the widest entity (campaigns: 106 mirrored columns) plus the store's */
#define CS_SQL_ROW_MAX 128
#define CS_SQL_ROW_SCRATCH 64
/* Row layout: [0] id, [1] organization_id, then the mirrored columns in
 * entity order, then raw_json, synced_at, deleted_at, then the cents twin of
 * each amount (migrations 8 and 10, sql_cents.c). */
#define CS_SQL_ROW_COL(col) ((col) + 2)

typedef struct cs_sql_row {
	int n; /* values */
	cs_sql_val v[CS_SQL_ROW_MAX];
	long long id;
	long long supporter; /* whose aggregates the row affects, -1 none */
	/* text the converters made, alive until the row is written or copied */
	char scratch[CS_SQL_ROW_MAX][CS_SQL_ROW_SCRATCH];
	char *owned[CS_SQL_ROW_MAX];
	int nowned;
} cs_sql_row;

/* Fills r from rec (CS_EPROTO for a record without a usable id). */
int cs_sql_row_from_record(cs_sql_store *s, const cs_entity *e, long long org,
			   const cs_record *rec, cs_sql_row *r, cs_err *err);
/* Frees what the converters allocated (printed objects). */
void cs_sql_row_release(cs_sql_row *r);

/* sql_cents.c. Fills out[] with the cents of each amount of a row (NULL
 * where the amount is NULL), in cs_sql_cents_cols order; returns how many. */
size_t cs_sql_cents_fill(const cs_entity *e, const cs_sql_val *row, cs_sql_val *out);
/* sql_cents_backfill.c: the twins migration `version` adds, for every
 * stored row, from its raw_json (a batch of rows at a time). */
int cs_sql_cents_backfill(cs_sql_store *s, int version, cs_err *err);

/* Rows kept for one multi-row statement. Text values are copied in, since
 * what they came from (a record, a result row) may be gone by the time the
 * rows are written. */
typedef struct cs_sql_rowbuf {
	int ncols, rows, cap;
	long long *keys; /* an integer key per row, for cs_sql_rowbuf_find */
	cs_sql_val *v;   /* cap * ncols; text as offsets into `text` until bound */
	size_t *off;
	cs_buf text;
} cs_sql_rowbuf;

int cs_sql_rowbuf_init(cs_sql_rowbuf *b, int ncols, int cap);
void cs_sql_rowbuf_release(cs_sql_rowbuf *b);
void cs_sql_rowbuf_clear(cs_sql_rowbuf *b);
/* The row holding key, or -1. */
int cs_sql_rowbuf_find(const cs_sql_rowbuf *b, long long key);
/* Copies v (ncols values) into row `row` (-1: a new row at the end).
 * Returns 0, or -1 when out of memory or full. */
int cs_sql_rowbuf_put(cs_sql_rowbuf *b, int row, long long key, const cs_sql_val *v);
/* Writes the rows with the upsert u (u->rows set here): through *kept
 * (prepared on first use) when the buffer is full, else a one-off
 * statement. Clears the buffer either way. */
int cs_sql_rowbuf_upsert(cs_sql *c, cs_sql_upsert *u, cs_sql_rowbuf *b, cs_sql_stmt **kept,
			 const char *what, cs_err *err);

#endif
