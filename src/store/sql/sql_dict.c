/* The data dictionary (store/dict.h), read off the schema data: the tables
 * and views each migration makes, their columns and roles (so the declared
 * type on each backend is the one its DDL uses), the API field and Classy's
 * description of each mirrored column (model/entities.c) and the project's
 * words for the rest (sql_dict_text.c). It never opens a database and never
 * reads Classy's document: a user's clone does not carry it. */
#include "store/dict.h"
#include "store/backends.h"
#include "store/sql/dict_text.h"
#include "store/sql/schema.h"
#include "model/entity.h"

#include <string.h>

#define MAX_DICT_COLS 256

static const char *const logical_of_role[CS_ROLE_COUNT] = {
	[CS_ROLE_ID] = "id",          [CS_ROLE_SERIAL] = "serial",  [CS_ROLE_INT] = "integer",
	[CS_ROLE_BOOL] = "boolean",   [CS_ROLE_MONEY] = "money",    [CS_ROLE_REAL] = "number",
	[CS_ROLE_TIME] = "datetime",  [CS_ROLE_DATE] = "date",      [CS_ROLE_KEY] = "text",
	[CS_ROLE_TEXT] = "text",      [CS_ROLE_JSON] = "json",
};

static const char *const backend_names[CS_DICT_NBACKENDS] = {"sqlite", "postgresql", "mysql"};

const char *cs_dict_backend_name(int backend)
{
	return backend >= 0 && backend < CS_DICT_NBACKENDS ? backend_names[backend] : NULL;
}

static const cs_sql_dialect *dialect(int backend)
{
	switch (backend) {
	case CS_DICT_SQLITE:
		return cs_sqlite_dialect_get();
	case CS_DICT_POSTGRESQL:
		return cs_pgsql_dialect_get();
	default:
		return cs_mysql_dialect_get();
	}
}

/* The project's words for table.column (column NULL: the table), an entity
 * table's falling back to the words for every entity table ("*"). */
static const cs_sql_dict_text *text_of(const char *table, const char *column, int entity)
{
	for (int pass = 0; pass < 2; pass++) {
		const char *want = pass ? "*" : table;
		if (pass && !entity)
			break;
		for (size_t i = 0; i < cs_sql_dict_ntexts; i++) {
			const cs_sql_dict_text *t = &cs_sql_dict_texts[i];
			if (!strcmp(t->table, want) &&
			    (column ? t->column && !strcmp(t->column, column) : !t->column))
				return t;
		}
	}
	return NULL;
}

/* is_view: a view's column, declared as its dialect declares a view
 * column of the role (sql.h: view_type; migration 8 made them so). */
static void fill(cs_dict_col *c, const char *name, int role, const char *api_field,
		 const char *desc, int is_view)
{
	c->name = name;
	c->logical = logical_of_role[role];
	for (int b = 0; b < CS_DICT_NBACKENDS; b++) {
		const cs_sql_dialect *d = dialect(b);
		c->type[b] = !d ? NULL : is_view && d->view_type[role] ? d->view_type[role]
								       : d->type[role];
	}
	c->api_field = api_field;
	c->desc = desc;
}

/* One table column: mirrored from the API (entity e) or the project's own. */
static void table_col(cs_dict_col *c, const char *table, const cs_sql_col *col,
		      const cs_entity *e)
{
	int i = e ? cs_entity_column_index(e, col->name) : -1;
	const cs_sql_twin *cents = e ? cs_sql_cents_find(table, col->name) : NULL;
	if (cents) {
		fill(c, col->name, col->role, NULL, cents->desc, 0);
	} else if (i >= 0) {
		fill(c, col->name, col->role, col->name, e->columns[i].desc, 0);
	} else if (e && !strcmp(col->name, "id")) {
		fill(c, col->name, col->role, "id", e->id_desc, 0);
	} else {
		const cs_sql_dict_text *t = text_of(table, col->name, e != NULL);
		fill(c, col->name, col->role, NULL, t ? t->desc : NULL, 0);
	}
}

static int emit_table(const cs_sql_table *t, const cs_entity *e,
		      int (*fn)(const cs_dict_table *, void *), void *arg)
{
	cs_dict_col cols[MAX_DICT_COLS];
	size_t n = 0;
	for (size_t i = 0; i < t->ncols && n < MAX_DICT_COLS; i++)
		table_col(&cols[n++], t->name, &t->cols[i], e);
	/* the columns later migrations add, in their order */
	for (unsigned m = 0; m < cs_sql_nmigrations; m++)
		for (size_t k = 0; k < cs_sql_migrations[m].nobjs; k++) {
			size_t nx = 0;
			const cs_sql_obj *x = cs_sql_obj_expand(&cs_sql_migrations[m].objs[k], &nx);
			for (size_t j = 0; j < nx; j++) {
				const cs_sql_added_col *a = x[j].def;
				if (x[j].kind == CS_OBJ_COLUMN && !strcmp(a->table, t->name) &&
				    n < MAX_DICT_COLS)
					table_col(&cols[n++], t->name, &a->col, e);
			}
		}
	const cs_sql_dict_text *d = text_of(t->name, NULL, 0);
	cs_dict_table out = {t->name, 0, e ? e->schema : NULL, d ? d->desc : NULL, cols, n};
	return fn(&out, arg);
}

/* A table or view whose columns are listed in sql_dict_text.c: a view, or
 * schema_migrations (its DDL is text in sql_migrate.c: it records the list). */
static int emit_listed(const char *name, int is_view, int (*fn)(const cs_dict_table *, void *),
		       void *arg)
{
	cs_dict_col cols[MAX_DICT_COLS];
	size_t n = 0;
	for (size_t i = 0; i < cs_sql_dict_ntexts && n < MAX_DICT_COLS; i++) {
		const cs_sql_dict_text *t = &cs_sql_dict_texts[i];
		if (t->column && t->role >= 0 && !strcmp(t->table, name))
			fill(&cols[n++], t->column, t->role, NULL, t->desc, is_view);
	}
	const cs_sql_dict_text *d = text_of(name, NULL, 0);
	cs_dict_table out = {name, is_view, NULL, d ? d->desc : NULL, cols, n};
	return fn(&out, arg);
}

int cs_dict_each(int (*fn)(const cs_dict_table *t, void *arg), void *arg)
{
	int rc = emit_listed("schema_migrations", 0, fn, arg);
	if (rc)
		return rc;
	for (int views = 0; views < 2; views++)
		for (unsigned m = 0; m < cs_sql_nmigrations; m++)
			for (size_t k = 0; k < cs_sql_migrations[m].nobjs; k++) {
				const cs_sql_obj *o = &cs_sql_migrations[m].objs[k];
				if (views && o->kind == CS_OBJ_VIEW)
					rc = emit_listed(((const cs_sql_view *)o->def)->name, 1,
							 fn, arg);
				else if (!views && o->kind == CS_OBJ_TABLE)
					rc = emit_table(o->def, NULL, fn, arg);
				else if (!views && o->kind == CS_OBJ_ENTITY_TABLES)
					for (int e = 0; e < CS_ENT_COUNT && !rc; e++)
						rc = emit_table(cs_sql_entity_table(e),
								&cs_entities[e], fn, arg);
				if (rc)
					return rc;
			}
	return 0;
}
