#ifndef CS_STORE_DICT_H
#define CS_STORE_DICT_H
/* The data dictionary: every table and view the migrations make, each
 * column with its logical type, its declared type on each SQL backend, the
 * Classy API field it mirrors and what it means. Built from the schema data
 * (store/sql/schema.h), the entity tables (model/entity.h, whose
 * descriptions are Classy's OpenAPI document's own) and the project's words
 * for its own columns (sql_dict_text.c). Needs no database. */
#include <stddef.h>

enum cs_dict_backend { CS_DICT_SQLITE = 0, CS_DICT_POSTGRESQL, CS_DICT_MYSQL, CS_DICT_NBACKENDS };

typedef struct cs_dict_col {
	const char *name;
	const char *logical; /* "integer", "money", "datetime", "json", ... */
	/* declared type per enum cs_dict_backend; NULL for a backend this
	 * build has not (its library was missing) */
	const char *type[CS_DICT_NBACKENDS];
	const char *api_field; /* the Classy API field it mirrors, or NULL */
	const char *desc;
} cs_dict_col;

typedef struct cs_dict_table {
	const char *name;
	int is_view;
	const char *api_schema; /* the Classy OpenAPI schema of its rows, or NULL */
	const char *desc;
	const cs_dict_col *cols;
	size_t ncols;
} cs_dict_table;

/* The backend's DB_TYPE name ("sqlite", "postgresql", "mysql"). */
const char *cs_dict_backend_name(int backend);
/* Calls fn for every table, then every view, in migration order; stops at
 * and returns fn's first nonzero result. */
int cs_dict_each(int (*fn)(const cs_dict_table *t, void *arg), void *arg);

#endif
