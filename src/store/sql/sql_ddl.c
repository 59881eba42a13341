/* SQL text generated from data, in a dialect's words and types:
 *  - DDL from the schema data: CREATE and DROP statements for tables,
 *    indexes and views, and ALTER TABLE for a column a later migration adds. The only place that turns a column role into a type;
 *  - key-conflict INSERTs ("upserts") from a column list, so every table
 *    written by key (entity rows, sync state, organizations, plugin state,
 *    leases, alerts, reference rows) gets the same statement shape on every
 *    backend.
 * Identifiers come from the schema tables only; values are parameters only.
 *
 * Where DDL is transactional (SQLite, PostgreSQL) a migration's objects and
 * its record commit together. Where it is not (MySQL/MariaDB: every CREATE
 * or DROP commits at once), a dialect sets ddl_rerunnable and every CREATE
 * here skips what exists, so a migration that failed half-way is finished
 * by running the same command again (the DROPs already say IF EXISTS). An
 * added column has no such clause in every product: sql_migrate.c skips
 * adding one that exists, and dropping one that is gone. */
#include "store/sql/dict_text.h"
#include "store/sql/schema.h"
#include "store/sql/sqlstore.h"
#include "model/entity.h"

#include <stdio.h>
#include <string.h>

static int column(const cs_sql_dialect *d, const cs_sql_col *c, cs_buf *b)
{
	int bad = cs_sql_ident(b, c->name);
	if (c->role == CS_ROLE_SERIAL)
		return bad | cs_buf_printf(b, " %s", d->serial_pk);
	bad |= cs_buf_printf(b, " %s", d->type[c->role]);
	if (c->flags & CS_SQLCOL_PK)
		bad |= cs_buf_puts(b, " PRIMARY KEY");
	if (c->flags & CS_SQLCOL_NOT_NULL)
		bad |= cs_buf_puts(b, " NOT NULL");
	if (c->flags & CS_SQLCOL_UNIQUE)
		bad |= cs_buf_puts(b, " UNIQUE");
	if (c->dflt)
		bad |= cs_buf_printf(b, " DEFAULT %s", c->dflt);
	if (c->check)
		bad |= cs_buf_printf(b, " CHECK (%s)", c->check);
	return bad;
}

static int create_table(const cs_sql_dialect *d, const cs_sql_table *t, cs_buf *b)
{
	int bad = cs_buf_puts(b, d->ddl_rerunnable ? "CREATE TABLE IF NOT EXISTS "
						   : "CREATE TABLE ");
	bad |= cs_sql_ident(b, t->name);
	bad |= cs_buf_puts(b, " (");
	for (size_t i = 0; i < t->ncols; i++) {
		if (i)
			bad |= cs_buf_puts(b, ", ");
		bad |= column(d, &t->cols[i], b);
	}
	if (t->pk)
		bad |= cs_buf_printf(b, ", PRIMARY KEY (%s)", t->pk);
	bad |= cs_buf_puts(b, ")");
	if (t->key_only)
		bad |= cs_buf_puts(b, "@key_only_table");
	bad |= cs_buf_printf(b, "%s;", d->table_suffix ? d->table_suffix : "");
	return bad;
}

static int create_index(const cs_sql_dialect *d, const cs_sql_index *x, cs_buf *b)
{
	int partial = x->where && d->partial_indexes;
	const char *cols = x->where && !partial && x->full_cols ? x->full_cols : x->cols;
	int bad = cs_buf_printf(b, "CREATE %sINDEX %s", x->unique ? "UNIQUE " : "",
				d->ddl_rerunnable ? "IF NOT EXISTS " : "");
	bad |= cs_sql_ident(b, x->name);
	bad |= cs_buf_puts(b, " ON ");
	bad |= cs_sql_ident(b, x->table);
	bad |= cs_buf_printf(b, " (%s)", cols);
	if (partial)
		bad |= cs_buf_printf(b, " WHERE %s", x->where);
	return bad | cs_buf_puts(b, ";");
}

static int entity_tables(const cs_sql_dialect *d, cs_buf *b, int create)
{
	int bad = 0;
	for (int e = 0; e < CS_ENT_COUNT; e++) {
		int k = create ? e : CS_ENT_COUNT - 1 - e;
		const cs_sql_table *t = cs_sql_entity_table(k);
		if (!create) {
			bad |= cs_buf_puts(b, "DROP TABLE IF EXISTS ");
			bad |= cs_sql_ident(b, t->name);
			bad |= cs_buf_puts(b, ";");
			continue;
		}
		size_t n = 0;
		const cs_sql_index *ix = cs_sql_entity_indexes(k, &n);
		bad |= create_table(d, t, b);
		for (size_t i = 0; i < n; i++)
			bad |= create_index(d, &ix[i], b);
	}
	return bad;
}

/* ---- views ---- */

static int create_view_head(const cs_sql_dialect *d, const cs_sql_view *v, cs_buf *b)
{
	int bad = cs_buf_puts(b, d->ddl_rerunnable ? "CREATE OR REPLACE VIEW " : "CREATE VIEW ");
	return bad | cs_sql_ident(b, v->name) | cs_buf_puts(b, " AS ");
}

/* The view's SELECT in the dialect: a dialect may plan a view differently
 * ("view.<name>"); its rows must be the same. */
static const char *view_select(const cs_sql_dialect *d, const cs_sql_view *v)
{
	char key[80];
	snprintf(key, sizeof(key), "view.%s", v->name);
	return cs_sql_text(d, key, v->select);
}

/* The column of view_column_types declared as role is declared. */
static const char *typed_column(int role)
{
	const cs_sql_table *t = &cs_sql_view_column_types;
	for (size_t i = 0; i < t->ncols; i++)
		if (t->cols[i].role == role)
			return t->cols[i].name;
	return NULL;
}

/* tv.column converted by the dialect's template for its role ($1: the
 * column), or CAST to the type. */
static int cast(cs_buf *b, const char *tmpl, const char *column, const char *type)
{
	const char *at = tmpl ? strstr(tmpl, "$1") : NULL;
	if (!at)
		return cs_buf_printf(b, "CAST(tv.\"%s\" AS %s) AS ", column, type);
	return cs_buf_append(b, tmpl, (size_t)(at - tmpl)) |
	       cs_buf_printf(b, "tv.\"%s\"%s AS ", column, at + 2);
}

/* The view with each column declared as its role, in the order and with the
 * roles the data dictionary lists (sql_dict_text.c): one description, read
 * by `db schema` and here. The view's own SELECT is the derived table tv,
 * whose columns are taken by name, so a column the list names and the view
 * lacks fails the migration rather than take another's place.
 *  - A dialect with view_cast: CAST(tv.c AS type) per column (or the
 *    dialect's template for the role). The rows are the same: every value
 *    already has its column's type or one that converts without loss.
 *  - SQLite, where a CAST gives a view column no declared type (3.40): the
 *    columns of a first UNION ALL arm that reads no row from
 *    view_column_types, whose column of each role is declared as the role
 *    is; SQLite declares a compound's columns as its first arm's. A filter
 *    on the view still reaches the real arm's indexes (pushed down). */
static int create_typed_view(const cs_sql_dialect *d, const cs_sql_view *v, cs_buf *b)
{
	int bad = create_view_head(d, v, b) | cs_buf_puts(b, "SELECT "), n = 0;
	for (int arm = d->view_cast ? 1 : 0; arm < 2; arm++) {
		n = 0;
		if (arm == 1 && !d->view_cast)
			bad |= cs_buf_printf(b, " FROM \"%s\" k WHERE 1 = 0 UNION ALL SELECT ",
					     cs_sql_view_column_types.name);
		for (size_t i = 0; i < cs_sql_dict_ntexts; i++) {
			const cs_sql_dict_text *t = &cs_sql_dict_texts[i];
			if (!t->column || t->role < 0 || strcmp(t->table, v->name))
				continue;
			const char *type = d->view_type[t->role] ? d->view_type[t->role]
								 : d->type[t->role];
			bad |= cs_buf_puts(b, n++ ? ", " : "");
			if (arm == 0) {
				const char *k = typed_column(t->role);
				bad |= (k == NULL) | cs_buf_printf(b, "k.\"%s\" AS ", k ? k : "");
			} else if (d->view_cast) {
				bad |= cast(b, d->view_cast_to[t->role], t->column, type);
			} else {
				bad |= cs_buf_puts(b, "tv.");
			}
			bad |= cs_sql_ident(b, t->column);
		}
	}
	bad |= n == 0; /* a view the dictionary does not list */
	return bad | cs_buf_printf(b, " FROM (%s) tv;", view_select(d, v));
}

int cs_sql_ddl_create(const cs_sql_dialect *d, const cs_sql_obj *o, cs_buf *b)
{
	switch (o->kind) {
	case CS_OBJ_TABLE:
		return create_table(d, o->def, b);
	case CS_OBJ_INDEX:
		return create_index(d, o->def, b);
	case CS_OBJ_VIEW:
		return create_view_head(d, o->def, b) |
		       cs_buf_printf(b, "%s;", view_select(d, o->def));
	case CS_OBJ_VIEW_TYPED:
		return create_typed_view(d, o->def, b);
	case CS_OBJ_VIEW_REPLACED: /* the earlier migration's view goes */
		return cs_sql_ddl_drop(d, &(cs_sql_obj){CS_OBJ_VIEW, o->def}, b);
	case CS_OBJ_BACKFILL: /* run by sql_migrate.c, no DDL */
		return 0;
	case CS_OBJ_ENTITY_TABLES:
		return entity_tables(d, b, 1);
	case CS_OBJ_COLUMN: {
		/* no IF NOT EXISTS: not every product has it (MySQL 8 has not);
		 * where DDL is not transactional the migration asks first */
		const cs_sql_added_col *a = o->def;
		int bad = cs_buf_puts(b, "ALTER TABLE ");
		bad |= cs_sql_ident(b, a->table);
		bad |= cs_buf_puts(b, " ADD COLUMN ");
		bad |= column(d, &a->col, b);
		return bad | cs_buf_puts(b, ";");
	}
	}
	return -1;
}

int cs_sql_ddl_drop(const cs_sql_dialect *d, const cs_sql_obj *o, cs_buf *b)
{
	static const char *const what[] = {[CS_OBJ_TABLE] = "TABLE", [CS_OBJ_INDEX] = "INDEX",
					   [CS_OBJ_VIEW] = "VIEW"};
	const char *name = NULL;
	switch (o->kind) {
	case CS_OBJ_TABLE:
		name = ((const cs_sql_table *)o->def)->name;
		break;
	case CS_OBJ_INDEX:
		name = ((const cs_sql_index *)o->def)->name;
		/* in some products an index belongs to its table's namespace */
		return cs_buf_printf(b, "@drop_index(\"%s\", \"%s\");", name,
				     ((const cs_sql_index *)o->def)->table);
	case CS_OBJ_VIEW:
		name = ((const cs_sql_view *)o->def)->name;
		break;
	case CS_OBJ_VIEW_TYPED:
		name = ((const cs_sql_view *)o->def)->name;
		return cs_buf_puts(b, "DROP VIEW IF EXISTS ") | cs_sql_ident(b, name) |
		       cs_buf_puts(b, ";");
	case CS_OBJ_VIEW_REPLACED: /* the earlier migration's view, as it was */
		return cs_sql_ddl_create(d, &(cs_sql_obj){CS_OBJ_VIEW, o->def}, b);
	case CS_OBJ_BACKFILL:
		return 0;
	case CS_OBJ_ENTITY_TABLES:
		return entity_tables(d, b, 0);
	case CS_OBJ_COLUMN: {
		const cs_sql_added_col *a = o->def;
		int bad = cs_buf_puts(b, "ALTER TABLE ");
		bad |= cs_sql_ident(b, a->table);
		bad |= cs_buf_puts(b, " DROP COLUMN ");
		bad |= cs_sql_ident(b, a->col.name);
		return bad | cs_buf_puts(b, ";");
	}
	default:
		return -1;
	}
	int bad = cs_buf_printf(b, "DROP %s IF EXISTS ", what[o->kind]);
	bad |= cs_sql_ident(b, name);
	return bad | cs_buf_puts(b, ";");
}

/* ---- upserts ---- */

/* Whether name is in the comma list (no spaces). */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && !memcmp(p, name, n))
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int key_list(const cs_sql_upsert *u, cs_buf *keys)
{
	int bad = 0;
	for (int i = 0; i < u->nkey; i++) {
		if (i)
			bad |= cs_buf_puts(keys, ", ");
		bad |= cs_sql_ident(keys, u->cols[i]);
	}
	return bad;
}

/* The incoming value of column c. */
static int excluded(const cs_sql_dialect *d, const char *c, cs_buf *b)
{
	return cs_buf_printf(b, d->excluded, c);
}

/* The incoming guard is not older than the stored one (or either is unknown). */
static int guard_cond(const cs_sql_dialect *d, const cs_sql_upsert *u, cs_buf *b)
{
	int bad = cs_buf_puts(b, "(");
	bad |= excluded(d, u->guard, b);
	bad |= cs_buf_printf(b, " IS NULL OR \"%s\".\"%s\" IS NULL OR @ts(", u->table, u->guard);
	bad |= excluded(d, u->guard, b);
	bad |= cs_buf_printf(b, ") >= @ts(\"%s\".\"%s\"))", u->table, u->guard);
	return bad;
}

static int set_one(const cs_sql_dialect *d, const cs_sql_upsert *u, const char *c, cs_buf *b)
{
	int bad = cs_sql_ident(b, c);
	bad |= cs_buf_puts(b, " = ");
	if (u->guard && !listed(u->unguarded, c)) {
		bad |= cs_buf_puts(b, "CASE WHEN ");
		bad |= guard_cond(d, u, b);
		bad |= cs_buf_puts(b, " THEN ");
		bad |= excluded(d, c, b);
		return bad | cs_buf_printf(b, " ELSE \"%s\".\"%s\" END", u->table, c);
	}
	if (listed(u->keep_if_null, c))
		bad |= cs_buf_puts(b, "COALESCE(");
	bad |= excluded(d, c, b);
	if (listed(u->keep_if_null, c))
		bad |= cs_buf_printf(b, ", \"%s\".\"%s\")", u->table, c);
	return bad;
}

/* The guard column goes last: some products (MySQL) let a later assignment
 * see an earlier one's new value, and every guard must see the old one. */
static int set_list(const cs_sql_dialect *d, const cs_sql_upsert *u, cs_buf *b)
{
	int bad = 0, first = 1;
	for (int i = u->nkey; i < u->ncols; i++) {
		const char *c = u->cols[i];
		if (listed(u->insert_only, c) || (u->guard && !strcmp(c, u->guard)))
			continue;
		bad |= cs_buf_puts(b, first ? "" : ", ");
		first = 0;
		bad |= set_one(d, u, c, b);
	}
	if (u->guard) {
		bad |= cs_buf_puts(b, first ? "" : ", ");
		bad |= set_one(d, u, u->guard, b);
	}
	return bad;
}

int cs_sql_upsert_text(const cs_sql_dialect *d, const cs_sql_upsert *u, cs_buf *b)
{
	cs_buf keys = CS_BUF_INIT;
	int bad = cs_buf_printf(b, "%s INTO ", u->ignore ? d->insert_ignore : "INSERT");
	bad |= cs_sql_ident(b, u->table);
	bad |= cs_buf_puts(b, " (");
	for (int i = 0; i < u->ncols; i++) {
		bad |= cs_buf_puts(b, i ? ", " : "");
		bad |= cs_sql_ident(b, u->cols[i]);
	}
	bad |= cs_buf_puts(b, ") VALUES ");
	for (int r = 0; r < (u->rows > 1 ? u->rows : 1); r++) {
		bad |= cs_buf_puts(b, r ? ", (" : "(");
		for (int i = 0; i < u->ncols; i++)
			bad |= cs_buf_printf(b, "%s?%d", i ? ", " : "", r * u->ncols + i + 1);
		bad |= cs_buf_puts(b, ")");
	}
	if (u->ignore) {
		bad |= cs_buf_puts(b, d->ignore_suffix);
	} else {
		bad |= key_list(u, &keys);
		bad |= cs_buf_printf(b, d->conflict, cs_buf_str(&keys));
		bad |= set_list(d, u, b);
	}
	cs_buf_release(&keys);
	return bad;
}
