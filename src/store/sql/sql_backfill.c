/* Filling columns a migration adds to the entity tables from the rows'
 * raw_json, in the database, with no refetch from the API: one UPDATE per
 * entity table, every added column set from its field. How a product reads
 * a field out of a JSON document, and turns it into each column type, are
 * its dialect's words (@jv the field's text, @jt its JSON type, @jx the
 * field as JSON; @j_int, @j_bool, @j_money, @j_time, @j_date, @j_text,
 * @j_json take those three). They give what the writer's converters
 * (sql_row.c) store for the same value, and NULL where a converter would
 * leave the column NULL: a value that does not convert never fails the
 * migration. The field names are bound, never written into the SQL. */
#include "store/sql/schema.h"
#include "store/sql/sqlstore.h"
#include "model/entity.h"

#include <string.h>

#define MAX_FIELDS 160

static const char *const word_of_type[] = {
	[CS_COL_INT] = "j_int",   [CS_COL_TEXT] = "j_text", [CS_COL_BOOL] = "j_bool",
	[CS_COL_MONEY] = "j_money", [CS_COL_TIME] = "j_time", [CS_COL_DATE] = "j_date",
	[CS_COL_JSON] = "j_json",
};

/* The UPDATE of one entity's columns of version `since`; *n fields bound
 * in order as ?1..?n. */
static int update_text(const cs_entity *e, int since, cs_buf *b, const char **fields, int *n)
{
	int bad = cs_buf_puts(b, "UPDATE ") | cs_sql_ident(b, e->name) | cs_buf_puts(b, " SET ");
	*n = 0;
	for (size_t i = 0; i < e->ncolumns && *n < MAX_FIELDS; i++) {
		const cs_column *c = &e->columns[i];
		if (c->since != since)
			continue;
		int k = ++*n;
		fields[k - 1] = c->name;
		bad |= cs_buf_puts(b, k > 1 ? ", " : "") | cs_sql_ident(b, c->name);
		bad |= cs_buf_printf(b, " = @%s(@jv(raw_json, ?%d), @jt(raw_json, ?%d), "
					"@jx(raw_json, ?%d))",
				     word_of_type[c->type], k, k, k);
	}
	return bad;
}

int cs_sql_backfill_columns(cs_sql_store *s, int since, cs_err *err)
{
	int rc = 0;
	for (int e = 0; rc == 0 && e < CS_ENT_COUNT; e++) {
		const char *fields[MAX_FIELDS];
		cs_buf b = CS_BUF_INIT;
		cs_sql_stmt *st = NULL;
		int n = 0;
		if (update_text(&cs_entities[e], since, &b, fields, &n)) {
			rc = cs_err_set(err, CS_ERR, "cannot fill the new columns: out of memory");
		} else if (n > 0) {
			rc = cs_sql_prepare(s->c, cs_buf_str(&b), "fill the new columns from raw_json",
					    &st, err);
			for (int k = 0; rc == 0 && k < n; k++)
				if (cs_sql_bind_text(st, k + 1, fields[k]))
					rc = cs_err_set(err, CS_ERR,
							"cannot fill the new columns: out of memory");
			if (rc == 0 && (rc = cs_sql_step(st, err)) > 0)
				rc = 0;
			cs_sql_finalize(st);
			if (rc < 0)
				cs_err_wrap(err, "table '%s'", cs_entities[e].name);
		}
		cs_buf_release(&b);
	}
	return rc;
}
