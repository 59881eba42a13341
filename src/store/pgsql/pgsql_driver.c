/* The PostgreSQL driver of the SQL core, on libpq: statements (server-side
 * prepared when kept, one round trip when not), parameters sent as text,
 * results read row by row, times and booleans returned in the stored form
 * the rest of the program reads, and SQLSTATEs mapped to messages a user
 * can act on. Nothing here knows a table: the store's SQL is in store/sql/.
 * A value is never written into SQL text: every value is a parameter. */
#include "store/pgsql/pgsql_int.h"
#include "util/money.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs of PostgreSQL's catalog (pg_type.h, stable across versions). */
enum { OID_BOOL = 16, OID_INT8 = 20, OID_TEXT = 25, OID_INT2 = 21, OID_INT4 = 23, OID_FLOAT4 = 700,
       OID_FLOAT8 = 701, OID_NUMERIC = 1700, OID_TIMESTAMPTZ = 1184 };

#define PG(c) ((cs_pgsql *)(c))
#define PS(st) ((cs_pgsql_stmt *)(st))

/* ---- error mapping ---- */

static const struct {
	const char *state; /* SQLSTATE, or its two-letter class */
	int code;
	const char *why;
} failures[] = {
	{"08", CS_EDBCONN,
	 "the connection to the database server was lost; nothing of the page in flight was "
	 "kept; check the server and rerun"},
	{"57P01", CS_EDBCONN,
	 "the database server is shutting down; nothing of the page in flight was kept; rerun "
	 "once it is back"},
	{"57P02", CS_EDBCONN, "the database server crashed; rerun once it is back"},
	{"57P03", CS_EDBCONN, "the database server is starting up; rerun in a moment"},
	{"53100", CS_EIO, "the database server's disk is full; free space and rerun"},
	{"53200", CS_EIO, "the database server is out of memory; rerun later"},
	{"40001", CS_EBUSY, "another transaction conflicted with this one; rerun"},
	{"40P01", CS_EBUSY, "a deadlock with another process was broken by the server; rerun"},
	{"55P03", CS_EBUSY, "the rows are locked by another process; wait for it, then rerun"},
	{"28P01", CS_EUSAGE, "the password was rejected; check DB_USER and DB_PASSWORD"},
	{"28000", CS_EUSAGE, "the user may not connect; check DB_USER and the server's pg_hba.conf"},
	{"3D000", CS_EUSAGE, "the database does not exist; create it or set DB_NAME"},
	{"42501", CS_EUSAGE,
	 "permission denied; grant the user DB_USER the rights on the database's tables"},
	{"42P01", CS_EUSAGE,
	 "a table is missing; run 'classy-sync db migrate' (or check DB_NAME)"},
	{"25006", CS_EIO, "the database is read-only (a standby?); point DB_HOST at the primary"},
};

/* The first line of the server's message, without "ERROR:  ". */
static void first_line(const char *msg, char *out, size_t n)
{
	if (!msg)
		msg = "";
	if (!strncmp(msg, "ERROR:  ", 8))
		msg += 8;
	snprintf(out, n, "%s", msg);
	out[strcspn(out, "\n")] = '\0';
}

int cs_pgsql_fail(cs_pgsql *c, const PGresult *res, const char *what, cs_err *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char detail[400];
	if (!state && PQstatus(c->conn) != CONNECTION_OK)
		state = "08000";
	first_line(res ? PQresultErrorMessage(res) : PQerrorMessage(c->conn), detail,
		   sizeof(detail));
	for (size_t i = 0; state && i < sizeof(failures) / sizeof(failures[0]); i++)
		if (!strncmp(state, failures[i].state, strlen(failures[i].state)))
			return cs_err_set(err, failures[i].code, "cannot %s in database '%s': %s (%s)",
					  what, c->base.name, failures[i].why, detail);
	return cs_err_set(err, CS_ERR, "cannot %s in database '%s': %s", what, c->base.name,
			  detail[0] ? detail : "unknown error");
}

/* ---- statements ---- */

/* ?N -> $N outside quotes; returns the highest N and marks in used[] the
 * numbers that appear (up to 63). */
static int convert_params(const char *sql, char *out, unsigned long long *used)
{
	int max = 0;
	*used = 0;
	char q = 0;
	for (const char *p = sql; *p; p++) {
		if (q) {
			q = *p == q ? 0 : q;
			*out++ = *p;
		} else if (*p == '\'' || *p == '"') {
			q = *p;
			*out++ = *p;
		} else if (*p == '?' && isdigit((unsigned char)p[1])) {
			int n = (int)strtol(p + 1, NULL, 10);
			max = n > max ? n : max;
			if (n < 64)
				*used |= 1ull << n;
			*out++ = '$';
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
	return max;
}

static int drv_prepare(cs_sql *c, const char *sql, const char *what, int persistent,
		       cs_sql_stmt **out, cs_err *err)
{
	cs_pgsql_stmt *s = calloc(1, sizeof(*s));
	char *text = malloc(strlen(sql) + 1);
	if (!s || !text) {
		free(s);
		free(text);
		return cs_err_set(err, CS_ERR, "cannot %s in database '%s': out of memory", what,
				  c->name);
	}
	s->base.conn = c;
	s->base.what = what;
	s->sql = text;
	unsigned long long used;
	s->nparams = convert_params(sql, text, &used);
	if (s->nparams && (!(s->params = calloc((size_t)s->nparams, sizeof(*s->params))) ||
			   !(s->types = calloc((size_t)s->nparams, sizeof(*s->types))))) {
		free(s->params);
		free(text);
		free(s);
		return cs_err_set(err, CS_ERR, "cannot %s in database '%s': out of memory", what,
				  c->name);
	}
	/* A number the text skips (the core binds ?2 of a step that reads no
	 * ?1) has no context to infer a type from: call it text. */
	for (int i = 0; i < s->nparams; i++)
		s->types[i] = i + 1 < 64 && !(used & (1ull << (i + 1))) ? OID_TEXT : 0;
	if (persistent) {
		snprintf(s->name, sizeof(s->name), "cs%u", PG(c)->next_name++);
		PGresult *r = PQprepare(PG(c)->conn, s->name, text, s->nparams, s->types);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		int rc = ok ? 0 : cs_pgsql_fail(PG(c), r, what, err);
		PQclear(r);
		if (!ok) {
			s->name[0] = '\0';
			c->drv->finalize(&s->base);
			return rc;
		}
	}
	*out = &s->base;
	return 0;
}

static int set_param(cs_sql_stmt *st, int i, const char *v, size_t len)
{
	cs_pgsql_stmt *s = PS(st);
	if (i < 1 || i > s->nparams)
		return 0; /* a parameter the text does not use */
	cs_pgsql_param *p = &s->params[i - 1];
	if (!v) {
		free(p->v);
		p->v = NULL;
		p->cap = 0;
		return 0;
	}
	if (p->cap < len + 1) {
		char *n = realloc(p->v, len + 1);
		if (!n)
			return CS_ERR;
		p->v = n;
		p->cap = len + 1;
	}
	memcpy(p->v, v, len);
	p->v[len] = '\0';
	return 0;
}

static int drv_bind_null(cs_sql_stmt *st, int i)
{
	return set_param(st, i, NULL, 0);
}

static int drv_bind_int(cs_sql_stmt *st, int i, long long v)
{
	char b[24];
	return set_param(st, i, b, (size_t)snprintf(b, sizeof(b), "%lld", v));
}

static int drv_bind_real(cs_sql_stmt *st, int i, double v)
{
	char b[40];
	return set_param(st, i, b, (size_t)snprintf(b, sizeof(b), "%.17g", v));
}

/* Text for the server. PostgreSQL refuses a value that is not UTF-8, and
 * with it the record, which SQLite stores as it is (cJSON passes such bytes
 * through): so each byte that starts no valid character becomes U+FFFD.
 * Valid text, all text in practice, is copied as it is. */
static int set_text(cs_sql_stmt *st, int i, const char *v, size_t len)
{
	char *fixed;
	size_t n;
	if (cs_sql_utf8_fix(v, len, &fixed, &n))
		return CS_ERR;
	if (!fixed)
		return set_param(st, i, v, len);
	int rc = set_param(st, i, fixed, n);
	free(fixed);
	return rc;
}

static int drv_bind_text(cs_sql_stmt *st, int i, const char *v, int len)
{
	return set_text(st, i, v, len < 0 ? strlen(v) : (size_t)len);
}

/* PostgreSQL's calendar has no year 0 (ISO 8601's 1 BC) and refuses the
 * whole row holding one: such a time is stored as NULL, as any value that
 * is not a time, and raw_json keeps it. Every other stored form is read by
 * the server as it is. */
static int drv_bind_time(cs_sql_stmt *st, int i, const char *iso)
{
	return set_param(st, i, strncmp(iso, "0000", 4) ? iso : NULL, strlen(iso));
}

/* Exact: "12.5000" is what NUMERIC(19,4) stores, no double between. */
static int drv_bind_money(cs_sql_stmt *st, int i, long long units)
{
	char b[CS_MONEY_BUFSZ];
	cs_money_format(units, b);
	return set_param(st, i, b, strlen(b));
}

/* jsonb holds no NUL character (no PostgreSQL text can), and refuses the
 * whole document that has one. So that such a record is still stored, not
 * stuck failing its page on every run, an escaped NUL ("\u0000") becomes
 * U+FFFD ("\ufffd", the same length); every other byte is kept. */
static int drv_bind_json(cs_sql_stmt *st, int i, const char *v, int len)
{
	int rc = set_text(st, i, v, len < 0 ? strlen(v) : (size_t)len);
	cs_pgsql_stmt *s = PS(st);
	if (rc || i < 1 || i > s->nparams)
		return rc;
	char *p = s->params[i - 1].v;
	size_t n = strlen(p);
	for (size_t k = 0; k + 6 <= n; k++) {
		if (p[k] != '\\')
			continue;
		if (!memcmp(p + k + 1, "u0000", 5))
			memcpy(p + k + 1, "ufffd", 5);
		k++; /* an escape is two characters at least: "\\" never starts one */
	}
	return 0;
}

static void clear_result(cs_pgsql_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	s->executed = 0;
	s->row = 0;
}

static int execute(cs_pgsql_stmt *s, cs_err *err)
{
	cs_pgsql *c = PG(s->base.conn);
	const char *vals[s->nparams ? s->nparams : 1];
	for (int i = 0; i < s->nparams; i++)
		vals[i] = s->params[i].v;
	PQclear(s->res);
	s->res = s->name[0] ? PQexecPrepared(c->conn, s->name, s->nparams, vals, NULL, NULL, 0)
			    : PQexecParams(c->conn, s->sql, s->nparams, s->types, vals, NULL, NULL, 0);
	s->executed = 1;
	s->row = -1;
	ExecStatusType t = PQresultStatus(s->res);
	if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK) {
		const char *n = PQcmdTuples(s->res);
		c->changes = n && *n ? atoll(n) : 0;
		return 0;
	}
	return cs_pgsql_fail(c, s->res, s->base.what, err);
}

static int drv_step(cs_sql_stmt *st, cs_err *err)
{
	cs_pgsql_stmt *s = PS(st);
	if (!s->executed) {
		int rc = execute(s, err);
		if (rc < 0)
			return rc;
	}
	s->row++;
	return s->row < PQntuples(s->res) ? CS_SQL_ROW : CS_SQL_DONE;
}

static void drv_reset(cs_sql_stmt *st)
{
	clear_result(PS(st));
}

static void drv_clear(cs_sql_stmt *st)
{
	cs_pgsql_stmt *s = PS(st);
	for (int i = 0; i < s->nparams; i++)
		set_param(st, i + 1, NULL, 0);
}

static void drv_finalize(cs_sql_stmt *st)
{
	cs_pgsql_stmt *s = PS(st);
	cs_pgsql *c = PG(st->conn);
	clear_result(s);
	if (s->name[0] && PQstatus(c->conn) == CONNECTION_OK &&
	    PQtransactionStatus(c->conn) != PQTRANS_INERROR) {
		char sql[48];
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
		PQclear(PQexec(c->conn, sql));
	}
	drv_clear(st);
	PQclear(s->desc);
	free(s->params);
	free(s->types);
	free(s->conv);
	free(s->sql);
	free(s);
}

/* ---- rows ---- */

/* Before the first step the columns come from a description of the
 * statement, kept until finalize so their names stay valid. */
static const PGresult *columns_of(cs_pgsql_stmt *s)
{
	if (s->res)
		return s->res;
	if (!s->desc) {
		cs_pgsql *c = PG(s->base.conn);
		if (!s->name[0])
			PQclear(PQprepare(c->conn, "", s->sql, s->nparams, s->types));
		s->desc = PQdescribePrepared(c->conn, s->name);
	}
	return s->desc;
}

static int drv_column_count(cs_sql_stmt *st)
{
	return PQnfields(columns_of(PS(st)));
}

static const char *drv_column_name(cs_sql_stmt *st, int i)
{
	cs_pgsql_stmt *s = PS(st);
	return PQfname(s->desc ? s->desc : columns_of(s), i);
}

static int drv_column_kind(cs_sql_stmt *st, int i)
{
	cs_pgsql_stmt *s = PS(st);
	if (PQgetisnull(s->res, s->row, i))
		return CS_SQL_NULL;
	switch (PQftype(s->res, i)) {
	case OID_INT8:
	case OID_INT4:
	case OID_INT2:
	case OID_BOOL:
		return CS_SQL_INT;
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return CS_SQL_REAL;
	default:
		return CS_SQL_TEXT;
	}
}

/* "2024-01-02 03:04:05.12+00" -> "2024-01-02T03:04:05.120Z" (the session is
 * in UTC): always with milliseconds, the form the program writes its own
 * times in, so a value reads back the same whatever its fraction (a
 * timestamptz does not keep whether the API sent ".000"). */
static void stored_time(const char *v, char out[64])
{
	size_t n = strlen(v);
	if (n < 19 || v[10] != ' ') {
		snprintf(out, 64, "%s", v);
		return;
	}
	memcpy(out, v, 19);
	out[10] = 'T';
	out[19] = '.';
	size_t j = v[19] == '.' ? 20 : 19;
	for (size_t k = 20; k < 23; k++) {
		int digit = isdigit((unsigned char)v[j]) != 0;
		out[k] = digit ? v[j] : '0';
		j += digit;
	}
	out[23] = 'Z';
	out[24] = '\0';
}

static const char *drv_column_text(cs_sql_stmt *st, int i)
{
	cs_pgsql_stmt *s = PS(st);
	if (PQgetisnull(s->res, s->row, i))
		return NULL;
	const char *v = PQgetvalue(s->res, s->row, i);
	Oid t = PQftype(s->res, i);
	if (t == OID_BOOL)
		return v[0] == 't' ? "1" : "0";
	if (t != OID_TIMESTAMPTZ && t != OID_NUMERIC && t != OID_FLOAT8 && t != OID_FLOAT4)
		return v;
	if (s->nconv < PQnfields(s->res)) {
		free(s->conv);
		s->nconv = PQnfields(s->res);
		if (!(s->conv = calloc((size_t)s->nconv, sizeof(*s->conv)))) {
			s->nconv = 0;
			return v;
		}
	}
	if (t == OID_TIMESTAMPTZ)
		stored_time(v, s->conv[i]);
	else
		cs_sql_number_text(v, t != OID_NUMERIC, s->conv[i], sizeof(s->conv[i]));
	return s->conv[i];
}

static long long drv_column_int(cs_sql_stmt *st, int i)
{
	const char *v = drv_column_text(st, i);
	return v ? atoll(v) : 0;
}

static double drv_column_real(cs_sql_stmt *st, int i)
{
	const char *v = drv_column_text(st, i);
	return v ? strtod(v, NULL) : 0;
}

static long long drv_changes(cs_sql *c)
{
	return PG(c)->changes;
}

/* The INSERT ... RETURNING id the core asked for with @returning_id. */
static long long drv_last_id(cs_sql *c, cs_sql_stmt *st)
{
	(void)c;
	cs_pgsql_stmt *s = PS(st);
	if (!s->res || PQntuples(s->res) < 1)
		return 0;
	return atoll(PQgetvalue(s->res, 0, 0));
}

static int drv_exec(cs_sql *c, const char *sql, const char *what, cs_err *err)
{
	PGresult *r = PQexec(PG(c)->conn, sql);
	ExecStatusType t = PQresultStatus(r);
	int rc = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? 0 : cs_pgsql_fail(PG(c), r, what, err);
	PQclear(r);
	return rc;
}

static int drv_has_table(cs_sql *c, const char *name)
{
	const char *vals[1] = {name};
	PGresult *r = PQexecParams(PG(c)->conn, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, vals,
				   NULL, NULL, 0);
	int found = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		    PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return found;
}

const cs_sql_driver cs_pgsql_driver = {
	.name = "postgresql",
	.prepare = drv_prepare,
	.bind_null = drv_bind_null,
	.bind_int = drv_bind_int,
	.bind_real = drv_bind_real,
	.bind_text = drv_bind_text,
	.bind_time = drv_bind_time,
	.bind_money = drv_bind_money,
	.bind_json = drv_bind_json,
	.step = drv_step,
	.reset = drv_reset,
	.clear = drv_clear,
	.finalize = drv_finalize,
	.column_count = drv_column_count,
	.column_name = drv_column_name,
	.column_kind = drv_column_kind,
	.column_int = drv_column_int,
	.column_real = drv_column_real,
	.column_text = drv_column_text,
	.changes = drv_changes,
	.last_id = drv_last_id,
	.exec = drv_exec,
	.has_table = drv_has_table,
};
