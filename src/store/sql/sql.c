/* The statement helper: every query of the store goes through these few
 * functions, so preparing, binding, stepping, reading and the mapping of a
 * database's failure to a specific message are written once for every
 * backend. It never builds SQL from values: values are always bound. */
#include "store/sql/sql.h"
#include "util/money.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int prepare(cs_sql *c, const char *sql, const char *what, int kept, cs_sql_stmt **out,
		   cs_err *err)
{
	cs_buf b = CS_BUF_INIT;
	*out = NULL;
	int rc = cs_sql_expand(c->dia, sql, &b, err);
	if (rc == 0)
		rc = c->drv->prepare(c, cs_buf_str(&b), what, kept, out, err);
	if (rc != 0 && err->msg[0] == '\0')
		cs_err_set(err, CS_ERR, "cannot %s in database '%s': out of memory", what, c->name);
	cs_buf_release(&b);
	return rc;
}

int cs_sql_prepare(cs_sql *c, const char *sql, const char *what, cs_sql_stmt **out, cs_err *err)
{
	return prepare(c, sql, what, 0, out, err);
}

int cs_sql_prepare_kept(cs_sql *c, const char *sql, const char *what, cs_sql_stmt **out,
			cs_err *err)
{
	return prepare(c, sql, what, 1, out, err);
}

void cs_sql_finalize(cs_sql_stmt *st)
{
	if (st)
		st->conn->drv->finalize(st);
}

int cs_sql_bind_int(cs_sql_stmt *st, int i, long long v)
{
	return st->conn->drv->bind_int(st, i, v);
}

int cs_sql_bind_real(cs_sql_stmt *st, int i, double v)
{
	return st->conn->drv->bind_real(st, i, v);
}

int cs_sql_bind_text(cs_sql_stmt *st, int i, const char *v)
{
	return v ? st->conn->drv->bind_text(st, i, v, -1) : st->conn->drv->bind_null(st, i);
}

int cs_sql_bind_textn(cs_sql_stmt *st, int i, const char *v, int len)
{
	return st->conn->drv->bind_text(st, i, v, len);
}

int cs_sql_bind_opt(cs_sql_stmt *st, int i, const char *v)
{
	return v && *v ? st->conn->drv->bind_text(st, i, v, -1) : st->conn->drv->bind_null(st, i);
}

int cs_sql_bind_null(cs_sql_stmt *st, int i)
{
	return st->conn->drv->bind_null(st, i);
}

int cs_sql_bind_time(cs_sql_stmt *st, int i, const char *iso)
{
	const cs_sql_driver *d = st->conn->drv;
	if (!iso || !*iso)
		return d->bind_null(st, i);
	return d->bind_time ? d->bind_time(st, i, iso) : d->bind_text(st, i, iso, -1);
}

int cs_sql_bind_money(cs_sql_stmt *st, int i, long long units)
{
	const cs_sql_driver *d = st->conn->drv;
	return d->bind_money ? d->bind_money(st, i, units)
			     : d->bind_real(st, i, (double)units / CS_MONEY_SCALE);
}

int cs_sql_bind_json(cs_sql_stmt *st, int i, const char *v, int len)
{
	const cs_sql_driver *d = st->conn->drv;
	return d->bind_json ? d->bind_json(st, i, v, len) : d->bind_text(st, i, v, len);
}

int cs_sql_step(cs_sql_stmt *st, cs_err *err)
{
	return st->conn->drv->step(st, err);
}

void cs_sql_reset(cs_sql_stmt *st)
{
	st->conn->drv->reset(st);
}

void cs_sql_clear(cs_sql_stmt *st)
{
	st->conn->drv->clear(st);
}

int cs_sql_ncols(cs_sql_stmt *st)
{
	return st->conn->drv->column_count(st);
}

const char *cs_sql_col_name(cs_sql_stmt *st, int i)
{
	return st->conn->drv->column_name(st, i);
}

int cs_sql_col_kind(cs_sql_stmt *st, int i)
{
	return st->conn->drv->column_kind(st, i);
}

long long cs_sql_col_int(cs_sql_stmt *st, int i)
{
	return st->conn->drv->column_int(st, i);
}

double cs_sql_col_real(cs_sql_stmt *st, int i)
{
	return st->conn->drv->column_real(st, i);
}

const char *cs_sql_col_text(cs_sql_stmt *st, int i)
{
	return st->conn->drv->column_text(st, i);
}

void cs_sql_col_copy(cs_sql_stmt *st, int i, char *out, size_t n)
{
	const char *t = cs_sql_col_text(st, i);
	snprintf(out, n, "%s", t ? t : "");
}

long long cs_sql_changes(cs_sql *c)
{
	return c->drv->changes(c);
}

long long cs_sql_last_id(cs_sql *c, cs_sql_stmt *st)
{
	return c->drv->last_id(c, st);
}

int cs_sql_has_table(cs_sql *c, const char *name)
{
	return c->drv->has_table(c, name);
}

int cs_sql_bind_vals(cs_sql_stmt *st, int first, const cs_sql_val *v, int n)
{
	int rc = 0;
	for (int i = 0; rc == 0 && i < n; i++) {
		int p = first + i;
		switch (v[i].kind) {
		case CS_SQL_INT:
			rc = cs_sql_bind_int(st, p, v[i].i);
			break;
		case CS_SQL_REAL:
			rc = cs_sql_bind_real(st, p, v[i].r);
			break;
		case CS_SQL_MONEY:
			rc = cs_sql_bind_money(st, p, v[i].i);
			break;
		case CS_SQL_TEXT:
			rc = v[i].i > 0 ? cs_sql_bind_textn(st, p, v[i].s, (int)v[i].i)
					: cs_sql_bind_text(st, p, v[i].s);
			break;
		case CS_SQL_TIME:
			rc = cs_sql_bind_time(st, p, v[i].s);
			break;
		case CS_SQL_JSON:
			rc = cs_sql_bind_json(st, p, v[i].s, v[i].i > 0 ? (int)v[i].i : -1);
			break;
		default:
			rc = cs_sql_bind_null(st, p);
		}
	}
	return rc;
}

int cs_sql_bind_all(cs_sql_stmt *st, const cs_sql_val *v, int n)
{
	return cs_sql_bind_vals(st, 1, v, n);
}

/* A binder can fail only for want of memory. */
static int bind_failed(cs_sql_stmt *st, cs_err *err)
{
	return cs_err_set(err, CS_ERR, "cannot %s in database '%s': out of memory", st->what,
			  st->conn->name);
}

int cs_sql_exec(cs_sql *c, const char *sql, const char *what, const cs_sql_val *v, int n,
		long long *changes, cs_err *err)
{
	cs_sql_stmt *st = NULL;
	int rc = cs_sql_prepare(c, sql, what, &st, err);
	if (rc < 0)
		return rc;
	if (cs_sql_bind_all(st, v, n))
		rc = bind_failed(st, err);
	while (rc == 0 && (rc = cs_sql_step(st, err)) == CS_SQL_ROW)
		rc = 0;
	if (rc == 0 && changes)
		*changes = cs_sql_changes(c);
	cs_sql_finalize(st);
	return rc;
}

int cs_sql_insert_id(cs_sql *c, const char *sql, const char *what, const cs_sql_val *v, int n,
		     long long *id, cs_err *err)
{
	cs_sql_stmt *st = NULL;
	int rc = cs_sql_prepare(c, sql, what, &st, err);
	if (rc < 0)
		return rc;
	if (cs_sql_bind_all(st, v, n))
		rc = bind_failed(st, err);
	if (rc == 0 && (rc = cs_sql_step(st, err)) >= 0) {
		*id = cs_sql_last_id(c, st);
		rc = 0;
	}
	cs_sql_finalize(st);
	return rc;
}

int cs_sql_query(cs_sql *c, const char *sql, const char *what, const cs_sql_val *v, int n,
		 cs_sql_row_fn row, void *ctx, cs_err *err)
{
	cs_sql_stmt *st = NULL;
	int rc = cs_sql_prepare(c, sql, what, &st, err);
	if (rc < 0)
		return rc;
	if (cs_sql_bind_all(st, v, n))
		rc = bind_failed(st, err);
	int src = 0;
	while (rc == 0 && (src = cs_sql_step(st, err)) == CS_SQL_ROW)
		rc = row(st, ctx);
	if (rc == 0 && src < 0)
		rc = src;
	cs_sql_finalize(st);
	return rc;
}

typedef struct one_int {
	long long *out;
	int found;
} one_int;

static int first_int(cs_sql_stmt *st, void *ctx)
{
	one_int *o = ctx;
	if (!o->found)
		*o->out = cs_sql_col_int(st, 0);
	o->found = 1;
	return 0;
}

int cs_sql_query_int(cs_sql *c, const char *sql, const char *what, const cs_sql_val *v, int n,
		     long long *out, int *found, cs_err *err)
{
	one_int o = {out, 0};
	int rc = cs_sql_query(c, sql, what, v, n, first_int, &o, err);
	if (found)
		*found = o.found;
	return rc;
}

int cs_sql_script(cs_sql *c, const char *sql, const char *what, cs_err *err)
{
	cs_buf b = CS_BUF_INIT;
	int rc = cs_sql_expand(c->dia, sql, &b, err);
	if (rc == 0)
		rc = c->drv->exec(c, cs_buf_str(&b), what, err);
	else if (err->msg[0] == '\0')
		rc = cs_err_set(err, CS_ERR, "cannot %s in database '%s': out of memory", what,
				c->name);
	cs_buf_release(&b);
	return rc;
}

int cs_sql_begin(cs_sql *c, int write, const char *what, cs_err *err)
{
	if (c->in_txn)
		return cs_err_set(err, CS_ERR, "cannot %s in database '%s': a transaction is "
					       "already in progress",
				  what, c->name);
	int rc = c->drv->exec(c, write ? c->dia->begin_write : c->dia->begin_read, what, err);
	if (rc == 0)
		c->in_txn = 1;
	return rc;
}

void cs_sql_rollback(cs_sql *c)
{
	cs_err ignored = {0};
	if (!c->in_txn)
		return;
	c->drv->exec(c, "ROLLBACK", "roll back", &ignored);
	c->in_txn = 0;
}

int cs_sql_end(cs_sql *c, int rc, const char *what, cs_err *err)
{
	if (rc == 0) {
		rc = c->drv->exec(c, "COMMIT", what, err);
		if (rc == 0) {
			c->in_txn = 0;
			return 0;
		}
	}
	/* A failed commit leaves the transaction open in some products. */
	cs_sql_rollback(c);
	return rc;
}

void cs_sql_now(char out[32])
{
	cs_time_format(cs_time_now_ms(), 1, out);
}

/* ---- for drivers ---- */

/* Bytes of the valid UTF-8 character at p (n bytes left), 0 when the byte
 * starts none (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF). */
static size_t utf8_char(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		lo = c == 0xE0 ? 0xA0 : lo;
		hi = c == 0xED ? 0x9F : hi;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		lo = c == 0xF0 ? 0x90 : lo;
		hi = c == 0xF4 ? 0x8F : hi;
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if ((p[k] & 0xC0) != 0x80)
			return 0;
	return len;
}

int cs_sql_utf8_fix(const char *v, size_t len, char **fixed, size_t *fixed_len)
{
	const unsigned char *u = (const unsigned char *)v;
	size_t bad = 0, c;
	*fixed = NULL;
	for (size_t k = 0; k < len; k += c ? c : 1) {
		while (k < len && u[k] < 0x80) /* the common case, byte by byte */
			k++;
		if (k == len)
			break;
		bad += !(c = utf8_char(u + k, len - k));
	}
	if (!bad)
		return 0;
	char *out = malloc(len + 2 * bad + 1), *o = out;
	if (!out)
		return CS_ERR;
	for (size_t k = 0; k < len; k += c ? c : 1) {
		c = utf8_char(u + k, len - k);
		memcpy(o, c ? v + k : "\xEF\xBF\xBD", c ? c : 3);
		o += c ? c : 3;
	}
	*o = '\0';
	*fixed = out;
	*fixed_len = (size_t)(o - out);
	return 0;
}

void cs_sql_number_text(const char *v, int is_float, char *out, size_t n)
{
	size_t len = strlen(v);
	if (len + 3 > n || strpbrk(v, "eENIn")) { /* exponent, NaN, Infinity: as they are */
		snprintf(out, n, "%s", v);
		return;
	}
	memcpy(out, v, len + 1);
	char *dot = strchr(out, '.');
	if (!dot) {
		if (is_float)
			memcpy(out + len, ".0", 3);
		return;
	}
	char *end = out + len;
	while (end > dot + 2 && end[-1] == '0')
		end--;
	*end = '\0';
}
