#ifndef CS_PGSQL_INT_H
#define CS_PGSQL_INT_H
/* The PostgreSQL backend's connection and statements. Private to
 * store/pgsql/. */
#include "store/sql/sql.h"

#include <libpq-fe.h>

typedef struct cs_pgsql {
	cs_sql base; /* must be first */
	PGconn *conn;
	const char *const *keys; /* PQconnectdbParams, for reconnecting */
	const char *const *vals;
	char conninfo[8][1024]; /* storage behind vals */
	long long changes;     /* rows the last command changed */
	unsigned next_name;    /* server-side statement names */
} cs_pgsql;

typedef struct cs_pgsql_param {
	char *v; /* NULL: SQL NULL */
	size_t cap;
} cs_pgsql_param;

typedef struct cs_pgsql_stmt {
	cs_sql_stmt base; /* must be first */
	char *sql;        /* with $N parameters */
	char name[24];    /* server-side name when kept, "" for one-shot */
	int nparams;
	cs_pgsql_param *params;
	Oid *types; /* 0: inferred by the server */
	PGresult *res;
	PGresult *desc; /* the statement's columns, when asked before a step */
	int row, executed;
	char (*conv)[64]; /* per column: a time or number in the form SQLite shows */
	int nconv;
} cs_pgsql_stmt;

extern const cs_sql_driver cs_pgsql_driver;
extern const cs_sql_dialect cs_pgsql_dialect;

/* Maps a failed result (or a dead connection when res is NULL) to a cs_err:
 * "cannot <what> in database '<name>': <why, and what to do>". */
int cs_pgsql_fail(cs_pgsql *c, const PGresult *res, const char *what, cs_err *err);

#endif
