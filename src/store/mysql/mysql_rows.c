/* Reading the rows of a MySQL/MariaDB statement: one row at a time as the
 * server sends it (unbuffered: memory stays flat however many rows a
 * contacts walk or a view returns), each column fetched in its own type into
 * a buffer of its own, text buffers growing to the longest value seen. What
 * the core reads back is in the stored forms the rest of the program knows:
 * a DATETIME as "2024-01-02T03:04:05.123Z" (always with milliseconds, the
 * form the program writes its own times in: a DATETIME does not keep whether
 * the API sent ".000"), a DATE as "2024-01-02", a number in the text SQLite
 * shows for it (cs_sql_number_text: "12.5", "1000.0"), a boolean as 0/1. This file must never run a statement of its own: it only reads the
 * one it is given. */
#include "store/mysql/mysql_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_CAP 64 /* a text column's first buffer; it grows as needed */

void cs_mysql_rows_free(cs_mysql_stmt *s)
{
	for (int i = 0; s->cols && i < s->ncols; i++)
		free(s->cols[i].s);
	free(s->cols);
	free(s->rbind);
	s->cols = NULL;
	s->rbind = NULL;
	s->ncols = 0;
}

/* The C type a column of server type t is fetched as. */
static enum enum_field_types fetch_type(enum enum_field_types t)
{
	switch (t) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_YEAR:
		return MYSQL_TYPE_LONGLONG;
	case MYSQL_TYPE_FLOAT:
	case MYSQL_TYPE_DOUBLE:
		return MYSQL_TYPE_DOUBLE;
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_TIMESTAMP:
		return MYSQL_TYPE_DATETIME;
	case MYSQL_TYPE_DATE:
		return MYSQL_TYPE_DATE;
	default: /* text, JSON, DECIMAL (exact), TIME, NULL */
		return MYSQL_TYPE_STRING;
	}
}

static void bind_col(cs_mysql_col *c, MYSQL_BIND *b)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = c->fetch;
	b->is_null = &c->is_null;
	b->error = &c->error;
	b->length = &c->len;
	switch (c->fetch) {
	case MYSQL_TYPE_LONGLONG:
		b->buffer = &c->i;
		break;
	case MYSQL_TYPE_DOUBLE:
		b->buffer = &c->r;
		break;
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_DATE:
		b->buffer = &c->t;
		break;
	default:
		b->buffer = c->s;
		b->buffer_length = c->cap;
	}
}

/* After execute: the columns' types as the server sends them this time,
 * and a buffer for each. Text buffers are kept across executions. */
int cs_mysql_rows_setup(cs_mysql_stmt *s, cs_err *err)
{
	cs_mysql *conn = (cs_mysql *)s->base.conn;
	MYSQL_RES *meta = mysql_stmt_result_metadata(s->st);
	if (!meta)
		return cs_mysql_fail_stmt(s, s->base.what, err);
	int n = (int)mysql_num_fields(meta);
	if (n != s->ncols) {
		cs_mysql_rows_free(s);
		s->cols = calloc((size_t)n, sizeof(*s->cols));
		s->rbind = calloc((size_t)n, sizeof(*s->rbind));
		if (!s->cols || !s->rbind) {
			mysql_free_result(meta);
			cs_mysql_rows_free(s);
			return cs_err_set(err, CS_ERR, "cannot %s in database '%s': out of memory",
					  s->base.what, conn->base.name);
		}
		s->ncols = n;
	}
	for (int i = 0; i < n; i++) {
		cs_mysql_col *c = &s->cols[i];
		c->type = mysql_fetch_field_direct(meta, (unsigned)i)->type;
		c->fetch = fetch_type(c->type);
		if (c->fetch == MYSQL_TYPE_STRING && !c->s) {
			if (!(c->s = malloc(FIRST_CAP))) {
				mysql_free_result(meta);
				return cs_err_set(err, CS_ERR,
						  "cannot %s in database '%s': out of memory",
						  s->base.what, conn->base.name);
			}
			c->cap = FIRST_CAP;
		}
		bind_col(c, &s->rbind[i]);
	}
	mysql_free_result(meta);
	if (mysql_stmt_bind_result(s->st, s->rbind))
		return cs_mysql_fail_stmt(s, s->base.what, err);
	return 0;
}

/* A text value longer than its buffer (or exactly as long: no room for the
 * NUL) is fetched again whole into a bigger one, which the next rows use. */
static int complete_texts(cs_mysql_stmt *s, cs_err *err)
{
	int grown = 0;
	for (int i = 0; i < s->ncols; i++) {
		cs_mysql_col *c = &s->cols[i];
		if (c->fetch != MYSQL_TYPE_STRING || c->is_null)
			continue;
		if (c->len < c->cap) {
			c->s[c->len] = '\0';
			continue;
		}
		size_t cap = c->cap;
		while (cap <= c->len)
			cap *= 2;
		char *n = realloc(c->s, cap);
		if (!n)
			return cs_err_set(err, CS_ERR, "cannot %s in database '%s': out of memory",
					  s->base.what, s->base.conn->name);
		c->s = n;
		c->cap = cap;
		bind_col(c, &s->rbind[i]);
		if (mysql_stmt_fetch_column(s->st, &s->rbind[i], (unsigned)i, 0))
			return cs_mysql_fail_stmt(s, s->base.what, err);
		c->s[c->len] = '\0';
		grown = 1;
	}
	if (grown && mysql_stmt_bind_result(s->st, s->rbind))
		return cs_mysql_fail_stmt(s, s->base.what, err);
	return 0;
}

int cs_mysql_rows_fetch(cs_mysql_stmt *s, cs_err *err)
{
	int rc = mysql_stmt_fetch(s->st);
	if (rc == MYSQL_NO_DATA)
		return CS_SQL_DONE;
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED)
		return cs_mysql_fail_stmt(s, s->base.what, err);
	for (int i = 0; i < s->ncols; i++)
		s->cols[i].text[0] = '\0';
	rc = complete_texts(s, err);
	return rc < 0 ? rc : CS_SQL_ROW;
}

static int is_decimal(const cs_mysql_col *c)
{
	return c->type == MYSQL_TYPE_NEWDECIMAL || c->type == MYSQL_TYPE_DECIMAL;
}

static cs_mysql_col *col(cs_mysql_stmt *s, int i)
{
	return i >= 0 && i < s->ncols && !s->cols[i].is_null ? &s->cols[i] : NULL;
}

int cs_mysql_col_kind(cs_mysql_stmt *s, int i)
{
	cs_mysql_col *c = col(s, i);
	if (!c)
		return CS_SQL_NULL;
	switch (c->fetch) {
	case MYSQL_TYPE_LONGLONG:
		return CS_SQL_INT;
	case MYSQL_TYPE_DOUBLE:
		return CS_SQL_REAL;
	default:
		return is_decimal(c) ? CS_SQL_REAL : CS_SQL_TEXT;
	}
}

/* A DATETIME in the stored form, a DATE as YYYY-MM-DD. */
static void time_format(const MYSQL_TIME *t, int date_only, char out[48])
{
	if (date_only) {
		snprintf(out, 48, "%04u-%02u-%02u", t->year, t->month, t->day);
		return;
	}
	snprintf(out, 48, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", t->year, t->month, t->day,
		 t->hour, t->minute, t->second, (unsigned)(t->second_part / 1000) % 1000);
}

/* The shortest text that reads back as the same double, ".0" when whole
 * (as SQLite shows it). */
static void real_format(double v, char out[48])
{
	char b[40];
	snprintf(b, sizeof(b), "%.15g", v);
	if (strtod(b, NULL) != v)
		snprintf(b, sizeof(b), "%.17g", v);
	cs_sql_number_text(b, 1, out, 48);
}


const char *cs_mysql_col_text(cs_mysql_stmt *s, int i)
{
	cs_mysql_col *c = col(s, i);
	if (!c)
		return NULL;
	if (c->text[0])
		return c->text;
	if (c->fetch == MYSQL_TYPE_STRING) {
		/* a DECIMAL's exact text without its trailing zeros; one too
		 * long for text (no money column is) as the server wrote it */
		if (!is_decimal(c) || c->len + 3 > sizeof(c->text))
			return c->s;
		cs_sql_number_text(c->s, 0, c->text, sizeof(c->text));
		return c->text;
	}
	switch (c->fetch) {
	case MYSQL_TYPE_LONGLONG:
		snprintf(c->text, sizeof(c->text), "%lld", c->i);
		break;
	case MYSQL_TYPE_DOUBLE:
		real_format(c->r, c->text);
		break;
	default:
		time_format(&c->t, c->fetch == MYSQL_TYPE_DATE, c->text);
	}
	return c->text;
}

long long cs_mysql_col_int(cs_mysql_stmt *s, int i)
{
	cs_mysql_col *c = col(s, i);
	if (!c)
		return 0;
	if (c->fetch == MYSQL_TYPE_LONGLONG)
		return c->i;
	if (c->fetch == MYSQL_TYPE_DOUBLE)
		return (long long)c->r;
	const char *t = cs_mysql_col_text(s, i);
	return t ? atoll(t) : 0;
}

double cs_mysql_col_real(cs_mysql_stmt *s, int i)
{
	cs_mysql_col *c = col(s, i);
	if (!c)
		return 0;
	if (c->fetch == MYSQL_TYPE_DOUBLE)
		return c->r;
	if (c->fetch == MYSQL_TYPE_LONGLONG)
		return (double)c->i;
	const char *t = cs_mysql_col_text(s, i);
	return t ? strtod(t, NULL) : 0;
}
