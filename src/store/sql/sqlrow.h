#ifndef CS_SQL_SQLROW_H
#define CS_SQL_SQLROW_H
/* One record as one row of upsert values (sql_row.c), and the batch of rows
 * the server products write with one multi-row statement (sql_page.c).
 * Private to store/sql/. */
#include "store/sql/sqlstore.h"

#define CS_SQL_ROW_MAX 72
#define CS_SQL_ROW_SCRATCH 64
/* Row layout: [0] id, [1] organization_id, then the mirrored columns in
 * entity order, then raw_json, synced_at, deleted_at. */
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

#endif
