/* Migrations: each one applies or reverts in its own transaction together
 * with its schema_migrations row, so a crash never leaves a half-applied
 * version recorded as done (or the other way round). */
#include "store/sqlite_ops.h"
#include "util/log.h"

#include <string.h>

/* Kept outside the migration list: it records the list. */
static const char migrations_table_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
	"name TEXT NOT NULL, applied_at TEXT NOT NULL)";

/* Applied versions as read from schema_migrations. */
#define MAX_APPLIED 64
typedef struct applied_set {
	int n;
	int version[MAX_APPLIED];
	char at[MAX_APPLIED][32];
} applied_set;

static int load_applied(cs_sqlite *s, applied_set *set, cs_err *err)
{
	sqlite3_stmt *st = NULL;
	set->n = 0;
	if (!cs_sqlite_has_table(s, "schema_migrations"))
		return 0;
	int rc = cs_sqlite_prepare(s,
				   "SELECT version, applied_at FROM schema_migrations ORDER BY version",
				   &st, "read schema_migrations", err);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && set->n < MAX_APPLIED) {
		set->version[set->n] = sqlite3_column_int(st, 0);
		cs_sqlite_col_copy(st, 1, set->at[set->n], sizeof(set->at[0]));
		set->n++;
	}
	rc = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0
						      : cs_sqlite_fail(s, rc, "read schema_migrations", err);
	sqlite3_finalize(st);
	return rc;
}

static int find_applied(const applied_set *set, int version)
{
	for (int i = 0; i < set->n; i++)
		if (set->version[i] == version)
			return i;
	return -1;
}

static const cs_sqlite_migration *find_migration(int version)
{
	for (unsigned i = 0; i < cs_sqlite_nmigrations; i++)
		if (cs_sqlite_migrations[i].version == version)
			return &cs_sqlite_migrations[i];
	return NULL;
}

int cs_sqlite_schema_version(cs_sqlite *s, int *version, cs_err *err)
{
	applied_set set;
	int rc = load_applied(s, &set, err);
	*version = rc == 0 && set.n ? set.version[set.n - 1] : 0;
	return rc;
}

static int begin(cs_sqlite *s, const char *what, cs_err *err)
{
	if (s->in_page)
		return cs_err_set(err, CS_ERR, "cannot %s in database '%s': a page is in progress",
				  what, s->path);
	int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : cs_sqlite_fail(s, rc, what, err);
}

/* Commits, or rolls back when rc says the body failed. */
static int finish(cs_sqlite *s, int rc, const char *what, cs_err *err)
{
	if (rc == 0) {
		int src = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
		if (src == SQLITE_OK)
			return 0;
		rc = cs_sqlite_fail(s, src, what, err);
	}
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int record(cs_sqlite *s, const cs_sqlite_migration *m, int up, cs_err *err)
{
	sqlite3_stmt *st = NULL;
	const char *sql = up ? "INSERT INTO schema_migrations (version, name, applied_at) "
			       "VALUES (?1, ?2, ?3)"
			     : "DELETE FROM schema_migrations WHERE version = ?1";
	char now[32];
	int rc = cs_sqlite_prepare(s, sql, &st, "record a migration", err);
	if (rc < 0)
		return rc;
	cs_sqlite_now(now);
	sqlite3_bind_int(st, 1, m->version);
	if (up) {
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : cs_sqlite_fail(s, rc, "record a migration", err);
	sqlite3_finalize(st);
	return rc;
}

static int apply_one(cs_sqlite *s, const cs_sqlite_migration *m, int up, cs_err *err)
{
	const char *what = up ? "apply a migration" : "roll back a migration";
	int rc = begin(s, what, err);
	if (rc < 0)
		return rc;
	rc = up ? m->up(s->db, err) : m->down(s->db, err);
	if (rc == 0)
		rc = record(s, m, up, err);
	rc = finish(s, rc, what, err);
	if (rc < 0)
		cs_err_wrap(err, "migration %d '%s'", m->version, m->name);
	return rc;
}

int cs_sqlite_migrate(cs_store *st, int *applied, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	applied_set set;
	int n = 0;
	int rc = cs_sqlite_exec(s->db, migrations_table_sql, err);
	if (rc == 0)
		rc = load_applied(s, &set, err);
	for (unsigned i = 0; rc == 0 && i < cs_sqlite_nmigrations; i++) {
		if (find_applied(&set, cs_sqlite_migrations[i].version) >= 0)
			continue;
		rc = apply_one(s, &cs_sqlite_migrations[i], 1, err);
		if (rc == 0)
			n++;
	}
	if (applied)
		*applied = n;
	return rc;
}

int cs_sqlite_rollback(cs_store *st, int *version, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	applied_set set;
	*version = 0;
	int rc = load_applied(s, &set, err);
	if (rc < 0 || set.n == 0)
		return rc;
	int v = set.version[set.n - 1];
	const cs_sqlite_migration *m = find_migration(v);
	if (!m)
		return cs_err_set(err, CS_ERR,
				  "cannot roll back migration %d in database '%s': this build of "
				  "classy-sync does not know it; use the newer classy-sync that applied it",
				  v, s->path);
	cs_sqlite_drop_cached(s);
	rc = apply_one(s, m, 0, err);
	if (rc == 0)
		*version = v;
	return rc;
}

int cs_sqlite_migration_list(cs_store *st, cs_migration_cb cb, void *ctx, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	applied_set set;
	int rc = load_applied(s, &set, err);
	for (unsigned i = 0; rc == 0 && i < cs_sqlite_nmigrations; i++) {
		const cs_sqlite_migration *m = &cs_sqlite_migrations[i];
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
int cs_sqlite_reset(cs_store *st, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
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
					  s->path, set.version[k]);
	cs_sqlite_drop_cached(s);
	rc = begin(s, "reset the schema", err);
	if (rc < 0)
		return rc;
	for (int k = set.n - 1; rc == 0 && k >= 0; k--) {
		const cs_sqlite_migration *m = find_migration(set.version[k]);
		rc = m->down(s->db, err);
		if (rc < 0)
			cs_err_wrap(err, "migration %d '%s'", m->version, m->name);
	}
	if (rc == 0)
		rc = cs_sqlite_exec(s->db, "DROP TABLE IF EXISTS schema_migrations", err);
	rc = finish(s, rc, "reset the schema", err);
	/* Give the space back: after a reset the file should be as small as a
	 * new one. The tables are gone either way, so a failure only warns. */
	if (rc == 0 && sqlite3_exec(s->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
		cs_warn("database '%s' was reset but could not be compacted: %s", s->path,
			sqlite3_errmsg(s->db));
	return rc;
}
