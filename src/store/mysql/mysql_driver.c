/* The MySQL/MariaDB driver of the SQL core, on libmariadb's prepared
 * statements: the core's numbered parameters (?1 ?2, a number may repeat or
 * be skipped) become positional ? with a map from position to number;
 * bound values are copied (the core keeps them only until the next step);
 * times are bound as DATETIME/DATE values and money as exact DECIMAL text;
 * scripts (DDL) run one statement at a time. Reading rows is in
 * mysql_rows.c, mapping errors in mysql_fail.c.
 *
 * Nothing here knows a table: the store's SQL is in store/sql/. A value is
 * never written into SQL text: every value is a parameter. */
#include "store/mysql/mysql_int.h"
#include "util/money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MY(c) ((cs_mysql *)(c))
#define MS(st) ((cs_mysql_stmt *)(st))

/* Rows are read as they arrive (unbuffered), so nothing else may run on the
 * connection until they are all read or the statement is reset. The store
 * never interleaves statements that way; this catches a change that does. */
static int check_idle(cs_mysql *c, cs_mysql_stmt *self, const char *what, cs_err *err)
{
	if (!c->streaming || c->streaming == self)
		return 0;
	return cs_err_set(err, CS_ERR,
			  "cannot %s in database '%s': the rows of '%s' are still being read on "
			  "this connection (a bug: finish or reset that query first)",
			  what, c->base.name, c->streaming->base.what);
}

/* ---- statements ---- */

/* Length of the quoted run at s[0] ('...', "..." or `...`), doubled quotes
 * included. */
static size_t quoted_len(const char *s)
{
	size_t i = 1;
	while (s[i]) {
		if (s[i] == s[0]) {
			if (s[i + 1] != s[0])
				return i + 1;
			i++;
		}
		i++;
	}
	return i;
}

/* ?N -> ? outside quotes, recording N for each position. Returns the
 * number of positions, or -1 when out of memory. */
static int convert_params(cs_mysql_stmt *s, const char *sql, char *out)
{
	int npos = 0, cap = 0;
	for (const char *p = sql; *p;) {
		if (*p == '\'' || *p == '"' || *p == '`') {
			size_t q = quoted_len(p);
			memcpy(out, p, q);
			out += q, p += q;
		} else if (*p == '?' && p[1] >= '0' && p[1] <= '9') {
			char *end;
			int n = (int)strtol(p + 1, &end, 10);
			if (npos == cap) {
				cap = cap ? cap * 2 : 16;
				int *grown = realloc(s->num_of_pos, (size_t)cap * sizeof(int));
				if (!grown)
					return -1;
				s->num_of_pos = grown;
			}
			s->num_of_pos[npos++] = n;
			s->nparams = n > s->nparams ? n : s->nparams;
			*out++ = '?';
			p = end;
		} else {
			*out++ = *p++;
		}
	}
	*out = '\0';
	return npos;
}

static void stmt_free(cs_mysql_stmt *s)
{
	if (!s)
		return;
	cs_mysql_rows_free(s);
	if (s->meta)
		mysql_free_result(s->meta);
	if (s->st)
		mysql_stmt_close(s->st);
	for (int i = 0; s->params && i < s->nparams; i++)
		free(s->params[i].s);
	free(s->params);
	free(s->pbind);
	free(s->num_of_pos);
	free(s);
}

static int drv_prepare(cs_sql *c, const char *sql, const char *what, int persistent,
		       cs_sql_stmt **out, cs_err *err)
{
	(void)persistent; /* every statement is prepared on the server */
	int rc = check_idle(MY(c), NULL, what, err);
	if (rc)
		return rc;
	cs_mysql_stmt *s = calloc(1, sizeof(*s));
	char *text = malloc(strlen(sql) + 1);
	if (!s || !text)
		goto oom;
	s->base.conn = c;
	s->base.what = what;
	if ((s->npos = convert_params(s, sql, text)) < 0)
		goto oom;
	if ((s->nparams && !(s->params = calloc((size_t)s->nparams, sizeof(*s->params)))) ||
	    (s->npos && !(s->pbind = calloc((size_t)s->npos, sizeof(*s->pbind)))))
		goto oom;
	for (int i = 0; i < s->nparams; i++)
		s->params[i].type = MYSQL_TYPE_NULL;
	if (!(s->st = mysql_stmt_init(MY(c)->conn)))
		goto oom;
	if (mysql_stmt_prepare(s->st, text, strlen(text))) {
		rc = cs_mysql_fail_stmt(s, what, err);
		goto fail;
	}
	/* the columns, so their names are known before the first step */
	s->meta = mysql_stmt_result_metadata(s->st);
	free(text);
	*out = &s->base;
	return 0;
oom:
	rc = cs_err_set(err, CS_ERR, "cannot %s in database '%s': out of memory", what, c->name);
fail:
	free(text);
	stmt_free(s);
	return rc;
}

/* The storage of parameter number i, typed; NULL for a number the text does
 * not use (the core may bind one a dialect's text skips). */
static cs_mysql_param *param(cs_sql_stmt *st, int i, enum enum_field_types type)
{
	cs_mysql_stmt *s = MS(st);
	if (i < 1 || i > s->nparams)
		return NULL;
	cs_mysql_param *p = &s->params[i - 1];
	p->type = type;
	p->is_null = type == MYSQL_TYPE_NULL;
	return p;
}

static int set_bytes(cs_mysql_param *p, const char *v, size_t len)
{
	if (p->cap < len + 1) {
		size_t cap = len + 1 < 64 ? 64 : len + 1;
		char *n = realloc(p->s, cap);
		if (!n)
			return CS_ERR;
		p->s = n;
		p->cap = cap;
	}
	memcpy(p->s, v, len);
	p->s[len] = '\0';
	p->len = (unsigned long)len;
	return 0;
}

static int drv_bind_null(cs_sql_stmt *st, int i)
{
	param(st, i, MYSQL_TYPE_NULL);
	return 0;
}

static int drv_bind_int(cs_sql_stmt *st, int i, long long v)
{
	cs_mysql_param *p = param(st, i, MYSQL_TYPE_LONGLONG);
	if (p)
		p->i = v;
	return 0;
}

static int drv_bind_real(cs_sql_stmt *st, int i, double v)
{
	cs_mysql_param *p = param(st, i, MYSQL_TYPE_DOUBLE);
	if (p)
		p->r = v;
	return 0;
}

/* utf8mb4 refuses a value that is not UTF-8, and with it the record, which
 * SQLite stores as it is: each byte that starts no valid character becomes
 * U+FFFD (cs_sql_utf8_fix); valid text is sent as it is. */
static int drv_bind_text(cs_sql_stmt *st, int i, const char *v, int len)
{
	cs_mysql_param *p = param(st, i, MYSQL_TYPE_STRING);
	size_t n = len < 0 ? strlen(v) : (size_t)len;
	char *fixed;
	if (!p)
		return 0;
	if (cs_sql_utf8_fix(v, n, &fixed, &n))
		return CS_ERR;
	int rc = set_bytes(p, fixed ? fixed : v, n);
	free(fixed);
	return rc;
}

/* Digits of s[0..n) as a number; -1 when one is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "2024-01-02T03:04:05.123Z" (fraction optional) or "2024-01-02". */
static int time_parse(const char *iso, MYSQL_TIME *t)
{
	size_t n = strlen(iso);
	memset(t, 0, sizeof(*t));
	if (n < 10 || iso[4] != '-' || iso[7] != '-')
		return -1;
	int y = digits(iso, 4), mo = digits(iso + 5, 2), d = digits(iso + 8, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	t->year = (unsigned)y, t->month = (unsigned)mo, t->day = (unsigned)d;
	if (n == 10) {
		t->time_type = MYSQL_TIMESTAMP_DATE;
		return 0;
	}
	if (n < 20 || (iso[10] != 'T' && iso[10] != ' ') || iso[13] != ':' || iso[16] != ':')
		return -1;
	int h = digits(iso + 11, 2), mi = digits(iso + 14, 2), sec = digits(iso + 17, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return -1;
	t->hour = (unsigned)h, t->minute = (unsigned)mi, t->second = (unsigned)sec;
	size_t k = 19;
	if (iso[k] == '.') {
		unsigned long us = 0, scale = 100000;
		for (k++; iso[k] >= '0' && iso[k] <= '9'; k++, scale /= 10)
			us += (unsigned long)(iso[k] - '0') * scale;
		t->second_part = us;
	}
	if (strcmp(iso + k, "Z") != 0)
		return -1; /* the stored form is UTC */
	t->time_type = MYSQL_TIMESTAMP_DATETIME;
	return 0;
}

/* A DATETIME(3) or DATE value, so the server compares and indexes it as
 * one; anything else goes as text and the server judges it. */
static int drv_bind_time(cs_sql_stmt *st, int i, const char *iso)
{
	MYSQL_TIME t;
	if (time_parse(iso, &t))
		return drv_bind_text(st, i, iso, -1);
	cs_mysql_param *p = param(st, i, t.time_type == MYSQL_TIMESTAMP_DATE ? MYSQL_TYPE_DATE
									    : MYSQL_TYPE_DATETIME);
	if (p)
		p->t = t;
	return 0;
}

/* Exact: "12.5000" is what DECIMAL(19,4) stores, no double between. */
static int drv_bind_money(cs_sql_stmt *st, int i, long long units)
{
	char b[CS_MONEY_BUFSZ];
	cs_money_format(units, b);
	cs_mysql_param *p = param(st, i, MYSQL_TYPE_NEWDECIMAL);
	return p ? set_bytes(p, b, strlen(b)) : 0;
}

/* Points each position at the storage of its parameter number. */
static void bind_positions(cs_mysql_stmt *s)
{
	for (int k = 0; k < s->npos; k++) {
		MYSQL_BIND *b = &s->pbind[k];
		int n = s->num_of_pos[k];
		memset(b, 0, sizeof(*b));
		if (n < 1 || n > s->nparams) { /* ?0: never bound, NULL */
			b->buffer_type = MYSQL_TYPE_NULL;
			continue;
		}
		cs_mysql_param *p = &s->params[n - 1];
		b->buffer_type = p->type;
		b->is_null = &p->is_null;
		switch (p->type) {
		case MYSQL_TYPE_LONGLONG:
			b->buffer = &p->i;
			break;
		case MYSQL_TYPE_DOUBLE:
			b->buffer = &p->r;
			break;
		case MYSQL_TYPE_DATETIME:
		case MYSQL_TYPE_DATE:
			b->buffer = &p->t;
			break;
		case MYSQL_TYPE_NULL:
			break;
		default:
			b->buffer = p->s;
			b->buffer_length = p->len;
			b->length = &p->len;
		}
	}
}

static int execute(cs_mysql_stmt *s, cs_err *err)
{
	cs_mysql *c = MY(s->base.conn);
	int rc = check_idle(c, s, s->base.what, err);
	if (rc)
		return rc;
	bind_positions(s);
	if (s->npos && mysql_stmt_bind_param(s->st, s->pbind))
		return cs_mysql_fail_stmt(s, s->base.what, err);
	if (mysql_stmt_execute(s->st))
		return cs_mysql_fail_stmt(s, s->base.what, err);
	s->executed = 1;
	s->done = 0;
	s->has_rows = mysql_stmt_field_count(s->st) > 0;
	if (!s->has_rows) {
		c->changes = (long long)mysql_stmt_affected_rows(s->st);
		return 0;
	}
	if ((rc = cs_mysql_rows_setup(s, err)) < 0)
		return rc;
	c->streaming = s;
	return 0;
}

static int drv_step(cs_sql_stmt *st, cs_err *err)
{
	cs_mysql_stmt *s = MS(st);
	if (!s->executed) {
		int rc = execute(s, err);
		if (rc < 0)
			return rc;
	}
	if (!s->has_rows || s->done)
		return CS_SQL_DONE;
	int rc = cs_mysql_rows_fetch(s, err);
	if (rc != CS_SQL_ROW) {
		s->done = 1;
		MY(st->conn)->streaming = NULL;
	}
	return rc;
}

static void drv_reset(cs_sql_stmt *st)
{
	cs_mysql_stmt *s = MS(st);
	if (s->has_rows && !s->done)
		mysql_stmt_free_result(s->st); /* reads and drops the rows left */
	if (MY(st->conn)->streaming == s)
		MY(st->conn)->streaming = NULL;
	s->executed = s->has_rows = s->done = 0;
}

static void drv_clear(cs_sql_stmt *st)
{
	cs_mysql_stmt *s = MS(st);
	for (int i = 0; i < s->nparams; i++) {
		s->params[i].type = MYSQL_TYPE_NULL;
		s->params[i].is_null = 1;
	}
}

static void drv_finalize(cs_sql_stmt *st)
{
	drv_reset(st);
	stmt_free(MS(st));
}

/* ---- columns (values: mysql_rows.c) ---- */

static int drv_column_count(cs_sql_stmt *st)
{
	cs_mysql_stmt *s = MS(st);
	return s->meta ? (int)mysql_num_fields(s->meta) : 0;
}

static const char *drv_column_name(cs_sql_stmt *st, int i)
{
	cs_mysql_stmt *s = MS(st);
	if (!s->meta || i < 0 || i >= (int)mysql_num_fields(s->meta))
		return NULL;
	return mysql_fetch_field_direct(s->meta, (unsigned)i)->name;
}

static int drv_column_kind(cs_sql_stmt *st, int i)
{
	return cs_mysql_col_kind(MS(st), i);
}

static long long drv_column_int(cs_sql_stmt *st, int i)
{
	return cs_mysql_col_int(MS(st), i);
}

static double drv_column_real(cs_sql_stmt *st, int i)
{
	return cs_mysql_col_real(MS(st), i);
}

static const char *drv_column_text(cs_sql_stmt *st, int i)
{
	return cs_mysql_col_text(MS(st), i);
}

static long long drv_changes(cs_sql *c)
{
	return MY(c)->changes;
}

/* The AUTO_INCREMENT id the INSERT just assigned (@returning_id is empty). */
static long long drv_last_id(cs_sql *c, cs_sql_stmt *st)
{
	(void)c;
	return (long long)mysql_stmt_insert_id(MS(st)->st);
}

/* ---- scripts ---- */

static int run_one(cs_mysql *c, const char *sql, size_t len, const char *what, cs_err *err)
{
	if (mysql_real_query(c->conn, sql, (unsigned long)len))
		return cs_mysql_fail_conn(c, what, err);
	if (mysql_field_count(c->conn) > 0) { /* a script's SELECT: its rows are dropped */
		MYSQL_RES *r = mysql_store_result(c->conn);
		if (!r)
			return cs_mysql_fail_conn(c, what, err);
		mysql_free_result(r);
	}
	c->changes = (long long)mysql_affected_rows(c->conn);
	return 0;
}

/* One statement at a time (the connection does not take several in one
 * query, so a value could never smuggle a second one in): split at the ;
 * outside quotes. */
static int drv_exec(cs_sql *base, const char *sql, const char *what, cs_err *err)
{
	cs_mysql *c = MY(base);
	int rc = check_idle(c, NULL, what, err);
	const char *start = sql;
	for (const char *p = sql; rc == 0; p++) {
		if (*p == '\'' || *p == '"' || *p == '`') {
			p += quoted_len(p) - 1;
			continue;
		}
		if (*p != ';' && *p != '\0')
			continue;
		const char *a = start, *b = p;
		while (a < b && (*a == ' ' || *a == '\n' || *a == '\t'))
			a++;
		if (a < b)
			rc = run_one(c, a, (size_t)(b - a), what, err);
		if (*p == '\0')
			break;
		start = p + 1;
	}
	return rc;
}

static int drv_has_table(cs_sql *c, const char *name)
{
	cs_sql_stmt *st = NULL;
	cs_err ignored = {0};
	if (drv_prepare(c,
			"SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE()"
			" AND table_name = ?1",
			"look up a table", 0, &st, &ignored))
		return 0;
	drv_bind_text(st, 1, name, -1);
	int found = drv_step(st, &ignored) == CS_SQL_ROW;
	drv_finalize(st);
	return found;
}

const cs_sql_driver cs_mysql_driver = {
	.name = "mysql",
	.prepare = drv_prepare,
	.bind_null = drv_bind_null,
	.bind_int = drv_bind_int,
	.bind_real = drv_bind_real,
	.bind_text = drv_bind_text,
	.bind_time = drv_bind_time,
	.bind_money = drv_bind_money,
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
