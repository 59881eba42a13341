#ifndef CS_SQL_H
#define CS_SQL_H
/* The SQL core: what every SQL backend shares, written once.
 *
 *  - a connection (cs_sql) is a driver (how to talk to one database
 *    product: prepare, bind, step, read, error mapping) plus a dialect (what
 *    its SQL text looks like: types, upsert syntax, a few functions);
 *  - one statement helper that every query of the store goes through:
 *    cs_sql_prepare / bind by type / cs_sql_step / column readers /
 *    cs_sql_finalize, and cs_sql_exec / cs_sql_query for one-shot work;
 *  - SQL text in the core is written once with numbered parameters (?1,
 *    ?2 ...; a number may repeat) and a few dialect words (@name or
 *    @name(args), see sql_text.c), expanded for the connection's dialect
 *    when a statement is prepared.
 *
 * A backend supplies only a driver and a dialect (store/sqlite/ is one);
 * the store's operations (the sql_*.c files) are the same for every backend. */
#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>

typedef struct cs_sql cs_sql;
typedef struct cs_sql_stmt cs_sql_stmt;
typedef struct cs_sql_dialect cs_sql_dialect;

/* Column (and value) kinds a driver reports and binds. */
/* CS_SQL_MONEY and CS_SQL_JSON are kinds of values bound (cs_sql_val), never
 * of columns read */
enum cs_sql_kind {
	CS_SQL_NULL = 0,
	CS_SQL_INT,
	CS_SQL_REAL,
	CS_SQL_TEXT,
	CS_SQL_TIME,
	CS_SQL_MONEY,
	CS_SQL_JSON
};

/* cs_sql_step results besides errors (< 0). */
enum { CS_SQL_DONE = 0, CS_SQL_ROW = 1 };

/* Every statement of every driver starts with this. */
struct cs_sql_stmt {
	cs_sql *conn;
	const char *what; /* what the statement is for, for error messages */
};

/* How one database product is spoken to. Every function that can fail maps
 * the product's error to a cs_err through the connection (map_error). */
typedef struct cs_sql_driver {
	const char *name;
	/* sql has its parameters as ?1 ?2 ...; the driver rewrites them into
	 * its own form. persistent: the statement is kept for the whole
	 * connection (a hot path), a hint. A failure says "cannot <what>". */
	int (*prepare)(cs_sql *c, const char *sql, const char *what, int persistent,
		       cs_sql_stmt **out, cs_err *err);
	/* binders return 0 or a negative driver failure (out of memory) */
	int (*bind_null)(cs_sql_stmt *st, int i);
	int (*bind_int)(cs_sql_stmt *st, int i, long long v);
	int (*bind_real)(cs_sql_stmt *st, int i, double v);
	/* len < 0: NUL-terminated. The text must stay valid until the
	 * statement is next stepped or reset; a driver that needs it longer
	 * copies it. */
	int (*bind_text)(cs_sql_stmt *st, int i, const char *v, int len);
	/* A time in the stored form (UTC ISO 8601 with Z) or a YYYY-MM-DD
	 * date, for a TIME/DATE column; NULL: bound as text. */
	int (*bind_time)(cs_sql_stmt *st, int i, const char *iso);
	/* An exact amount in ten-thousandths (util/money.h) for a MONEY
	 * column; NULL: bound as a double. */
	int (*bind_money)(cs_sql_stmt *st, int i, long long units);
	/* A JSON document (len bytes) for a JSON column, raw_json; NULL:
	 * bound as text. A product that cannot hold every valid document as
	 * it is (PostgreSQL's jsonb and the NUL character) adjusts it here. */
	int (*bind_json)(cs_sql_stmt *st, int i, const char *v, int len);
	int (*step)(cs_sql_stmt *st, cs_err *err); /* CS_SQL_ROW, CS_SQL_DONE or < 0 */
	void (*reset)(cs_sql_stmt *st);             /* ready to step again; bindings kept */
	void (*clear)(cs_sql_stmt *st);             /* every parameter back to NULL */
	void (*finalize)(cs_sql_stmt *st);
	int (*column_count)(cs_sql_stmt *st);
	const char *(*column_name)(cs_sql_stmt *st, int i);
	int (*column_kind)(cs_sql_stmt *st, int i); /* enum cs_sql_kind */
	long long (*column_int)(cs_sql_stmt *st, int i);
	double (*column_real)(cs_sql_stmt *st, int i);
	const char *(*column_text)(cs_sql_stmt *st, int i); /* NULL for SQL NULL */
	long long (*changes)(cs_sql *c);                    /* rows the last statement changed */
	long long (*last_id)(cs_sql *c, cs_sql_stmt *st);   /* id of the row just inserted */
	/* Runs a script of ;-separated statements without parameters. */
	int (*exec)(cs_sql *c, const char *sql, const char *what, cs_err *err);
	int (*has_table)(cs_sql *c, const char *name); /* table or view */
} cs_sql_driver;

/* One dialect word: @name or @name(a, b) in core SQL becomes `text`, where
 * $1 .. $9 are the arguments (themselves expanded first). */
typedef struct cs_sql_word {
	const char *name;
	const char *text;
} cs_sql_word;

/* For a server's @j_time and @j_date (sql_backfill.c): the date a time
 * text x starts with ("YYYY-MM-DD...") is on the calendar: its day within
 * its month's length, February 29 in a leap year only, as the writer's
 * parser has it (util/timeutil.c). A server's cast of "2021-02-30" fails
 * the statement, and so the whole migration, for one odd stored value. x
 * must have matched the time pattern in an outer CASE first, so these
 * casts cannot fail; i is the dialect's integer type for CAST. */
#define CS_SQL_YEAR_(x, i) "CAST(SUBSTR(" x ", 1, 4) AS " i ")"
#define CS_SQL_DAY_EXISTS(x, i)                                                              \
	"CAST(SUBSTR(" x ", 9, 2) AS " i ") <= CASE CAST(SUBSTR(" x ", 6, 2) AS " i ")"        \
	" WHEN 2 THEN CASE WHEN MOD(" CS_SQL_YEAR_(x, i) ", 4) = 0 AND (MOD(" CS_SQL_YEAR_(x, i) \
	", 100) <> 0 OR MOD(" CS_SQL_YEAR_(x, i) ", 400) = 0) THEN 29 ELSE 28 END"            \
	" WHEN 4 THEN 30 WHEN 6 THEN 30 WHEN 9 THEN 30 WHEN 11 THEN 30 ELSE 31 END"

/* Column roles: what a column holds. The dialect names a type for each. */
enum cs_sql_role {
	CS_ROLE_ID = 0,  /* 64-bit integer key given by the API (no autoincrement) */
	CS_ROLE_SERIAL,  /* 64-bit integer primary key the database assigns */
	CS_ROLE_INT,     /* 64-bit integer */
	CS_ROLE_BOOL,    /* 0/1 */
	CS_ROLE_MONEY,   /* exact decimal amount (util/money.h) */
	CS_ROLE_REAL,    /* a plain number (thresholds) */
	CS_ROLE_TIME,    /* UTC datetime, ms precision */
	CS_ROLE_DATE,    /* calendar date */
	CS_ROLE_KEY,     /* short text used in keys and indexes (names, codes) */
	CS_ROLE_TEXT,    /* text of any length */
	CS_ROLE_JSON,    /* a JSON document (raw_json) */
	CS_ROLE_COUNT
};

struct cs_sql_dialect {
	const char *name;
	const char *type[CS_ROLE_COUNT];
	const char *serial_pk;     /* whole column declaration tail for CS_ROLE_SERIAL */
	const char *begin_write;   /* a transaction that takes the write lock at once */
	const char *begin_read;    /* a consistent read snapshot */
	const char *table_suffix;  /* after CREATE TABLE (...), e.g. a charset */
	int partial_indexes;       /* CREATE INDEX ... WHERE works */
	/* rows per upsert statement while writing pages: 1 writes each record
	 * at once (SQLite: no round trip to save); more batch them (servers) */
	int batch_rows;
	/* DDL that can be run again: CREATE TABLE / INDEX IF NOT EXISTS and
	 * CREATE OR REPLACE VIEW, for a product whose DDL is not transactional
	 * (a migration that failed half-way is completed by running it again) */
	int ddl_rerunnable;
	/* one ALTER TABLE takes several ADD COLUMN / DROP COLUMN clauses: a
	 * migration's columns of one table go in one statement (a server pays
	 * for each: MariaDB took 20 s for migration 9's 216 one by one) */
	int alter_many;
	/* INSERT that skips rows whose key exists: prefix and suffix of the
	 * INSERT (the suffix goes after VALUES/SELECT). */
	const char *insert_ignore, *ignore_suffix;
	/* Upsert: `conflict` goes after VALUES with %s the key column list;
	 * `excluded` names the incoming value of column %s. */
	const char *conflict, *excluded;
	/* A view's declared column types (schema.h: CS_OBJ_VIEW_TYPED, made in
	 * sql_ddl.c): 1, a CAST per column (CAST($1 AS <its type>), or the
	 * template view_cast_to[role], $1 the column); 0, a first UNION ALL arm
	 * without rows over view_column_types, for a product whose CAST declares
	 * nothing (SQLite). view_type[role]: the type a view column of that role
	 * declares, where not type[role]. */
	int view_cast;
	const char *view_type[CS_ROLE_COUNT];
	const char *view_cast_to[CS_ROLE_COUNT];
	const cs_sql_word *words; /* NULL-terminated */
	/* A statement text that must differ from the core's, by key (see
	 * cs_sql_text); NULL-terminated pairs, or NULL. */
	const cs_sql_word *overrides;
};

/* A connection. Drivers embed it as their first member. */
struct cs_sql {
	const cs_sql_driver *drv;
	const cs_sql_dialect *dia;
	char name[1024]; /* what messages call the database: a path, host/db */
	int in_txn;
};

/* ---- the statement helper ---- */

/* Expands the dialect words of sql and prepares it. what names the
 * statement's purpose in errors ("read sync state"). */
int cs_sql_prepare(cs_sql *c, const char *sql, const char *what, cs_sql_stmt **out,
		   cs_err *err);
/* The same, kept for the connection's life (hot paths). */
int cs_sql_prepare_kept(cs_sql *c, const char *sql, const char *what, cs_sql_stmt **out,
			cs_err *err);
void cs_sql_finalize(cs_sql_stmt *st); /* NULL is fine */

/* Binders by type. bind_text keeps a pointer (see the driver note);
 * bind_opt binds NULL for NULL or "". */
int cs_sql_bind_int(cs_sql_stmt *st, int i, long long v);
int cs_sql_bind_real(cs_sql_stmt *st, int i, double v);
int cs_sql_bind_text(cs_sql_stmt *st, int i, const char *v);
int cs_sql_bind_textn(cs_sql_stmt *st, int i, const char *v, int len);
int cs_sql_bind_opt(cs_sql_stmt *st, int i, const char *v);
int cs_sql_bind_null(cs_sql_stmt *st, int i);
/* A TIME or DATE column's value in the stored form; NULL or "" binds NULL. */
int cs_sql_bind_time(cs_sql_stmt *st, int i, const char *iso);
/* A MONEY column's exact value in ten-thousandths. */
int cs_sql_bind_money(cs_sql_stmt *st, int i, long long units);
/* A JSON column's document, len bytes (< 0: NUL-terminated). */
int cs_sql_bind_json(cs_sql_stmt *st, int i, const char *v, int len);

/* CS_SQL_ROW, CS_SQL_DONE, or < 0 with err saying "cannot <what> in
 * database '<name>': <why and what to do>". */
int cs_sql_step(cs_sql_stmt *st, cs_err *err);
void cs_sql_reset(cs_sql_stmt *st);
void cs_sql_clear(cs_sql_stmt *st);

int cs_sql_ncols(cs_sql_stmt *st);
const char *cs_sql_col_name(cs_sql_stmt *st, int i);
int cs_sql_col_kind(cs_sql_stmt *st, int i);
long long cs_sql_col_int(cs_sql_stmt *st, int i);
double cs_sql_col_real(cs_sql_stmt *st, int i);
const char *cs_sql_col_text(cs_sql_stmt *st, int i); /* NULL for SQL NULL */
/* Copies column i as text into out (size n), "" for NULL. */
void cs_sql_col_copy(cs_sql_stmt *st, int i, char *out, size_t n);

long long cs_sql_changes(cs_sql *c);
long long cs_sql_last_id(cs_sql *c, cs_sql_stmt *st);
int cs_sql_has_table(cs_sql *c, const char *name);

/* ---- one-shot statements with their values ---- */

typedef struct cs_sql_val {
	int kind;    /* enum cs_sql_kind */
	long long i; /* INT; MONEY in ten-thousandths; TEXT, JSON: its length when > 0 */
	double r;
	const char *s; /* TEXT, JSON (NUL-terminated unless i > 0), TIME */
} cs_sql_val;

/* Whether a value of this kind points at text (s). */
static inline int cs_sql_kind_has_text(int kind)
{
	return kind == CS_SQL_TEXT || kind == CS_SQL_TIME || kind == CS_SQL_JSON;
}

#define CS_V_INT(x) ((cs_sql_val){CS_SQL_INT, (long long)(x), 0, NULL})
#define CS_V_REAL(x) ((cs_sql_val){CS_SQL_REAL, 0, (x), NULL})
#define CS_V_TEXT(x) ((cs_sql_val){CS_SQL_TEXT, 0, 0, (x)})
#define CS_V_NULL ((cs_sql_val){CS_SQL_NULL, 0, 0, NULL})
/* a time in the stored form for a TIME column, NULL when NULL or empty */
#define CS_V_TIME(x) cs_sql_v_opt((x), CS_SQL_TIME)
/* text, or NULL when the text is NULL or empty */
static inline cs_sql_val cs_sql_v_opt(const char *x, int kind)
{
	return (cs_sql_val){x && *x ? kind : CS_SQL_NULL, 0, 0, x};
}
#define CS_V_OPT(x) cs_sql_v_opt((x), CS_SQL_TEXT)
/* CS_SQL_ARGS(CS_V_INT(org), CS_V_TEXT(name)) -> the array and its length */
#define CS_SQL_ARGS(...) \
	(const cs_sql_val[]){__VA_ARGS__}, \
		(int)(sizeof((const cs_sql_val[]){__VA_ARGS__}) / sizeof(cs_sql_val))
#define CS_SQL_NOARGS NULL, 0

/* Binds v[0..n) to ?1..?n. */
int cs_sql_bind_all(cs_sql_stmt *st, const cs_sql_val *v, int n);
/* Binds v[0..n) to ?first..?first+n-1 (one row of a multi-row statement). */
int cs_sql_bind_vals(cs_sql_stmt *st, int first, const cs_sql_val *v, int n);

/* Prepares, binds, steps to the end and finalizes; *changes (may be NULL)
 * gets the rows changed. */
int cs_sql_exec(cs_sql *c, const char *sql, const char *what, const cs_sql_val *v, int n,
		long long *changes, cs_err *err);

/* An INSERT (ending in @returning_id) that gives the new row's id. */
int cs_sql_insert_id(cs_sql *c, const char *sql, const char *what, const cs_sql_val *v, int n,
		     long long *id, cs_err *err);

/* Calls row(st, ctx) for each row of the query. A non-zero return from row
 * stops the walk and is returned. */
typedef int (*cs_sql_row_fn)(cs_sql_stmt *st, void *ctx);
int cs_sql_query(cs_sql *c, const char *sql, const char *what, const cs_sql_val *v, int n,
		 cs_sql_row_fn row, void *ctx, cs_err *err);
/* The first column of the first row as an integer; *found (may be NULL)
 * says whether there was a row (*out is left alone when not). */
int cs_sql_query_int(cs_sql *c, const char *sql, const char *what, const cs_sql_val *v, int n,
		     long long *out, int *found, cs_err *err);

/* Runs a script of ;-separated statements without parameters (DDL). */
int cs_sql_script(cs_sql *c, const char *sql, const char *what, cs_err *err);

/* ---- transactions ---- */

/* write: take the write lock now (a conflict shows before any work). */
int cs_sql_begin(cs_sql *c, int write, const char *what, cs_err *err);
/* Commits when rc is 0 (returning the commit's failure), else rolls back
 * and returns rc. */
int cs_sql_end(cs_sql *c, int rc, const char *what, cs_err *err);
void cs_sql_rollback(cs_sql *c);

/* Current UTC time in the stored form, with milliseconds. */
void cs_sql_now(char out[32]);

/* ---- for drivers: values every backend takes and reads back alike ---- */

/* SQLite stores any bytes as text (cJSON passes bytes that are not UTF-8
 * through); a server product refuses such a value and with it its record.
 * When v[0..len) is valid UTF-8 (all text in practice), *fixed is NULL;
 * else *fixed is a malloc'd copy (*fixed_len bytes, NUL-terminated) in which
 * each byte that starts no valid character is U+FFFD. CS_ERR: no memory. */
int cs_sql_utf8_fix(const char *v, size_t len, char **fixed, size_t *fixed_len);

/* A number as a server wrote it, in the text SQLite shows for the same
 * value, so a reader (a plugin's payload, an export) sees the same text on
 * every backend: an exact decimal's trailing zeros go ("12.5000" -> "12.5",
 * "1000.0000" -> "1000.0"), a whole floating value gets ".0" ("1000" ->
 * "1000.0"); exponents, NaN and infinities stay as they are. */
void cs_sql_number_text(const char *v, int is_float, char *out, size_t n);

/* ---- dialect text (sql_text.c) ---- */

/* Appends sql with every dialect word expanded. Returns 0, or -1 when a
 * word is unknown or malformed (err names it) or out of memory. */
int cs_sql_expand(const cs_sql_dialect *d, const char *sql, cs_buf *out, cs_err *err);
/* The statement text for key: the dialect's override, else core_text. */
const char *cs_sql_text(const cs_sql_dialect *d, const char *key, const char *core_text);
/* Appends a quoted identifier. */
int cs_sql_ident(cs_buf *b, const char *name);

#endif
