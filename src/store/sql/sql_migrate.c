/* Migrations: each one applies or reverts in its own transaction together
 * with its schema_migrations row, so a crash never leaves a half-applied
 * version recorded as done (or the other way round). The list itself is
 * data (sql_schema.c); this file only walks it. It must never apply a
 * version out of order or drop a version this build does not know. */
#include "store/sql/schema.h"
#include "store/sql/sqlstore.h"

#include <stdio.h>
#include <string.h>

/* Kept outside the migration list: it records the list. */
static const char migrations_table_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations (version @bigint PRIMARY KEY, "
	"name @text NOT NULL, applied_at @text NOT NULL)";

/* Applied versions as read from schema_migrations. */
#define MAX_APPLIED 64
typedef struct applied_set {
	int n;
	int version[MAX_APPLIED];
	char at[MAX_APPLIED][32];
} applied_set;

static int add_applied(cs_sql_stmt *st, void *ctx)
{
	applied_set *set = ctx;
	if (set->n == MAX_APPLIED)
		return 0;
	set->version[set->n] = (int)cs_sql_col_int(st, 0);
	cs_sql_col_copy(st, 1, set->at[set->n], sizeof(set->at[0]));
	set->n++;
	return 0;
}

static int load_applied(cs_sql_store *s, applied_set *set, cs_err *err)
{
	set->n = 0;
	if (!cs_sql_has_table(s->c, "schema_migrations"))
		return 0;
	return cs_sql_query(s->c,
			    "SELECT version, applied_at FROM schema_migrations ORDER BY version",
			    "read schema_migrations", CS_SQL_NOARGS, add_applied, set, err);
}

static int find_applied(const applied_set *set, int version)
{
	for (int i = 0; i < set->n; i++)
		if (set->version[i] == version)
			return i;
	return -1;
}

static const cs_sql_migration *find_migration(int version)
{
	for (unsigned i = 0; i < cs_sql_nmigrations; i++)
		if (cs_sql_migrations[i].version == version)
			return &cs_sql_migrations[i];
	return NULL;
}

int cs_sql_schema_version(cs_sql_store *s, int *version, cs_err *err)
{
	applied_set set;
	int rc = load_applied(s, &set, err);
	*version = rc == 0 && set.n ? set.version[set.n - 1] : 0;
	return rc;
}

static int begin(cs_sql_store *s, const char *what, cs_err *err)
{
	if (s->in_page)
		return cs_err_set(err, CS_ERR, "cannot %s in database '%s': a page is in progress",
				  what, s->c->name);
	return cs_sql_begin(s->c, 1, what, err);
}

static int count_row(cs_sql_stmt *st, void *ctx)
{
	*(long long *)ctx = cs_sql_col_int(st, 0);
	return 0;
}

/* Whether the object is already in the state the step would put it in: an
 * added column that exists (up) or is gone (down). Asked only where DDL is
 * not transactional (ddl_rerunnable), so a migration that failed between
 * its ALTER and its record is finished by running it again; elsewhere the
 * ALTER and the record commit together, and a column the record does not
 * account for is an error worth seeing. Not every product can say ADD
 * COLUMN IF NOT EXISTS (MySQL 8 cannot), so the catalogue is read. */
static int already_done(cs_sql_store *s, const cs_sql_obj *o, int up, int *done, cs_err *err)
{
	*done = 0;
	if (o->kind != CS_OBJ_COLUMN || !s->c->dia->ddl_rerunnable)
		return 0;
	const cs_sql_added_col *a = o->def;
	long long n = 0;
	int rc = cs_sql_query(s->c,
			      cs_sql_text(s->c->dia, "ddl.has_column",
					  "SELECT COUNT(*) FROM information_schema.columns WHERE"
					  " table_schema = CURRENT_SCHEMA AND table_name = ?1 AND"
					  " column_name = ?2"),
			      "look up a column", CS_SQL_ARGS(CS_V_TEXT(a->table), CS_V_TEXT(a->col.name)),
			      count_row, &n, err);
	*done = up ? n > 0 : n == 0;
	return rc;
}

/* Appends one object's DDL to b. Where one ALTER TABLE takes several
 * clauses (alter_many), a column of the table the last statement altered
 * joins that statement: "ALTER TABLE "t" ADD COLUMN a ..., ADD COLUMN b
 * ...;". *last names that table, or is NULL after any other statement. */
static int append_ddl(const cs_sql_dialect *d, const cs_sql_obj *o, int up, const char **last,
		      cs_buf *b)
{
	const cs_sql_added_col *a = o->def;
	cs_buf one = CS_BUF_INIT;
	int bad = up ? cs_sql_ddl_create(d, o, &one) : cs_sql_ddl_drop(d, o, &one);
	/* the generated text starts ALTER TABLE "<table>" (sql_ddl.c) */
	size_t head = o->kind == CS_OBJ_COLUMN ? strlen("ALTER TABLE \"\" ") + strlen(a->table) : 0;
	if (!bad && head && d->alter_many && *last && !strcmp(*last, a->table) && b->len &&
	    b->data[b->len - 1] == ';' && one.len > head) {
		b->len--; /* reopen the statement */
		bad |= cs_buf_puts(b, ", ") | cs_buf_puts(b, cs_buf_str(&one) + head);
	} else if (!bad) {
		bad |= cs_buf_puts(b, cs_buf_str(&one));
	}
	*last = head ? a->table : NULL;
	cs_buf_release(&one);
	return bad;
}

/* A backfill object of a migration: the DDL gathered so far runs first,
 * since the backfill reads and writes what it made. */
static int run_backfill(cs_sql_store *s, const cs_sql_backfill *bf, cs_buf *b, const char **last,
			cs_err *err)
{
	int rc = b->len ? cs_sql_script(s->c, cs_buf_str(b), "execute SQL", err) : 0;
	cs_buf_reset(b);
	*last = NULL;
	if (rc == 0)
		rc = bf->run(s, bf->version, err);
	if (rc < 0)
		cs_err_wrap(err, "%s", bf->what);
	return rc;
}

/* Creates (up) or drops (down, in reverse order) the migration's objects,
 * then (up) fills the entity columns it added from raw_json. */
static int run_objects(cs_sql_store *s, const cs_sql_migration *m, int up, cs_err *err)
{
	cs_buf b = CS_BUF_INIT;
	int bad = 0, rc = 0;
	const char *last = NULL;
	for (size_t i = 0; rc == 0 && i < m->nobjs; i++) {
		size_t n = 0;
		const cs_sql_obj *list = cs_sql_obj_expand(&m->objs[up ? i : m->nobjs - 1 - i], &n);
		for (size_t j = 0; rc == 0 && !bad && j < n; j++) {
			const cs_sql_obj *o = &list[up ? j : n - 1 - j];
			int done = 0;
			if (o->kind == CS_OBJ_BACKFILL) {
				/* it reads and writes what the objects before it made */
				if (up)
					rc = run_backfill(s, o->def, &b, &last, err);
				continue;
			}
			rc = already_done(s, o, up, &done, err);
			if (rc == 0 && !done)
				bad |= append_ddl(s->c->dia, o, up, &last, &b);
		}
	}
	if (rc == 0 && bad)
		rc = cs_err_set(err, CS_ERR, "cannot build the schema of migration %d: out of memory",
				m->version);
	if (rc == 0 && b.len)
		rc = cs_sql_script(s->c, cs_buf_str(&b), "execute SQL", err);
	for (size_t i = 0; rc == 0 && up && i < m->nobjs; i++)
		if (m->objs[i].kind == CS_OBJ_ENTITY_COLUMNS)
			rc = cs_sql_backfill_columns(s, *(const int *)m->objs[i].def, err);
	cs_buf_release(&b);
	return rc;
}

static int record(cs_sql_store *s, const cs_sql_migration *m, int up, cs_err *err)
{
	char now[32];
	cs_sql_now(now);
	if (!up)
		return cs_sql_exec(s->c, "DELETE FROM schema_migrations WHERE version = ?1",
				   "record a migration", CS_SQL_ARGS(CS_V_INT(m->version)), NULL, err);
	return cs_sql_exec(s->c,
			   "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, "
			   "?2, ?3)",
			   "record a migration",
			   CS_SQL_ARGS(CS_V_INT(m->version), CS_V_TEXT(m->name), CS_V_TEXT(now)),
			   NULL, err);
}

static int apply_one(cs_sql_store *s, const cs_sql_migration *m, int up, cs_err *err)
{
	const char *what = up ? "apply a migration" : "roll back a migration";
	int rc = begin(s, what, err);
	if (rc < 0)
		return rc;
	rc = run_objects(s, m, up, err);
	if (rc == 0)
		rc = record(s, m, up, err);
	rc = cs_sql_end(s->c, rc, what, err);
	if (rc < 0)
		cs_err_wrap(err, "migration %d '%s'", m->version, m->name);
	return rc;
}

int cs_sql_schema_migrate(cs_store *st, int *applied, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	applied_set set;
	int n = 0;
	int rc = cs_sql_script(s->c, migrations_table_sql, "execute SQL", err);
	if (rc == 0)
		rc = load_applied(s, &set, err);
	for (unsigned i = 0; rc == 0 && i < cs_sql_nmigrations; i++) {
		if (find_applied(&set, cs_sql_migrations[i].version) >= 0)
			continue;
		rc = apply_one(s, &cs_sql_migrations[i], 1, err);
		if (rc == 0)
			n++;
	}
	if (applied)
		*applied = n;
	return rc;
}

int cs_sql_schema_rollback(cs_store *st, int *version, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	applied_set set;
	*version = 0;
	int rc = load_applied(s, &set, err);
	if (rc < 0 || set.n == 0)
		return rc;
	int v = set.version[set.n - 1];
	const cs_sql_migration *m = find_migration(v);
	if (!m)
		return cs_err_set(err, CS_ERR,
				  "cannot roll back migration %d in database '%s': this build of "
				  "classy-sync does not know it; use the newer classy-sync that applied it",
				  v, s->c->name);
	cs_sql_store_drop_cached(s);
	rc = apply_one(s, m, 0, err);
	if (rc == 0)
		*version = v;
	return rc;
}

int cs_sql_schema_list(cs_store *st, cs_migration_cb cb, void *ctx, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	applied_set set;
	int rc = load_applied(s, &set, err);
	for (unsigned i = 0; rc == 0 && i < cs_sql_nmigrations; i++) {
		const cs_sql_migration *m = &cs_sql_migrations[i];
		cs_migration_info info = {m->version, m->name, 0, ""};
		int k = find_applied(&set, m->version);
		if (k >= 0) {
			info.applied = 1;
			memcpy(info.applied_at, set.at[k], sizeof(info.applied_at));
		}
		rc = cb(&info, ctx);
	}
	/* Versions a newer build applied: listed so the user sees the mismatch. */
	for (int k = 0; rc == 0 && k < set.n; k++) {
		if (find_migration(set.version[k]))
			continue;
		cs_migration_info info = {set.version[k], "(unknown to this build)", 1, ""};
		memcpy(info.applied_at, set.at[k], sizeof(info.applied_at));
		rc = cb(&info, ctx);
	}
	return rc;
}

/* Reverts every applied migration, newest first, then drops the record of
 * them, all in one transaction: reset either happens entirely or not at all. */
int cs_sql_schema_reset(cs_store *st, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	applied_set set;
	int rc = load_applied(s, &set, err);
	if (rc < 0)
		return rc;
	for (int k = 0; k < set.n; k++)
		if (!find_migration(set.version[k]))
			return cs_err_set(err, CS_ERR,
					  "cannot reset database '%s': migration %d is unknown to "
					  "this build of classy-sync; use the newer classy-sync that "
					  "applied it",
					  s->c->name, set.version[k]);
	cs_sql_store_drop_cached(s);
	rc = begin(s, "reset the schema", err);
	if (rc < 0)
		return rc;
	for (int k = set.n - 1; rc == 0 && k >= 0; k--) {
		const cs_sql_migration *m = find_migration(set.version[k]);
		rc = run_objects(s, m, 0, err);
		if (rc < 0)
			cs_err_wrap(err, "migration %d '%s'", m->version, m->name);
	}
	if (rc == 0)
		rc = cs_sql_script(s->c, "DROP TABLE IF EXISTS schema_migrations", "execute SQL",
				   err);
	rc = cs_sql_end(s->c, rc, "reset the schema", err);
	if (rc == 0 && s->hooks.after_reset)
		s->hooks.after_reset(s->c);
	return rc;
}

/* ---- what a rollback or a reset would drop (CS_CTRL_DROP_PLAN) ----
 * Read from the same migration list run_objects drops from, in the same
 * order, so what is announced is what is dropped. */

/* Rows of a table (col NULL), or values of one of its columns. */
static int count_held(cs_sql_store *s, const char *table, const char *col, long long *n,
		      cs_err *err)
{
	*n = 0;
	if (!cs_sql_has_table(s->c, table))
		return 0;
	cs_buf q = CS_BUF_INIT;
	int bad = cs_buf_puts(&q, "SELECT COUNT(*) FROM ") | cs_sql_ident(&q, table);
	if (col)
		bad |= cs_buf_puts(&q, " WHERE ") | cs_sql_ident(&q, col) |
		       cs_buf_puts(&q, " IS NOT NULL");
	int rc = bad ? cs_err_set(err, CS_ERR, "cannot count the rows of '%s': out of memory",
				  table)
		     : cs_sql_query_int(s->c, cs_buf_str(&q), "count rows", CS_SQL_NOARGS, n,
					NULL, err);
	cs_buf_release(&q);
	return rc;
}

static int plan_item(cs_sql_store *s, const cs_sql_migration *m, const char *kind,
		     const char *table, const char *col, cs_drop_plan *p, cs_err *err)
{
	cs_drop_item it = {m->version, m->name, kind, "", NULL, -1};
	if (col)
		snprintf(it.name, sizeof(it.name), "%s.%s", table, col);
	else
		snprintf(it.name, sizeof(it.name), "%s", table);
	if (!strcmp(kind, "table") || col) {
		int rc = count_held(s, table, col, &it.rows, err);
		if (rc < 0)
			return rc;
		const cs_sql_twin *cents = col ? cs_sql_cents_find(table, col) : NULL;
		it.about = cents ? cents->about : col ? NULL : cs_sql_table_about(table);
		/* a table of bookkeeping that is rebuilt on its own (the shared
		 * budget's recent seconds), or a column that is a copy of what
		 * raw_json holds, is listed, but is no data to confirm */
		if (col ? !cents : !cs_sql_table_name_ephemeral(table))
			p->rows += it.rows;
	}
	return p->cb ? p->cb(&it, p->ctx) : 0;
}

static int plan_obj(cs_sql_store *s, const cs_sql_migration *m, const cs_sql_obj *o,
		    cs_drop_plan *p, cs_err *err)
{
	const cs_sql_added_col *a = o->def;
	int rc = 0;
	switch (o->kind) {
	case CS_OBJ_TABLE:
		return plan_item(s, m, "table", ((const cs_sql_table *)o->def)->name, NULL, p, err);
	case CS_OBJ_INDEX:
		return plan_item(s, m, "index", ((const cs_sql_index *)o->def)->name, NULL, p, err);
	case CS_OBJ_VIEW:
	case CS_OBJ_VIEW_TYPED:
		return plan_item(s, m, "view", ((const cs_sql_view *)o->def)->name, NULL, p, err);
	case CS_OBJ_VIEW_REPLACED: /* made again as it was: nothing is lost */
	case CS_OBJ_BACKFILL:
	case CS_OBJ_ENTITY_COLUMNS: /* expanded into its columns by the caller */
	case CS_OBJ_CENTS_COLUMNS:
		return 0;
	case CS_OBJ_COLUMN:
		return plan_item(s, m, "column", a->table, a->col.name, p, err);
	case CS_OBJ_ENTITY_TABLES:
		for (int e = CS_ENT_COUNT - 1; rc == 0 && e >= 0; e--)
			rc = plan_item(s, m, "table", cs_sql_entity_table(e)->name, NULL, p, err);
		return rc;
	}
	return 0;
}

static int plan_migration(cs_sql_store *s, const cs_sql_migration *m, cs_drop_plan *p,
			  cs_err *err)
{
	int rc = 0;
	for (size_t k = 0; rc == 0 && k < m->nobjs; k++) {
		size_t n = 0;
		const cs_sql_obj *list = cs_sql_obj_expand(&m->objs[m->nobjs - 1 - k], &n);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = plan_obj(s, m, &list[n - 1 - i], p, err);
	}
	return rc;
}

int cs_sql_schema_plan(cs_sql_store *s, cs_drop_plan *p, cs_err *err)
{
	applied_set set;
	p->version = 0;
	p->name = NULL;
	p->rows = 0;
	int rc = load_applied(s, &set, err);
	if (rc < 0 || set.n == 0)
		return rc;
	p->version = set.version[set.n - 1];
	for (int k = set.n - 1; k >= 0; k--) {
		const cs_sql_migration *m = find_migration(set.version[k]);
		if (!m)
			return cs_err_set(err, CS_ERR,
					  "cannot %s database '%s': migration %d is unknown to this "
					  "build of classy-sync; use the newer classy-sync that "
					  "applied it",
					  p->all ? "reset" : "roll back", s->c->name, set.version[k]);
		if (k == set.n - 1)
			p->name = m->name;
		rc = plan_migration(s, m, p, err);
		if (rc < 0 || !p->all)
			return rc;
	}
	return 0;
}
