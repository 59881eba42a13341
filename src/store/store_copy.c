/* `db copy`: every table of one store into another, through the SQL core,
 * so SQLite -> PostgreSQL is one command. Tables are walked in key order in
 * batches (keyset paging: memory stays flat whatever the size), each batch
 * written as multi-row upserts and committed on its own: a copy stopped
 * anywhere resumes after the target's highest key when run again. Each
 * table is then verified by count and digest (copy_digest.c) on both sides.
 * It must never write to the source, and never report success for a table
 * whose copy differs from the source. */
#include "store/copy.h"
#include "store/copy_int.h"
#include "store/sql/sqlrow.h"
#include "store/sql/sqlstore.h"

#include <stdio.h>
#include <string.h>

#define READ_ROWS 1000
#define MAX_KEY 4
#define MAX_PARAMS 30000 /* below every product's bound-parameter limit */

/* One table as the copy walks it: key columns first, then the rest. */
typedef struct plan {
	const cs_sql_table *t;
	const char *cols[CS_SQL_ROW_MAX];
	int roles[CS_SQL_ROW_MAX];
	int ncols, nkey;
	const char *serial; /* a column the database numbers, or NULL */
} plan;

static int add_col(plan *p, const cs_sql_col *c)
{
	for (int i = 0; i < p->ncols; i++)
		if (!strcmp(p->cols[i], c->name))
			return 0;
	p->cols[p->ncols] = c->name;
	p->roles[p->ncols++] = c->role;
	if (c->role == CS_ROLE_SERIAL)
		p->serial = c->name;
	return 1;
}

static const cs_sql_col *col_named(const cs_sql_table *t, const char *name, size_t n)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strlen(t->cols[i].name) == n && !strncmp(t->cols[i].name, name, n))
			return &t->cols[i];
	return NULL;
}

static int make_plan(const cs_sql_table *t, plan *p, cs_err *err)
{
	memset(p, 0, sizeof(*p));
	p->t = t;
	if (t->ncols > CS_SQL_ROW_MAX)
		return cs_err_set(err, CS_ERR, "cannot copy table %s: it has %zu columns, more "
					       "than %d", t->name, t->ncols, CS_SQL_ROW_MAX);
	for (const char *k = t->pk; k && *k && p->nkey < MAX_KEY;) {
		size_t n = strcspn(k, ", ");
		const cs_sql_col *c = col_named(t, k, n);
		if (c)
			p->nkey += add_col(p, c);
		k += n + strspn(k + n, ", ");
	}
	for (size_t i = 0; !t->pk && i < t->ncols && !p->nkey; i++)
		if ((t->cols[i].flags & CS_SQLCOL_PK) || t->cols[i].role == CS_ROLE_SERIAL)
			p->nkey = add_col(p, &t->cols[i]);
	if (!p->nkey)
		return cs_err_set(err, CS_ERR, "cannot copy table %s: it has no primary key to "
					       "walk it in order", t->name);
	for (size_t i = 0; i < t->ncols; i++)
		add_col(p, &t->cols[i]);
	/* columns later migrations added to the table */
	for (unsigned m = 0; m < cs_sql_nmigrations; m++)
		for (size_t i = 0; i < cs_sql_migrations[m].nobjs; i++) {
			size_t n = 0;
			const cs_sql_obj *x = cs_sql_obj_expand(&cs_sql_migrations[m].objs[i], &n);
			for (size_t j = 0; j < n; j++) {
				const cs_sql_added_col *a = x[j].def;
				if (x[j].kind == CS_OBJ_COLUMN && !strcmp(a->table, t->name) &&
				    p->ncols < CS_SQL_ROW_MAX)
					add_col(p, &a->col);
			}
		}
	return 0;
}

static int key_list(cs_buf *b, const plan *p)
{
	int bad = 0;
	for (int k = 0; k < p->nkey; k++)
		bad |= (k && cs_buf_puts(b, ", ")) | cs_sql_ident(b, p->cols[k]);
	return bad;
}

/* SELECT the plan's columns in key order, after the key ?1..?nkey if
 * after is set, READ_ROWS at a time. */
static int select_text(const plan *p, int after, cs_buf *b)
{
	int bad = cs_buf_puts(b, "SELECT ");
	for (int i = 0; i < p->ncols; i++)
		bad |= (i && cs_buf_puts(b, ", ")) | cs_sql_ident(b, p->cols[i]);
	bad |= cs_buf_puts(b, " FROM ") | cs_sql_ident(b, p->t->name);
	if (after) {
		bad |= cs_buf_puts(b, " WHERE (") | key_list(b, p) | cs_buf_puts(b, ") > (");
		for (int k = 0; k < p->nkey; k++)
			bad |= cs_buf_printf(b, "%s?%d", k ? ", " : "", k + 1);
		bad |= cs_buf_puts(b, ")");
	}
	bad |= cs_buf_puts(b, " ORDER BY ") | key_list(b, p);
	return bad | cs_buf_printf(b, " LIMIT %d", READ_ROWS);
}

/* A walk over one table of one connection, in key order from a position. */
typedef struct walk walk;
struct walk {
	const plan *p;
	cs_sql *c;
	int (*row)(walk *w, const cs_sql_val *v, cs_err *err);
	int (*batch_end)(walk *w, cs_err *err);
	void *ctx;
	const cs_copy_hooks *hooks;
	cs_err *err;
	/* the key after which the next batch starts (bound), and the key of
	 * the last row read (cur): separate, since a driver may read the
	 * bound text while the rows come */
	cs_sql_val bound[MAX_KEY], cur[MAX_KEY];
	cs_buf bound_text[MAX_KEY], cur_text[MAX_KEY];
	int after;
	long long got, total;
	int bad_col;
	cs_sql_val v[CS_SQL_ROW_MAX];
};

static void walk_release(walk *w)
{
	for (int k = 0; k < MAX_KEY; k++) {
		cs_buf_release(&w->bound_text[k]);
		cs_buf_release(&w->cur_text[k]);
	}
}

static int keep_key(cs_sql_val *dst, cs_buf *text, const cs_sql_val *src)
{
	*dst = *src;
	if (!cs_sql_kind_has_text(src->kind))
		return 0;
	cs_buf_reset(text);
	if (cs_buf_puts(text, src->s))
		return -1;
	dst->s = cs_buf_str(text);
	dst->i = 0;
	return 0;
}

static int on_row(cs_sql_stmt *st, void *ctx)
{
	walk *w = ctx;
	for (int i = 0; i < w->p->ncols; i++)
		if (cs_copy_read_value(st, i, w->p->roles[i], &w->v[i])) {
			w->bad_col = i + 1;
			return cs_err_set(w->err, CS_EPROTO, "cannot copy table %s: column %s holds "
					  "an amount out of range ('%s')", w->p->t->name,
					  w->p->cols[i], cs_sql_col_text(st, i));
		}
	int rc = w->row(w, w->v, w->err);
	for (int k = 0; rc == 0 && k < w->p->nkey; k++)
		if (keep_key(&w->cur[k], &w->cur_text[k], &w->v[k]))
			rc = cs_err_set(w->err, CS_ERR, "cannot copy table %s: out of memory",
					w->p->t->name);
	w->got++;
	w->total++;
	return rc;
}

static int walk_table(walk *w, const char *what, cs_err *err)
{
	cs_buf first = CS_BUF_INIT, next = CS_BUF_INIT;
	int rc = 0;
	w->err = err;
	if (select_text(w->p, 0, &first) || select_text(w->p, 1, &next))
		rc = cs_err_set(err, CS_ERR, "cannot %s: out of memory", what);
	while (rc == 0) {
		w->got = 0;
		rc = cs_sql_query(w->c, cs_buf_str(w->after ? &next : &first), what,
				  w->after ? w->bound : NULL, w->after ? w->p->nkey : 0, on_row, w,
				  err);
		if (rc == 0 && w->batch_end)
			rc = w->batch_end(w, err);
		if (rc || w->got < READ_ROWS)
			break;
		for (int k = 0; rc == 0 && k < w->p->nkey; k++)
			if (keep_key(&w->bound[k], &w->bound_text[k], &w->cur[k]))
				rc = cs_err_set(err, CS_ERR, "cannot %s: out of memory", what);
		w->after = 1;
		if (rc == 0 && w->hooks->should_stop && w->hooks->should_stop())
			rc = cs_err_set(err, CS_EINTR, "db copy stopped in table %s; run it again "
						       "to resume (the rows copied so far are kept)",
					w->p->t->name);
	}
	cs_buf_release(&first);
	cs_buf_release(&next);
	return rc;
}

/* ---- copying ---- */

typedef struct writer {
	cs_sql *dst;
	cs_sql_upsert u;
	cs_sql_rowbuf buf;
	cs_sql_stmt *kept;
	long long done, total, copied;
	char what[96];
} writer;

static int write_row(walk *w, const cs_sql_val *v, cs_err *err)
{
	writer *wr = w->ctx;
	if (!wr->dst->in_txn && cs_sql_begin(wr->dst, 1, wr->what, err))
		return CS_ERR;
	if (cs_sql_rowbuf_put(&wr->buf, -1, 0, v))
		return cs_err_set(err, CS_ERR, "cannot %s: out of memory", wr->what);
	wr->copied++;
	if (wr->buf.rows < wr->buf.cap)
		return 0;
	return cs_sql_rowbuf_upsert(wr->dst, &wr->u, &wr->buf, &wr->kept, wr->what, err);
}

/* A batch is committed on its own: what is committed stays when the copy
 * stops, and the next run resumes after it. */
static int write_batch_end(walk *w, cs_err *err)
{
	writer *wr = w->ctx;
	if (!wr->dst->in_txn)
		return 0;
	int rc = cs_sql_rowbuf_upsert(wr->dst, &wr->u, &wr->buf, &wr->kept, wr->what, err);
	rc = cs_sql_end(wr->dst, rc, wr->what, err);
	if (rc == 0 && w->hooks->progress)
		w->hooks->progress(w->p->t->name, wr->done + w->total, wr->total, w->hooks->ctx);
	return rc;
}

/* The target's rows of an integer-keyed table end at its highest key: the
 * walk resumes after it. Others are copied again from the start (every
 * write is an upsert, so that is harmless). */
static int resume_point(const plan *p, cs_sql *dst, walk *w, long long *have, cs_err *err)
{
	cs_buf sql = CS_BUF_INIT;
	int role = p->roles[0], found = 0, rc = 0;
	long long max = 0;
	*have = 0;
	if (p->nkey != 1 || (role != CS_ROLE_ID && role != CS_ROLE_SERIAL && role != CS_ROLE_INT))
		return 0;
	if (cs_buf_puts(&sql, "SELECT MAX(") || cs_sql_ident(&sql, p->cols[0]) ||
	    cs_buf_puts(&sql, ") FROM ") || cs_sql_ident(&sql, p->t->name))
		rc = cs_err_set(err, CS_ERR, "cannot read the copy's resume point: out of memory");
	if (rc == 0)
		rc = cs_sql_query_int(dst, cs_buf_str(&sql), "read the copy's resume point",
				      CS_SQL_NOARGS, &max, &found, err);
	cs_buf_release(&sql);
	if (rc == 0 && found && max > 0) {
		char count[64];
		snprintf(count, sizeof(count), "SELECT COUNT(*) FROM \"%s\"", p->t->name);
		rc = cs_sql_query_int(dst, count, "count the copied rows", CS_SQL_NOARGS, have,
				      NULL, err);
		w->bound[0] = CS_V_INT(max);
		w->after = 1;
	}
	return rc;
}

static int count_rows(cs_sql *c, const cs_sql_table *t, long long *n, cs_err *err)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM \"%s\"", t->name);
	*n = 0;
	return cs_sql_query_int(c, sql, "count rows", CS_SQL_NOARGS, n, NULL, err);
}

static int copy_rows(cs_sql *src, cs_sql *dst, const plan *p, const cs_copy_hooks *h,
		     int resume, cs_copy_table *out, cs_err *err)
{
	walk w = {.p = p, .c = src, .row = write_row, .batch_end = write_batch_end, .hooks = h};
	writer wr = {.dst = dst, .total = out->source_rows};
	int per_stmt = MAX_PARAMS / p->ncols;
	snprintf(wr.what, sizeof(wr.what), "copy table %s", p->t->name);
	wr.u = (cs_sql_upsert){.table = p->t->name, .cols = p->cols, .ncols = p->ncols,
			       .nkey = p->nkey, .ignore = p->nkey == p->ncols};
	w.ctx = &wr;
	int rc = cs_sql_rowbuf_init(&wr.buf, p->ncols, per_stmt < 100 ? per_stmt : 100);
	if (rc)
		rc = cs_err_set(err, CS_ERR, "cannot %s: out of memory", wr.what);
	if (rc == 0 && resume)
		rc = resume_point(p, dst, &w, &wr.done, err);
	out->resumed = wr.done;
	if (rc == 0)
		rc = walk_table(&w, wr.what, err);
	if (rc)
		cs_sql_rollback(dst);
	out->copied = wr.copied;
	cs_sql_finalize(wr.kept);
	cs_sql_rowbuf_release(&wr.buf);
	walk_release(&w);
	/* a column the database numbers continues after the copied rows */
	if (rc == 0 && p->serial) {
		char sql[256];
		snprintf(sql, sizeof(sql), "@serial_restart(%s,%s)", p->t->name, p->serial);
		rc = cs_sql_exec(dst, sql, "restart the numbering after the copied rows",
				 CS_SQL_NOARGS, NULL, err);
	}
	return rc;
}

/* ---- verifying ---- */

static int digest_row(walk *w, const cs_sql_val *v, cs_err *err)
{
	cs_copy_digest *d = w->ctx;
	for (int i = 0; i < w->p->ncols; i++)
		if (cs_copy_digest_value(d, &v[i]))
			return cs_err_set(err, CS_ERR, "cannot check table %s: out of memory",
					  w->p->t->name);
	return cs_copy_digest_row_end(d) ? cs_err_set(err, CS_ERR, "cannot check table %s",
						      w->p->t->name)
					 : 0;
}

static int digest_table(cs_sql *c, const plan *p, const cs_copy_hooks *h, long long *rows,
			unsigned char sum[32], cs_err *err)
{
	cs_copy_digest d;
	walk w = {.p = p, .c = c, .row = digest_row, .hooks = h, .ctx = &d};
	int rc = cs_copy_digest_init(&d) ? cs_err_set(err, CS_ERR, "cannot check table %s: no "
								"SHA-256", p->t->name)
					 : 0;
	if (rc == 0)
		rc = walk_table(&w, "read a table to check the copy", err);
	if (rc == 0 && cs_copy_digest_final(&d, sum))
		rc = cs_err_set(err, CS_ERR, "cannot check table %s", p->t->name);
	*rows = d.rows;
	cs_copy_digest_release(&d);
	walk_release(&w);
	return rc;
}

static int verify(cs_sql *src, cs_sql *dst, const plan *p, const cs_copy_hooks *h,
		  cs_copy_table *out, cs_err *err)
{
	int rc = digest_table(src, p, h, &out->source_rows, out->source_sum, err);
	if (rc == 0)
		rc = digest_table(dst, p, h, &out->target_rows, out->target_sum, err);
	if (rc)
		return rc;
	if (out->source_rows != out->target_rows)
		return cs_err_set(err, CS_ECONFLICT,
				  "table %s: the copy holds %lld rows, the source %lld: the target "
				  "had rows of its own before the copy (copy into an empty database), "
				  "or the source changed during the copy (stop every sync and run "
				  "'db copy' again)",
				  p->t->name, out->target_rows, out->source_rows);
	if (memcmp(out->source_sum, out->target_sum, 32))
		return cs_err_set(err, CS_ECONFLICT,
				  "table %s: the copy's rows differ from the source's (%lld rows on "
				  "each side, different checksums): the target had rows of its own "
				  "before the copy, or the source changed during it; stop every sync "
				  "and run 'db copy' again",
				  p->t->name, out->source_rows);
	return 0;
}

static int copy_table(cs_sql *src, cs_sql *dst, const cs_sql_table *t, const cs_copy_hooks *h,
		      cs_err *err)
{
	plan p;
	cs_copy_table out = {.name = t->name};
	int rc = make_plan(t, &p, err);
	if (rc == 0)
		rc = count_rows(src, t, &out.source_rows, err);
	if (rc == 0)
		rc = copy_rows(src, dst, &p, h, 1, &out, err);
	if (rc == 0)
		rc = verify(src, dst, &p, h, &out, err);
	/* A resumed copy skipped rows the source may have changed since: copy
	 * the whole table again before calling it different. */
	if (rc == CS_ECONFLICT && out.resumed > 0) {
		long long n = out.source_rows;
		rc = copy_rows(src, dst, &p, h, 0, &out, err);
		out.source_rows = n;
		if (rc == 0)
			rc = verify(src, dst, &p, h, &out, err);
	}
	if (rc == 0 && h->table_done)
		h->table_done(&out, h->ctx);
	return rc;
}

static int copy_tables(cs_sql *src, cs_sql *dst, const cs_copy_hooks *h, cs_err *err)
{
	int rc = 0;
	for (unsigned m = 0; rc == 0 && m < cs_sql_nmigrations; m++)
		for (size_t i = 0; rc == 0 && i < cs_sql_migrations[m].nobjs; i++) {
			const cs_sql_obj *o = &cs_sql_migrations[m].objs[i];
			if (o->kind == CS_OBJ_TABLE && !cs_sql_table_ephemeral(o->def))
				rc = copy_table(src, dst, o->def, h, err);
			for (int e = 0; rc == 0 && o->kind == CS_OBJ_ENTITY_TABLES && e < CS_ENT_COUNT;
			     e++)
				rc = copy_table(src, dst, cs_sql_entity_table(e), h, err);
		}
	return rc;
}

int cs_store_copy(cs_store *from, cs_store *to, const cs_copy_hooks *hooks, cs_err *err)
{
	cs_sql *src = cs_sql_store_conn(from), *dst = cs_sql_store_conn(to);
	if (!src || !dst)
		return cs_err_set(err, CS_ERR, "db copy works between SQL stores only");
	int applied = 0;
	int rc = to->migrate(to, &applied, err);
	if (rc)
		return cs_err_wrap(err, "cannot prepare the target database");
	/* one snapshot of the source for the whole copy and its checks */
	rc = cs_sql_begin(src, 0, "read the source database", err);
	if (rc == 0)
		rc = copy_tables(src, dst, hooks, err);
	cs_sql_rollback(src);
	return rc;
}
