#ifndef CS_SQL_DICT_TEXT_H
#define CS_SQL_DICT_TEXT_H
/* The project's own words for the data dictionary (sql_dict_text.c): what
 * each table and view is, and each column the API does not describe
 * (bookkeeping, aggregates, every view column). A view's columns are listed
 * here with their role, in the view's order, because a view is SQL text.
 * Private to store/sql/. */
#include <stddef.h>

typedef struct cs_sql_dict_text {
	const char *table;  /* a table or view; "*" is every entity table */
	const char *column; /* NULL: the table's own description */
	int role; /* a listed column's enum cs_sql_role (a view's, schema_migrations');
		   * -1 for a column of a table the schema data describes */
	const char *desc;
} cs_sql_dict_text;

extern const cs_sql_dict_text cs_sql_dict_texts[];
extern const size_t cs_sql_dict_ntexts;

#endif
