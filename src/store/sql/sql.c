/* The statement helper: every query of the store goes through these few
 * functions, so preparing, binding, stepping, reading and the mapping of a
 * database's failure to a specific message are written once for every
 * backend. It never builds SQL from values: values are always bound. */
#include "store/sql/sql.h"
#include "util/money.h"
#include "util/timeutil.h"

#include <stdio.h>
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

int cs_sql_bind_all(cs_sql_stmt *st, const cs_sql_val *v, int n)
{
	int rc = 0;
	for (int i = 0; rc == 0 && i < n; i++) {
		switch (v[i].kind) {
		case CS_SQL_INT:
			rc = cs_sql_bind_int(st, i + 1, v[i].i);
			break;
		case CS_SQL_REAL:
			rc = cs_sql_bind_real(st, i + 1, v[i].r);
			break;
		case CS_SQL_TEXT:
			rc = cs_sql_bind_text(st, i + 1, v[i].s);
			break;
		case CS_SQL_TIME:
			rc = cs_sql_bind_time(st, i + 1, v[i].s);
			break;
		default:
			rc = cs_sql_bind_null(st, i + 1);
		}
	}
	return rc;
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
