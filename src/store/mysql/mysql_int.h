#ifndef CS_MYSQL_INT_H
#define CS_MYSQL_INT_H
/* The MySQL/MariaDB backend's connection, statements and the helpers its
 * files share. Private to store/mysql/. */
#include "store/sql/sql.h"

#include <mysql.h>

typedef struct cs_mysql_stmt cs_mysql_stmt;

typedef struct cs_mysql {
	cs_sql base; /* must be first */
	MYSQL *conn;
	/* where to connect, from DATABASE_URL or the DB_* settings */
	char host[256], user[256], password[256], db[256];
	char socket[108]; /* a Unix socket path is at most 108 bytes */
	unsigned port; /* 0: the default */
	long long changes;        /* rows the last statement matched */
	cs_mysql_stmt *streaming; /* the statement whose rows are being read */
} cs_mysql;

/* A parameter by its number (?N): every position that names N binds the
 * same storage. Values are copied, so the core's text may go away. */
typedef struct cs_mysql_param {
	enum enum_field_types type; /* MYSQL_TYPE_NULL when NULL */
	long long i;
	double r;
	MYSQL_TIME t;
	char *s; /* text, decimal */
	size_t cap;
	unsigned long len;
	my_bool is_null;
} cs_mysql_param;

/* One result column: fetched in its own type (integers, doubles, times) or
 * as text into a buffer that grows to the longest value seen. */
typedef struct cs_mysql_col {
	enum enum_field_types type; /* the server's */
	enum enum_field_types fetch;
	long long i;
	double r;
	MYSQL_TIME t;
	char *s;
	size_t cap;
	unsigned long len;
	my_bool is_null, error;
	char text[48]; /* an integer, double or time as text */
} cs_mysql_col;

struct cs_mysql_stmt {
	cs_sql_stmt base; /* must be first */
	MYSQL_STMT *st;
	int npos;        /* positional ? in the text */
	int *num_of_pos; /* position -> parameter number (1-based) */
	int nparams;     /* highest parameter number */
	cs_mysql_param *params;
	MYSQL_BIND *pbind; /* per position */
	MYSQL_RES *meta;   /* the columns, from prepare on (NULL: no rows) */
	int ncols;
	cs_mysql_col *cols;
	MYSQL_BIND *rbind;
	int executed, has_rows, done;
};

extern const cs_sql_driver cs_mysql_driver;
extern const cs_sql_dialect cs_mysql_dialect;

/* mysql_fail.c: maps a MySQL error number to a cs_err: "cannot <what> in
 * database '<name>': <why, and what to do> (<server message>)". */
int cs_mysql_fail(cs_mysql *c, unsigned errnum, const char *msg, const char *what, cs_err *err);
/* "cannot connect to database '<name>': ..." for a failed connect. */
int cs_mysql_fail_connect(cs_mysql *c, cs_err *err);
/* The same for the connection's last error, and for a statement's. */
int cs_mysql_fail_conn(cs_mysql *c, const char *what, cs_err *err);
int cs_mysql_fail_stmt(cs_mysql_stmt *s, const char *what, cs_err *err);

/* mysql_rows.c: result columns (set up after execute) and their reading. */
int cs_mysql_rows_setup(cs_mysql_stmt *s, cs_err *err);
int cs_mysql_rows_fetch(cs_mysql_stmt *s, cs_err *err); /* CS_SQL_ROW, CS_SQL_DONE, < 0 */
void cs_mysql_rows_free(cs_mysql_stmt *s);
int cs_mysql_col_kind(cs_mysql_stmt *s, int i);
const char *cs_mysql_col_text(cs_mysql_stmt *s, int i);
long long cs_mysql_col_int(cs_mysql_stmt *s, int i);
double cs_mysql_col_real(cs_mysql_stmt *s, int i);

#endif
