/* Organizations and sync bookkeeping (sync_state reads, sync_runs). */
#include "store/sqlite_ops.h"
#include "util/proc.h"
#include <unistd.h>
#include <signal.h>
#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tables besides the entity tables that hold per-org rows and go with --purge. */
static const char *const purge_tables[] = {"sync_state", "sync_runs", "aggregate_queue",
					   "plugin_state", "plugin_runs", "plugin_outcomes"};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define DEFAULT_LOOKBACK_S 300

/* Runs a one-shot statement whose parameters are all integers; *changes may
 * be NULL. */
static int exec_ints(cs_sqlite *s, const char *sql, const long long *args, int nargs,
		     long long *changes, const char *what, cs_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = cs_sqlite_prepare(s, sql, &st, what, err);
	if (rc < 0)
		return rc;
	for (int i = 0; i < nargs; i++)
		sqlite3_bind_int64(st, i + 1, args[i]);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : cs_sqlite_fail(s, rc, what, err);
	if (rc == 0 && changes)
		*changes = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	return rc;
}

int cs_sqlite_org_put(cs_store *st, const cs_org *org, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	sqlite3_stmt *q = NULL;
	char now[32];
	/* An update without a secret keeps the stored one. */
	int rc = cs_sqlite_prepare(
		s,
		"INSERT INTO organizations (id, name, client_id, client_secret_enc, created_at, "
		"updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET "
		"name = excluded.name, client_id = excluded.client_id, client_secret_enc = "
		"COALESCE(excluded.client_secret_enc, client_secret_enc), updated_at = "
		"excluded.updated_at",
		&q, "save an organization", err);
	if (rc < 0)
		return rc;
	cs_sqlite_now(now);
	sqlite3_bind_int64(q, 1, org->id);
	sqlite3_bind_text(q, 2, org->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, org->client_id, -1, SQLITE_STATIC);
	cs_sqlite_bind_opt(q, 4, org->secret_enc);
	sqlite3_bind_text(q, 5, org->created_at[0] ? org->created_at : now, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, now, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	rc = rc == SQLITE_DONE ? 0 : cs_sqlite_fail(s, rc, "save an organization", err);
	sqlite3_finalize(q);
	return rc;
}

static const char org_select[] =
	"SELECT id, name, client_id, client_secret_enc, created_at FROM organizations";

static int org_from_row(sqlite3_stmt *q, cs_org *o)
{
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(q, 0);
	cs_sqlite_col_copy(q, 1, o->name, sizeof(o->name));
	cs_sqlite_col_copy(q, 2, o->client_id, sizeof(o->client_id));
	cs_sqlite_col_copy(q, 4, o->created_at, sizeof(o->created_at));
	const unsigned char *enc = sqlite3_column_text(q, 3);
	if (enc && !(o->secret_enc = strdup((const char *)enc)))
		return -1;
	return 0;
}

int cs_sqlite_org_get(cs_store *st, long long id, cs_org *out, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	sqlite3_stmt *q = NULL;
	char sql[sizeof(org_select) + 32];
	snprintf(sql, sizeof(sql), "%s WHERE id = ?1", org_select);
	memset(out, 0, sizeof(*out));
	int rc = cs_sqlite_prepare(s, sql, &q, "read an organization", err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		rc = org_from_row(q, out) ? cs_err_set(err, CS_ERR,
							"cannot read organization %lld: out of memory",
							id)
					  : 0;
	else if (rc == SQLITE_DONE)
		rc = cs_err_set(err, CS_ENOTFOUND,
				"organization %lld is not registered; add it with 'classy-sync org "
				"add' or see 'classy-sync org list'",
				id);
	else
		rc = cs_sqlite_fail(s, rc, "read an organization", err);
	sqlite3_finalize(q);
	return rc;
}

int cs_sqlite_org_list(cs_store *st, cs_org_cb cb, void *ctx, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	sqlite3_stmt *q = NULL;
	char sql[sizeof(org_select) + 32];
	snprintf(sql, sizeof(sql), "%s ORDER BY id", org_select);
	int rc = cs_sqlite_prepare(s, sql, &q, "list organizations", err);
	if (rc < 0)
		return rc;
	int src;
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		cs_org o;
		if (org_from_row(q, &o)) {
			rc = cs_err_set(err, CS_ERR, "cannot list organizations: out of memory");
			break;
		}
		rc = cb(&o, ctx);
		cs_org_release(&o);
		if (rc)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = cs_sqlite_fail(s, src, "list organizations", err);
	sqlite3_finalize(q);
	return rc;
}

/* Deletes the org's rows from every per-org table; adds the count to *n. */
static int purge(cs_sqlite *s, long long id, long long *n, cs_err *err)
{
	char sql[128];
	long long changes = 0;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < CS_ENT_COUNT + ARRAY_LEN(purge_tables); i++) {
		const char *t = i < CS_ENT_COUNT ? cs_entities[i].name : purge_tables[i - CS_ENT_COUNT];
		snprintf(sql, sizeof(sql), "DELETE FROM \"%s\" WHERE organization_id = ?1", t);
		rc = exec_ints(s, sql, &id, 1, &changes, "purge an organization", err);
		*n += changes;
	}
	return rc;
}

int cs_sqlite_org_remove(cs_store *st, long long id, int purge_data, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	long long n = 0;
	if (s->in_page)
		return cs_err_set(err, CS_ERR,
				  "cannot remove organization %lld: a page is in progress", id);
	int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return cs_sqlite_fail(s, rc, "remove an organization", err);
	rc = exec_ints(s, "DELETE FROM organizations WHERE id = ?1", &id, 1, &n,
		       "remove an organization", err);
	if (rc == 0 && purge_data)
		rc = purge(s, id, &n, err);
	if (rc == 0 && n == 0)
		rc = cs_err_set(err, CS_ENOTFOUND,
				"organization %lld is not registered%s; see 'classy-sync org list'",
				id, purge_data ? " and has no synced data" : "");
	if (rc == 0) {
		int src = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
		if (src == SQLITE_OK)
			return 0;
		rc = cs_sqlite_fail(s, src, "remove an organization", err);
	}
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static const char *entity_name(int entity)
{
	return entity >= 0 && entity < CS_ENT_COUNT ? cs_entities[entity].name : NULL;
}

int cs_sqlite_state_get(cs_store *st, long long org, int entity, cs_sync_state *out,
			cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	sqlite3_stmt *q = NULL;
	memset(out, 0, sizeof(*out));
	out->org_id = org;
	out->entity = entity;
	out->lookback_s = DEFAULT_LOOKBACK_S;
	if (!entity_name(entity))
		return cs_err_set(err, CS_ERR, "cannot read sync state: unknown entity %d", entity);
	int rc = cs_sqlite_prepare(s,
				   "SELECT cursor, lookback_s, full_last_id, full_started_at, "
				   "last_full_at FROM sync_state WHERE organization_id = ?1 AND "
				   "entity = ?2",
				   &q, "read sync state", err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(q, 1, org);
	sqlite3_bind_text(q, 2, entity_name(entity), -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		cs_sqlite_col_copy(q, 0, out->cursor, sizeof(out->cursor));
		out->lookback_s = sqlite3_column_int(q, 1);
		out->full_last_id = sqlite3_column_int64(q, 2);
		cs_sqlite_col_copy(q, 3, out->full_started_at, sizeof(out->full_started_at));
		cs_sqlite_col_copy(q, 4, out->last_full_at, sizeof(out->last_full_at));
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : cs_sqlite_fail(s, rc, "read sync state", err);
	}
	sqlite3_finalize(q);
	return rc;
}

/* A run whose process died (kill -9, power loss) stays 'running' forever.
 * Before a new run of the same org and entity, relabel those whose process
 * is gone as interrupted. A pid that exists again (reused) is left alone. */
static int close_dead_runs(cs_sqlite *s, long long org, const char *entity, cs_err *err)
{
	sqlite3_stmt *q = NULL, *u = NULL;
	char now[32];
	cs_sqlite_now(now);
	int rc = cs_sqlite_prepare(s,
				   "SELECT id, pid FROM sync_runs WHERE organization_id = ?1 AND "
				   "entity = ?2 AND status = 'running'",
				   &q, "check for runs left unfinished", err);
	if (rc < 0)
		return rc;
	rc = cs_sqlite_prepare(s,
			       "UPDATE sync_runs SET status = 'interrupted', finished_at = ?2, "
			       "error = ?3 WHERE id = ?1",
			       &u, "close a run left unfinished", err);
	if (rc < 0)
		goto out;
	sqlite3_bind_int64(q, 1, org);
	sqlite3_bind_text(q, 2, entity, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		long long pid = sqlite3_column_int64(q, 1);
		if (pid > 0 && cs_proc_pid_alive(pid))
			continue;
		char msg[200];
		snprintf(msg, sizeof(msg), "the process (pid %lld) ended before this run finished; "
					   "the next run resumed from the last committed page", pid);
		sqlite3_bind_int64(u, 1, sqlite3_column_int64(q, 0));
		sqlite3_bind_text(u, 2, now, -1, SQLITE_STATIC);
		sqlite3_bind_text(u, 3, msg, -1, SQLITE_TRANSIENT);
		int urc = sqlite3_step(u);
		sqlite3_reset(u);
		if (urc != SQLITE_DONE) {
			rc = cs_sqlite_fail(s, urc, "close a run left unfinished", err);
			goto out;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : cs_sqlite_fail(s, rc, "check for runs left unfinished", err);
out:
	sqlite3_finalize(u);
	sqlite3_finalize(q);
	return rc;
}

int cs_sqlite_run_begin(cs_store *st, cs_run *run, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	sqlite3_stmt *q = NULL;
	if (!entity_name(run->entity))
		return cs_err_set(err, CS_ERR, "cannot record a run: unknown entity %d", run->entity);
	if (!run->started_at[0])
		cs_sqlite_now(run->started_at);
	int rc = close_dead_runs(s, run->org_id, entity_name(run->entity), err);
	if (rc < 0)
		return rc;
	rc = cs_sqlite_prepare(s,
			       "INSERT INTO sync_runs (organization_id, entity, mode, started_at, "
			       "status, records, pages, requests, retries, error, pid) VALUES (?1, "
			       "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
			       &q, "record a run", err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(q, 1, run->org_id);
	sqlite3_bind_text(q, 2, entity_name(run->entity), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, run->full ? "full" : "incremental", -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, run->started_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, cs_run_status_name(run->status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, run->records);
	sqlite3_bind_int64(q, 7, run->pages);
	sqlite3_bind_int64(q, 8, run->requests);
	sqlite3_bind_int64(q, 9, run->retries);
	cs_sqlite_bind_opt(q, 10, run->error);
	sqlite3_bind_int64(q, 11, (long long)getpid());
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		run->id = sqlite3_last_insert_rowid(s->db);
		rc = 0;
	} else {
		rc = cs_sqlite_fail(s, rc, "record a run", err);
	}
	sqlite3_finalize(q);
	return rc;
}

int cs_sqlite_run_finish(cs_store *st, const cs_run *run, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)st;
	sqlite3_stmt *q = NULL;
	char now[32];
	int rc = cs_sqlite_prepare(s,
				   "UPDATE sync_runs SET finished_at = ?2, status = ?3, records = ?4, "
				   "pages = ?5, requests = ?6, retries = ?7, error = ?8 WHERE id = ?1",
				   &q, "record the end of a run", err);
	if (rc < 0)
		return rc;
	cs_sqlite_now(now);
	sqlite3_bind_int64(q, 1, run->id);
	sqlite3_bind_text(q, 2, run->finished_at[0] ? run->finished_at : now, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, cs_run_status_name(run->status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, run->records);
	sqlite3_bind_int64(q, 5, run->pages);
	sqlite3_bind_int64(q, 6, run->requests);
	sqlite3_bind_int64(q, 7, run->retries);
	cs_sqlite_bind_opt(q, 8, run->error);
	rc = sqlite3_step(q);
	if (rc != SQLITE_DONE)
		rc = cs_sqlite_fail(s, rc, "record the end of a run", err);
	else if (sqlite3_changes(s->db) == 0)
		rc = cs_err_set(err, CS_ENOTFOUND,
				"cannot record the end of run %lld in database '%s': no such run",
				run->id, s->path);
	else
		rc = 0;
	sqlite3_finalize(q);
	return rc;
}
